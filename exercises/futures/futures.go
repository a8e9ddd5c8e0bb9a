// Package futures is a minimal future: the result of a function running
// in its own goroutine, which callers can wait for, poll, and react to
// when it arrives.
package futures

import (
	"context"
)

// A Future is the value and error of a function started by Go, available
// once the function has returned. Make one with Go; the zero value is not
// usable. Its methods may be called from any number of goroutines at
// once.
type Future[T any] struct {
	// TODO: the fields. You will need a way to wait for fn (a channel
	// closed when it returns is one), its value and error, and the
	// callbacks waiting for it, with whatever guards them.
}

// Go calls fn in a new goroutine and returns its Future at once. The
// goroutine ends when fn has returned and the callbacks registered by then
// have run. Go does not stop fn: a fn that should be stoppable watches a
// context of its own. A panic in fn is not recovered: it ends the program.
func Go[T any](fn func() (T, error)) *Future[T] {
	f := &Future[T]{}
	// TODO: start a goroutine that calls fn, stores what it returned,
	// marks the future done and takes the callbacks added so far (in one
	// step, so that none is lost or called twice), and then calls them.
	return f
}

// Result waits until fn has returned and returns what it returned. If ctx
// is done first, Result returns the zero value and ctx.Err(), and the
// future is unchanged. Any number of goroutines may call Result, any
// number of times; each gets the same value and error.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	// TODO: wait for fn or for ctx, whichever comes first.
	var zero T
	return zero, nil
}

// Done reports whether fn has returned. Once it reports true, Result
// returns at once.
func (f *Future[T]) Done() bool {
	// TODO: report, without a data race, whether fn has returned.
	return false
}

// Then arranges for cb to be called with fn's value and error, exactly
// once: in the future's goroutine once fn returns, or at once, in the
// calling goroutine, before Then returns, if fn has already returned.
// Callbacks added before fn returns are called in the order they were
// added. cb may call any method of the future.
func (f *Future[T]) Then(cb func(T, error)) {
	// TODO: if fn has returned, call cb now; otherwise keep it for the
	// goroutine to call.
}
