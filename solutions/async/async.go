// Package async runs functions concurrently and gathers their results:
// Go's asyncio.gather, built by hand from a WaitGroup, a context and
// sync.Once. (golang.org/x/sync/errgroup gives the same policy.)
package async

import (
	"context"
	"fmt"
	"sync"
)

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
	// We give the fns a context of our own, so that the first error can
	// cancel them without cancelling the caller's ctx.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Each fn writes its own slot of results: no two goroutines share a
	// slot, so the slice needs no lock, and the order is the order of
	// fns, not of completion. The first error is written once, under
	// once; wg.Wait makes all the writes visible to us.
	results := make([]T, len(fns))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error // written once, in once.Do
	)
	for i, fn := range fns {
		wg.Go(func() {
			v, err := fn(ctx)
			if err != nil {
				once.Do(func() {
					first = fmt.Errorf("fn %d: %w", i, err)
					cancel() // the others stop now, not when they finish
				})
				return
			}
			results[i] = v
		})
	}

	// We wait for every fn, the cancelled ones included, before we return:
	// that is what makes Gather leave nothing running behind it.
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return results, nil
}
