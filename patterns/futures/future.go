package futures

import (
	"context"
	"runtime/debug"
	"sync"
)

// state is where a Future is in its life: pending, then running, then
// finished; or pending, then cancelled.
type state int

const (
	pending   state = iota // queued, not started
	running                // its task is being called
	finished               // its task returned, or it failed without running
	cancelled              // cancelled before it started; it never runs
)

// A Future is the result of a task submitted with Submit: it will hold a
// value and an error once the task has returned. A Future is made only by
// Submit (the zero value is not usable) and is used through its pointer;
// its methods may be called from any number of goroutines at once.
//
// A Future ends in exactly one terminal state: finished (Result returns
// what the task returned, a *PanicError, or ErrShutdown) or cancelled
// (Result returns ErrCancelled; the task never ran). Done reports either.
type Future[T any] struct {
	e    *Executor
	fn   func(context.Context) (T, error)
	done chan struct{} // closed when the future reaches a terminal state

	// value and err are written once, before done is closed, and only
	// read after it is: closing done synchronizes before the receive
	// that sees it closed, so readers need no lock.
	value T
	err   error

	mu        sync.Mutex         // protects state and callbacks
	state     state              // pending, running, finished or cancelled
	callbacks []func(*Future[T]) // to call once done; nil after
}

// Result waits until f is done and returns its task's value and error; for
// a cancelled future, the zero value and ErrCancelled. If ctx is done
// first, Result returns the zero value and ctx.Err(), and f is left
// unchanged: the task goes on. Result may be called any number of times,
// from any goroutine, including from f's own done callbacks. The task's
// return synchronizes before Result returns its value.
func (f *Future[T]) Result(ctx context.Context) (T, error) {
	// We look at done first: when both are ready, a select would pick
	// at random, and a finished future must always give its result.
	select {
	case <-f.done: // finished or cancelled
		return f.value, f.err
	default: // not yet: wait below
	}
	select {
	case <-f.done: // finished or cancelled while we waited
		return f.value, f.err
	case <-ctx.Done(): // the caller gave up; f is unchanged
		var zero T
		return zero, ctx.Err()
	}
}

// Done reports whether f has finished or was cancelled. Once Done returns
// true, Result returns at once.
func (f *Future[T]) Done() bool {
	select {
	case <-f.done: // closed: terminal
		return true
	default: // still pending or running
		return false
	}
}

// Running reports whether f's task is being called now: it has started
// and not yet returned.
func (f *Future[T]) Running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state == running
}

// Cancelled reports whether f was cancelled before its task started.
func (f *Future[T]) Cancelled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state == cancelled
}

// Cancel cancels f if its task has not started, and reports whether f is
// now cancelled. As Python's Future.cancel, it returns true if f was
// pending (its task will never run; its callbacks run now, in the calling
// goroutine) or was already cancelled, and false if the task is running
// or f has finished. A running task cannot be cancelled through its
// future: see ShutdownNow, or give the task a context of your own.
func (f *Future[T]) Cancel() bool {
	return f.cancel()
}

func (f *Future[T]) cancel() bool {
	f.mu.Lock()
	switch f.state {
	case cancelled:
		f.mu.Unlock()
		return true
	case running, finished:
		f.mu.Unlock()
		return false
	}
	f.mu.Unlock()
	var zero T
	// complete re-checks the state under the lock: a worker may have
	// started f since we unlocked.
	return f.complete(zero, ErrCancelled, cancelled)
}

// start implements task: it moves a pending future to running.
func (f *Future[T]) start() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != pending {
		return false
	}
	f.state = running
	return true
}

// run implements task: it calls the function, turning a panic into a
// *PanicError, and completes f with what it returned.
func (f *Future[T]) run(ctx context.Context) {
	value, err := f.call(ctx)
	f.fn = nil // not needed any more; let what it captured be collected
	f.complete(value, err, finished)
}

// call calls f.fn and recovers a panic in it. We recover here, in the
// goroutine that panicked, and take the stack while it still shows the
// frames that panicked. This is not a silent recover: the panic becomes
// f's error, for whoever asks for its Result.
func (f *Future[T]) call(ctx context.Context) (value T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			value, err = zero, &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return f.fn(ctx)
}

// complete moves f to the terminal state to, with value and err, and then
// calls its callbacks in this goroutine. It reports false, changing
// nothing, if f had already reached a terminal state, or if to is
// cancelled and f is no longer pending.
func (f *Future[T]) complete(value T, err error, to state) bool {
	f.mu.Lock()
	if f.state == finished || f.state == cancelled ||
		(to == cancelled && f.state != pending) {
		already := to == cancelled && f.state == cancelled
		f.mu.Unlock()
		return already
	}
	f.value, f.err = value, err
	f.state = to
	callbacks := f.callbacks
	f.callbacks = nil
	close(f.done)
	f.mu.Unlock()
	// We call the callbacks after unlocking, so that a callback may call
	// any method of f (Result, Cancel, AddDoneCallback) without
	// deadlocking on f.mu.
	for _, cb := range callbacks {
		f.callback(cb)
	}
	return true
}

// AddDoneCallback arranges for cb to be called with f, exactly once, when f
// finishes or is cancelled: in the goroutine that completed it (the worker
// that ran the task, or the caller of Cancel or ShutdownNow), in the
// order the callbacks were added. If f is already done, cb is called at
// once, in the calling goroutine. f's terminal state synchronizes before
// cb is called, so cb may call f.Result, which returns at once.
//
// A callback that panics does not stop the others and does not escape:
// the panic is recovered and reported, with its stack, to the Executor's
// logger (see SetLogger; by default log.Default, which writes to standard
// error). A slow callback delays the worker that calls it.
func (f *Future[T]) AddDoneCallback(cb func(*Future[T])) {
	f.mu.Lock()
	if f.state == finished || f.state == cancelled {
		f.mu.Unlock()
		f.callback(cb)
		return
	}
	f.callbacks = append(f.callbacks, cb)
	f.mu.Unlock()
}

// callback calls cb, and reports a panic in it to the Executor's logger.
func (f *Future[T]) callback(cb func(*Future[T])) {
	defer func() {
		if r := recover(); r != nil {
			f.e.log(r, debug.Stack())
		}
	}()
	cb(f)
}
