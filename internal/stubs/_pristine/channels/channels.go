// Package channels is a box office's ticket pipeline: each window hands
// out numbered tickets on a channel of its own (Tickets), one line merges
// the windows (Merge), and a clerk collects what arrives (Collect).
//
// Every channel here has one owner that sends on it and closes it, once,
// when it is done or when its ctx is done; every send is in a select with
// ctx.Done(), so a consumer that stops early cancels ctx and leaves no
// goroutine behind.
package channels

import "context"

// Tickets returns a channel on which a goroutine of its own sends the
// ticket numbers first, first+1, ..., first+n-1, in order. The channel is
// unbuffered. It is closed after the last ticket, or as soon as ctx is
// done, in which case the remaining tickets are not sent; the goroutine
// returns right after closing it. The caller must receive until the
// channel is closed, or cancel ctx.
func Tickets(ctx context.Context, first, n int) <-chan int {
	// TODO: make the channel, start the goroutine that sends the tickets
	// (each send in a select with ctx.Done()) and closes the channel when
	// it is done, and return the channel.
	return nil
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
	// TODO: one forwarding goroutine per input, and one owner of the
	// close, which must come after the last forward.
	return nil
}

// Collect receives from in until in is closed, and returns the values in
// the order they arrived and a nil error. If ctx is done first, it returns
// the values received so far and ctx.Err(); what is still to come stays in
// in.
func Collect(ctx context.Context, in <-chan int) ([]int, error) {
	// TODO: receive until in is closed or ctx is done.
	return nil, nil
}
