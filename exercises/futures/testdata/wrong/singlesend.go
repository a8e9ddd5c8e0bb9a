// Wrong: the goroutine hands the result over on an unbuffered channel, to
// one receiver only: a second waiter never gets it, and if nobody calls
// Result the goroutine blocks on its send for ever.
// Caught by: TestManyWaiters, TestNoGoroutineLeft
package futures

import (
	"context"
	"sync"
)

// A Future is the value and error of a function started by Go.
type Future[T any] struct {
	results chan result[T] // the goroutine sends the result here, once

	mu        sync.Mutex       // protects finished, value, err, callbacks
	finished  bool             // fn has returned
	value     T                // what fn returned, once finished
	err       error            // what fn returned, once finished
	callbacks []func(T, error) // to call when fn returns
}

type result[T any] struct {
	value T
	err   error
}

// Go calls fn in a new goroutine and returns its Future at once.
func Go[T any](fn func() (T, error)) *Future[T] {
	f := &Future[T]{results: make(chan result[T])}
	go func() {
		value, err := fn()
		f.mu.Lock()
		f.finished, f.value, f.err = true, value, err
		callbacks := f.callbacks
		f.callbacks = nil
		f.mu.Unlock()
		for _, cb := range callbacks {
			cb(value, err)
		}
		f.results <- result[T]{value, err}
	}()
	return f
}

// Result waits until fn has returned and returns what it returned.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	select {
	case r := <-f.results: // the one result
		return r.value, r.err
	case <-ctx.Done(): // the caller gave up
		var zero T
		return zero, ctx.Err()
	}
}

// Done reports whether fn has returned.
func (f *Future[T]) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.finished
}

// Then arranges for cb to be called with fn's value and error, once.
func (f *Future[T]) Then(cb func(T, error)) {
	f.mu.Lock()
	if !f.finished {
		f.callbacks = append(f.callbacks, cb)
		f.mu.Unlock()
		return
	}
	value, err := f.value, f.err
	f.mu.Unlock()
	cb(value, err)
}
