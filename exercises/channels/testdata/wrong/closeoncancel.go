// Wrong: Merge closes its output as soon as ctx is done, without waiting for its forwarders, so a forwarder still running can then send on the closed channel and panic.
// A forwarder blocked on a slow input is still running when ctx is done:
// when its input delivers, its select finds both ctx.Done() and the send
// on the closed output ready, picks one at random, and half the time
// panics with "send on closed channel". Only the senders may close, once
// they have all stopped.
// Caught by: TestMergeClosesOnlyAfterItsForwardersStop
package channels

import (
	"context"
	"sync"
)

// Tickets returns a channel on which a goroutine of its own sends the
// ticket numbers first, first+1, ..., first+n-1, in order. The channel is
// unbuffered. It is closed after the last ticket, or as soon as ctx is
// done, in which case the remaining tickets are not sent; the goroutine
// returns right after closing it. The caller must receive until the
// channel is closed, or cancel ctx.
func Tickets(ctx context.Context, first, n int) <-chan int {
	out := make(chan int)
	go func() {
		// The goroutine that sends is the one that closes, once, when it
		// has nothing more to send: defer covers both ways out.
		defer close(out)
		for i := range n {
			select {
			case out <- first + i: // the consumer took it
			case <-ctx.Done(): // the consumer gave up
				return
			}
		}
	}()
	return out
}

// Merge returns a channel on which it forwards every value received from
// each of ins, until every input is closed. Values from one input keep
// their order; values from different inputs interleave in any order. The
// returned channel is unbuffered. It is closed once, after every input is
// closed and all their values are forwarded, or, when ctx is done, as
// soon as Merge's goroutines have stopped; values not yet forwarded then
// stay in the inputs. With no inputs it is closed at once. The caller must
// receive until the channel is closed, or cancel ctx.
func Merge(ctx context.Context, ins ...<-chan int) <-chan int {
	out := make(chan int)
	var wg sync.WaitGroup
	for _, in := range ins {
		// One forwarder per input. None of them closes out: each knows
		// only that its own input has ended.
		wg.Go(func() {
			for v := range in {
				select {
				case out <- v: // the consumer took it
				case <-ctx.Done(): // the consumer gave up
					return
				}
			}
		})
	}
	// The output is closed when every forwarder is done or, so that the
	// consumer's range ends at once, as soon as ctx is done.
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	go func() {
		select {
		case <-done: // every input is closed and forwarded
		case <-ctx.Done(): // the consumer gave up: don't make it wait
		}
		close(out)
	}()
	return out
}

// Collect receives from in until in is closed, and returns the values in
// the order they arrived and a nil error. If ctx is done first, it returns
// the values received so far and ctx.Err(); what is still to come stays in
// in.
func Collect(ctx context.Context, in <-chan int) ([]int, error) {
	var got []int
	for {
		// A range loop cannot also wait for ctx, so we receive in a
		// select, and the receive with ok tells a value from the close.
		select {
		case v, ok := <-in: // a value, or the close
			if !ok {
				return got, nil
			}
			got = append(got, v)
		case <-ctx.Done(): // cancelled or past its deadline
			return got, ctx.Err()
		}
	}
}
