// Package futures runs functions on a fixed number of goroutines and hands
// back futures: values you can wait on, cancel before they start, and
// attach callbacks to. It is Go's take on Python's concurrent.futures
// (ThreadPoolExecutor, submit, Future, map).
//
// An [Executor] has at most n worker goroutines. [Submit] queues a
// function and returns its [Future] at once; [Future.Result] waits for it,
// or for a context; [Future.Cancel] drops it if it has not started;
// [Future.AddDoneCallback] reacts to it when it ends; [Map] runs a function
// over a slice and returns the results in input order. [Executor.Shutdown]
// (Python's shutdown(wait=True)) and [Executor.ShutdownNow] (Python's
// shutdown(wait=True, cancel_futures=True)) are the join point: when
// either returns, no worker goroutine is left.
//
//	e := futures.NewExecutor(4)
//	defer e.Shutdown()
//	f := futures.Submit(e, func(ctx context.Context) (int, error) {
//		return fetch(ctx, "quote")
//	})
//	price, err := f.Result(ctx)
//
// # Contract in brief
//
// A task's function is given the Executor's context, which only
// ShutdownNow cancels while tasks run; a running task cannot be
// cancelled through its future. A task that panics fails its future with
// a [*PanicError] holding the panic's value and stack; it has the
// workbook's one panic-error shape (Error reads "futures: panic: <value>",
// and Unwrap returns the value when it is an error), described in full
// in docs/concepts.md. A future ends in exactly one terminal
// state, finished or cancelled, and its callbacks run exactly once, in the
// goroutine that completed it, or at once if it was already done. A
// callback that panics is recovered and reported, with its stack, to the
// Executor's logger (log.Default unless [Executor.SetLogger] says
// otherwise). Completing a future synchronizes before Result returns and
// before its callbacks are called, in the sense of the Go memory model
// (https://go.dev/ref/mem).
//
// # When to use
//
// Use an Executor when work arrives piece by piece and each piece has a
// life of its own: you want to ask later whether it is done, wait for one
// particular result, cancel what has not started, or react to each one
// as it ends, while bounding how many run at once. For a batch known up
// front, whose results you want together, [Map] or plain
// golang.org/x/sync/errgroup with SetLimit is simpler; for a single
// background call, a goroutine and a channel of one is enough.
//
// # Pitfalls
//
//   - Forgetting Shutdown. Workers return when the queue is empty, but
//     Shutdown (or ShutdownNow) is what waits for the tasks; a program
//     that returns without it may abandon tasks half-way. Call it in a
//     defer, as Python's with statement does.
//   - Waiting inside a task. A task that calls Result on a future of the
//     same Executor, or Map, or Shutdown, may wait for a worker that is
//     busy waiting for it: with every worker doing so, nothing moves.
//   - Expecting Cancel to stop a running task. It returns false; give the
//     task a context of your own, or use ShutdownNow.
//   - Slow callbacks. A callback runs on the worker that finished the
//     task (or in Cancel's caller), so a slow one holds up the next task.
//     Hand slow work to another goroutine or channel.
//   - Unbounded queue. Submit never blocks: submitting faster than the
//     workers run queues without limit. Bound the producer (a semaphore,
//     or wait on older futures) if the input is large or endless.
//   - Ignoring a future. An error, or a *PanicError, is reported only
//     through Result and callbacks; nobody sees a future no one asks.
package futures
