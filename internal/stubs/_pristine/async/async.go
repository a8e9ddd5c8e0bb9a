// Package async runs functions concurrently and gathers their results:
// Go's asyncio.gather, built by hand from a WaitGroup, a context and
// sync.Once. (golang.org/x/sync/errgroup gives the same policy.)
package async

import "context"

// Gather calls every fn at once, each in its own goroutine, and returns
// their results in the order of fns, whatever order they finish in: like
// asyncio.gather without return_exceptions.
//
// Each fn gets a context derived from ctx. The first fn to return a
// non-nil error wins: Gather cancels the context of all the others at once
// and returns that error, wrapped as "fn i: ..." with i its index in fns,
// and a nil slice. Errors that come after it are dropped. If ctx is done
// (cancelled, or its deadline passed), every fn sees its context done; the
// fns decide what to return, typically ctx.Err(). Each fn must return
// promptly once its context is done.
//
// Gather returns only after every fn has returned, on every path: it
// leaves no goroutine behind, and whatever the fns did happens before
// Gather returns. With no fns it returns an empty, non-nil slice at once.
func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	// TODO: run every fn in its own goroutine, with a context that the
	// first error cancels; keep the results in the order of fns; wait for
	// every fn to return before returning.
	return nil, nil
}
