// Wrong: Merge forwards its inputs one after another in a single goroutine, so a value ready on a later input waits until every earlier input is closed.
// Each input's values still come in order, all of them, and the output is
// closed once; but a slow first input holds back every other window, and
// the output closes late.
// Caught by: TestMergeForwardsEveryValue
package channels

import "context"

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
	go func() {
		defer close(out)
		// One goroutine forwards the inputs one after another: the next
		// input waits until the one before it is closed.
		for _, in := range ins {
			for v := range in {
				select {
				case out <- v: // the consumer took it
				case <-ctx.Done(): // the consumer gave up
					return
				}
			}
		}
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
