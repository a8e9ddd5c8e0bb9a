// Package parallelism runs a batch of tasks on goroutines, as many at once
// as the kind of work can use: CPU-bound tasks on GOMAXPROCS goroutines, one
// per thread that may run Go code, and I/O-bound calls all at once, since a
// goroutine that waits holds no thread.
package parallelism

import "context"

// Compute calls task(i) for every i from 0 to n-1 and returns the results
// in order: results[i] is what task(i) returned, whatever order the calls
// finish in. It is for CPU-bound tasks, which need a thread to make
// progress: it runs at most runtime.GOMAXPROCS(0) of them at once (read
// when Compute is called), because that is how many threads may run Go
// code at the same moment, on as many goroutines, each taking task after
// task. More tasks at once would only take turns on the threads, and a
// goroutine parked per task would cost its memory while it waits. Compute
// keeps min(n, GOMAXPROCS) tasks in progress while any is left to start,
// so tasks of equal cost take ⌈n/GOMAXPROCS⌉ times as long as one.
//
// Compute calls task once for each i, from several goroutines at once, so
// task must be safe for concurrent use. Every call returns before Compute
// does: Compute leaves no goroutine behind, and whatever the tasks did
// happens before it returns. With n = 0 it calls nothing and returns an
// empty slice.
//
// A task, once started, runs to its end: Compute cannot interrupt it. If
// ctx is done, Compute starts no more tasks, waits for the ones in
// progress, and returns nil and ctx.Err(); if ctx is done before the call,
// it calls no task at all. Compute panics if n is negative.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	// TODO: panic("parallelism: n is negative") if n is negative, and
	// return ctx.Err() at once if ctx is already done.

	// TODO: start min(runtime.GOMAXPROCS(0), n) worker goroutines. Each
	// takes the next index not yet taken, until none is left or ctx is
	// done, and writes task(i) into its own element of a results slice.

	// TODO: wait for every worker; then return nil and ctx.Err() if ctx
	// is done, else the results.
	return nil, nil
}

// Fetch calls fetch(ctx, i) for every i from 0 to n-1, all at once, each on
// a goroutine of its own, and returns the results in order: results[i] is
// what fetch(ctx, i) returned, whatever order the calls finish in. It is
// for I/O-bound calls, which spend their time waiting: a waiting goroutine
// holds no thread, so n calls that each wait d take about d in all, even
// with GOMAXPROCS=1.
//
// Each fetch gets a context derived from ctx. The first fetch to return an
// error wins: Fetch cancels the other fetches' context at once, and
// returns nil and that error, wrapped as "fetch i: ..." with i its index;
// the errors that come after it (often the cancelled fetches'
// context.Canceled) are dropped. If ctx is done, every fetch sees its
// context done, and Fetch returns nil and ctx.Err(); if ctx is done before
// the call, it calls no fetch at all. Each fetch must return promptly once
// its context is done.
//
// Fetch returns only after every fetch has returned, on every path: it
// leaves no goroutine behind, and whatever the fetches did happens before
// it returns. With n = 0 it calls nothing and returns an empty slice.
// Fetch panics if n is negative.
func Fetch[T any](ctx context.Context, n int, fetch func(ctx context.Context, i int) (T, error)) ([]T, error) {
	// TODO: panic("parallelism: n is negative") if n is negative, and
	// return ctx.Err() at once if ctx is already done.

	// TODO: start one goroutine per fetch, all at once, each with a
	// context that the first error cancels; each writes its result into
	// its own element of a results slice, and the first error is kept.

	// TODO: wait for every fetch, the cancelled ones included; then
	// return nil and ctx.Err() if ctx is done, else nil and the first
	// error if there was one, else the results.
	return nil, nil
}
