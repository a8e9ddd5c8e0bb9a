// Wrong: Then checks Done, and then, in a second step, adds the callback under the lock: a future that finishes in between has already taken its callbacks, and this one is never called.
// Check and act must be one critical section, the one the future's
// goroutine uses to take the callbacks.
// Caught by: TestThenRacesWithCompletion
package futures

import (
	"context"
	"sync"
)

// A Future is the value and error of a function started by Go, available
// once the function has returned. Make one with Go; the zero value is not
// usable. Its methods may be called from any number of goroutines at
// once.
type Future[T any] struct {
	done chan struct{} // closed once value and err are set

	// value and err are written once, before done is closed, and read
	// only after it is: the close synchronizes before every receive that
	// sees it, so the reads need no lock.
	value T
	err   error

	mu        sync.Mutex       // protects finished and callbacks
	finished  bool             // done is closed: Then calls at once
	callbacks []func(T, error) // to call when fn returns; nil after
}

// Go calls fn in a new goroutine and returns its Future at once. The
// goroutine ends when fn has returned and the callbacks registered by then
// have run. Go does not stop fn: a fn that should be stoppable watches a
// context of its own. A panic in fn is not recovered: it ends the program.
func Go[T any](fn func() (T, error)) *Future[T] {
	f := &Future[T]{done: make(chan struct{})}
	go func() {
		value, err := fn()
		f.value, f.err = value, err
		// We close done and take the callbacks in one critical section,
		// so that a Then either sees finished (and calls at once) or
		// leaves its callback here for us: none is lost, none is called
		// twice.
		f.mu.Lock()
		f.finished = true
		callbacks := f.callbacks
		f.callbacks = nil
		close(f.done)
		f.mu.Unlock()
		// We call them after unlocking: a callback may call any method
		// of f, and Then takes f.mu.
		for _, cb := range callbacks {
			cb(value, err)
		}
	}()
	return f
}

// Result waits until fn has returned and returns what it returned. If ctx
// is done first, Result returns the zero value and ctx.Err(), and the
// future is unchanged. Any number of goroutines may call Result, any
// number of times; each gets the same value and error.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	select {
	case <-f.done: // fn has returned
		return f.value, f.err
	case <-ctx.Done(): // the caller gave up
		var zero T
		return zero, ctx.Err()
	}
}

// Done reports whether fn has returned. Once it reports true, Result
// returns at once.
func (f *Future[T]) Done() bool {
	select {
	case <-f.done: // closed: fn has returned
		return true
	default: // still running
		return false
	}
}

// Then arranges for cb to be called with fn's value and error, exactly
// once: in the future's goroutine once fn returns, or at once, in the
// calling goroutine, before Then returns, if fn has already returned.
// Callbacks added before fn returns are called in the order they were
// added. cb may call any method of the future.
func (f *Future[T]) Then(cb func(T, error)) {
	if f.Done() {
		cb(f.value, f.err)
		return
	}
	// wrong: fn may return right here, and its goroutine take the
	// callbacks before we add cb: cb is never called.
	f.mu.Lock()
	f.callbacks = append(f.callbacks, cb)
	f.mu.Unlock()
}
