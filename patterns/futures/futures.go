package futures

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
)

// ErrCancelled is the error Result returns for a future that was cancelled
// before it ran: by Cancel, or by ShutdownNow.
var ErrCancelled = errors.New("futures: cancelled")

// ErrShutdown is the error of a future submitted to an Executor after
// Shutdown or ShutdownNow was called. Its task never runs.
var ErrShutdown = errors.New("futures: executor is shut down")

// A PanicError is the error of a future whose task panicked. The worker
// that ran the task recovers the panic, so that the other tasks go on, and
// the future fails with the value the task panicked with and the stack of
// the goroutine where it panicked. A PanicError means a bug: treat it as
// one, do not retry.
//
// It has the workbook's one panic-error shape, shared with
// concurrently.PanicError and described in docs/concepts.md ("A panic
// turned into an error"): Value and Stack, an Error method that reads
// "futures: panic: <value>", and an Unwrap method that returns Value when
// it is an error, so that [errors.Is] and [errors.As] reach a runtime
// error or an error the task panicked with.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

// Error returns "futures: panic: " and the panic's value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("futures: panic: %v", e.Value)
}

// Unwrap returns the panic's value if it is an error (as a runtime error
// is), and nil otherwise.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// An Executor runs tasks on at most a fixed number of goroutines, its
// workers. Make one with NewExecutor; the zero value is not usable, and an
// Executor must not be copied. Its methods, and Submit and Map, may be
// called from any number of goroutines at once.
//
// Workers are started on demand: Submit starts one when a task is queued
// and fewer than the limit exist, and a worker returns as soon as it finds
// the queue empty. So an idle Executor has no goroutines, but the caller
// still owes a call to Shutdown (or ShutdownNow), the join point: when it
// returns, no worker is left and no task will run again.
type Executor struct {
	workers int // the most worker goroutines that may exist at once

	// ctx is the context every task is given. It is not a request's
	// context: it lives as long as the Executor, and cancel (called by
	// Shutdown and ShutdownNow) is how ShutdownNow asks running tasks to
	// stop. This is the one place the package keeps a context in a struct.
	ctx    context.Context
	cancel context.CancelFunc

	wg sync.WaitGroup // counts the worker goroutines; stop waits on it

	mu       sync.Mutex  // protects queue, active, shutdown and logger
	queue    []task      // pending tasks, in submission order
	active   int         // worker goroutines started and not yet returned
	shutdown bool        // Shutdown or ShutdownNow was called: Submit queues nothing
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
// fn is given the Executor's context, which is cancelled by ShutdownNow
// (and, after every task has returned, by Shutdown); fn should
// return promptly once it is done. Nothing else cancels it: a running task
// cannot be cancelled through its future. If fn panics, the future fails
// with a *PanicError and the worker goes on with the next task.
//
// If Shutdown or ShutdownNow has been called, Submit returns a future
// that has already failed with ErrShutdown, and fn is never called.
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
// running under e.mu means ShutdownNow, which empties the queue under
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

// Shutdown stops e and waits for every task submitted to it, pending or
// running, to finish. It is Python's executor.shutdown(wait=True), which
// a with statement calls: no future is cancelled, and the tasks' context
// is cancelled only once every task has returned. After Shutdown has been
// called, Submit returns futures that have failed with ErrShutdown.
//
// When Shutdown returns, every worker goroutine has returned, and so has
// every done callback a worker called; every task's completion, and those
// callbacks, synchronize before it (see https://go.dev/ref/mem). Shutdown
// and ShutdownNow may be called more than once, in any mix, and from
// several goroutines; each call waits. Neither may be called from a task
// of e: it would wait for itself.
func (e *Executor) Shutdown() { e.stop(false) }

// ShutdownNow stops e, cancels every pending future, and waits for the
// running tasks to return. It is Python's executor.shutdown(wait=True,
// cancel_futures=True): the cancelled futures' tasks never run, and their
// callbacks run in the calling goroutine before ShutdownNow returns.
// It also cancels the context the running tasks were given, which Python
// cannot do to a running thread: a task that watches its ctx stops early,
// and one that ignores it still runs to the end, with ShutdownNow waiting
// for it. After ShutdownNow has been called, Submit returns futures that
// have failed with ErrShutdown.
//
// When ShutdownNow returns, it gives the same guarantees as Shutdown: no
// worker goroutine is left, and every task's completion and callbacks
// synchronize before it.
func (e *Executor) ShutdownNow() { e.stop(true) }

// stop implements Shutdown (cancelPending false) and ShutdownNow
// (cancelPending true).
func (e *Executor) stop(cancelPending bool) {
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
