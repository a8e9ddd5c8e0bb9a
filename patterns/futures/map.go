package futures

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
)

// Map calls fn on every item, on e's workers, and returns the results in
// input order: out[i] is what fn returned for items[i], whatever order the
// calls finish in.
//
// The first error wins, as in errgroup: the first call to fail (in time,
// not in input order) cancels the context the other calls were given, no
// call starts after that, and Map returns that error, wrapped with its
// item's index ("futures: item 3: ..."), and nil results. A call that
// panics fails with a *PanicError. If ctx is done first, Map starts no
// more calls and returns ctx.Err(). fn's context is also cancelled by
// ShutdownNow, and Map then returns an error: the first call's
// context.Canceled, or ErrShutdown or ErrCancelled for an item that never
// ran.
//
// Map waits for every call it started: when it returns, no call of fn is
// running or will start. It queues all of items at once, behind any tasks
// already submitted to e; call it from outside e's tasks, or it may wait
// for a worker that is waiting for it.
func Map[T, R any](ctx context.Context, e *Executor,
	fn func(context.Context, T) (R, error), items []T) ([]R, error) {
	// mctx is the context of Map's calls: it ends with the caller's ctx,
	// with the first error, or with ShutdownNow, which cancels e.ctx.
	mctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(e.ctx, func() { cancel(context.Canceled) })
	defer stop()

	// firstErr is written once, inside a task, before its future
	// completes; we read it only after every Result has returned, which
	// the completions synchronize before.
	var (
		once     sync.Once
		firstErr error
	)
	fail := func(i int, err error) {
		once.Do(func() {
			firstErr = fmt.Errorf("futures: item %d: %w", i, err)
			cancel(firstErr)
		})
	}
	fs := make([]*Future[R], len(items))
	for i, item := range items {
		fs[i] = Submit(e, func(context.Context) (r R, err error) {
			// A call handed to a worker after the first error, or
			// after ctx is done, must not start.
			if err := mctx.Err(); err != nil {
				return r, err
			}
			// We recover a panic here rather than in the worker, so
			// that it cancels the other calls at once, like an error.
			defer func() {
				if v := recover(); v != nil {
					err = &PanicError{Value: v, Stack: debug.Stack()}
					fail(i, err)
				}
			}()
			r, err = fn(mctx, item)
			if err != nil {
				fail(i, err)
			}
			return r, err
		})
	}

	out := make([]R, len(items))
	for i, f := range fs {
		// Every future ends: its task returns, or it fails with
		// ErrShutdown or ErrCancelled. So we wait with no deadline; the
		// calls in progress return promptly once mctx is done.
		r, err := f.Result(context.Background())
		// A task records its own error before its future completes,
		// so the first error in time is already in firstErr if there
		// is one; this records an error no task saw: ErrShutdown,
		// ErrCancelled, or a cancel by ShutdownNow.
		if err != nil {
			fail(i, err)
		}
		out[i] = r
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}
