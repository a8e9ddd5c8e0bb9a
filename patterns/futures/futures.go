package futures

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
)

// ErrCancelled is the error Result returns for a future that was cancelled
// before it ran: by Cancel, or by Shutdown(true).
var ErrCancelled = errors.New("futures: cancelled")

// ErrShutdown is the error of a future submitted to an Executor after
// Shutdown was called. Its task never runs.
var ErrShutdown = errors.New("futures: executor is shut down")

// A PanicError is the error of a future whose task panicked. The worker
// that ran the task recovers the panic, so that the other tasks go on, and
// the future fails with the value the task panicked with and the stack of
// the goroutine where it panicked. A PanicError means a bug: treat it as
// one, do not retry.
type PanicError struct {
	Value any    // the value passed to panic
	Stack string // the panicking goroutine's stack, from debug.Stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("futures: task panicked: %v", e.Value)
}

// An Executor runs tasks on at most a fixed number of goroutines, its
// workers. Make one with NewExecutor; the zero value is not usable, and an
// Executor must not be copied. Its methods, and Submit and Map, may be
// called from any number of goroutines at once.
//
// Workers are started on demand: Submit starts one when a task is queued
// and fewer than the limit exist, and a worker returns as soon as it finds
// the queue empty. So an idle Executor has no goroutines, but the caller
// still owes a call to Shutdown, which is the join point: when it returns,
// no worker is left and no task will run again.
type Executor struct {
	workers int // the most worker goroutines that may exist at once

	// ctx is the context every task is given. It is not a request's
	// context: it lives as long as the Executor, and cancel (called by
	// Shutdown) is how Shutdown(true) asks running tasks to stop. This is
	// the one place the package keeps a context in a struct.
	ctx    context.Context
	cancel context.CancelFunc

	wg sync.WaitGroup // counts the worker goroutines; Shutdown waits on it

	mu       sync.Mutex  // protects queue, active, shutdown and logger
	queue    []task      // pending tasks, in submission order
	active   int         // worker goroutines started and not yet returned
	shutdown bool        // Shutdown has been called: Submit queues nothing
	logger   *log.Logger // where panicking callbacks are reported
}

// task is what the queue holds: a Future of any result type.
type task interface {
	// start moves a pending task to running and reports whether it did;
	// false means the task was cancelled while it waited.
	start() bool
	// run calls the task's function and completes the future.
	run(ctx context.Context)
	// cancel cancels a task that has not started; see Future.Cancel.
	cancel() bool
}

// NewExecutor returns an Executor that runs at most workers tasks at once.
// It panics if workers is less than 1. Panics in done callbacks are
// reported to log.Default (standard error) until SetLogger says otherwise.
func NewExecutor(workers int) *Executor {
	if workers < 1 {
		panic("futures: workers must be at least 1")
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Executor{workers: workers, ctx: ctx, cancel: cancel}
}

// SetLogger sets the logger to which the Executor reports a done callback
// that panicked, with the panic's value and stack. A nil logger restores
// the default, log.Default(), which writes to standard error. Callback
// panics are never silently dropped.
func (e *Executor) SetLogger(l *log.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logger = l
}

// log reports a panicking callback.
func (e *Executor) log(value any, stack []byte) {
	e.mu.Lock()
	l := e.logger
	e.mu.Unlock()
	if l == nil {
		l = log.Default()
	}
	l.Printf("futures: done callback panicked: %v\n%s", value, stack)
}

// Submit queues fn to run on one of e's workers and returns its future at
// once; it never waits for a worker. Tasks start in the order they were
// submitted, at most e's worker count at a time.
//
// fn is given the Executor's context, which is cancelled by Shutdown(true)
// (and, after every task has returned, by Shutdown(false)); fn should
// return promptly once it is done. Nothing else cancels it: a running task
// cannot be cancelled through its future. If fn panics, the future fails
// with a *PanicError and the worker goes on with the next task.
//
// If Shutdown has been called, Submit returns a future that has already
// failed with ErrShutdown, and fn is never called.
func Submit[T any](e *Executor, fn func(context.Context) (T, error)) *Future[T] {
	f := &Future[T]{e: e, fn: fn, done: make(chan struct{})}
	e.mu.Lock()
	if e.shutdown {
		e.mu.Unlock()
		var zero T
		f.complete(zero, ErrShutdown, finished)
		return f
	}
	e.queue = append(e.queue, f)
	// A worker that exists will reach this task: workers return only
	// when, holding mu, they find the queue empty. So we start one only
	// while we are under the limit.
	if e.active < e.workers {
		e.active++
		e.wg.Go(e.work)
	}
	e.mu.Unlock()
	return f
}

// work is a worker's loop: it runs queued tasks until the queue is empty.
func (e *Executor) work() {
	for {
		t := e.next()
		if t == nil {
			return
		}
		t.run(e.ctx)
	}
}

// next pops the first task that is still pending and marks it running, or
// returns nil, and counts this worker out, if there is none. Marking it
// running under e.mu means Shutdown(true), which empties the queue under
// e.mu, cancels exactly the tasks that have not started.
func (e *Executor) next() task {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.queue) > 0 {
		t := e.queue[0]
		e.queue[0] = nil // let the finished future be collected
		e.queue = e.queue[1:]
		if t.start() {
			return t
		}
		// t was cancelled while it waited: skip it.
	}
	e.active--
	return nil
}

// Shutdown stops e. Submit then returns futures that have failed with
// ErrShutdown. With cancelPending false, Shutdown waits until every task
// submitted before it, pending or running, has finished. With cancelPending
// true, it cancels every pending future (their callbacks run in the
// calling goroutine, and their tasks never run), cancels the context the
// running tasks were given, and waits for them to return.
//
// When Shutdown returns, every worker goroutine has returned, and so has
// every done callback a worker called; every task's completion, and those
// callbacks, synchronize before it (see
// https://go.dev/ref/mem). Shutdown may be called more than once, and from
// several goroutines; each call waits. It must not be called from a task
// of e: it would wait for itself.
func (e *Executor) Shutdown(cancelPending bool) {
	e.mu.Lock()
	e.shutdown = true
	var pending []task
	if cancelPending {
		pending, e.queue = e.queue, nil
	}
	e.mu.Unlock()
	if cancelPending {
		e.cancel()
		for _, t := range pending {
			t.cancel()
		}
	}
	// No worker can be started after shutdown was set, so no wg.Go runs
	// concurrently with this Wait from a zero count.
	e.wg.Wait()
	e.cancel()
}
