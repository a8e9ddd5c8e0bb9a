// Wrong: Compute runs the tasks one after another on the caller's goroutine, so it uses one thread however many GOMAXPROCS allows.
// Caught by: TestComputeKeepsEveryThreadBusy
package parallelism

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// Compute calls task(i) for every i from 0 to n-1, in turn.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	results := make([]T, n)
	for i := range n { // wrong: no goroutines, one thread
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		results[i] = task(i)
	}
	return results, nil
}

// Fetch calls fetch(ctx, i) for every i from 0 to n-1, all at once, and
// returns the results in order, or the first error.
func Fetch[T any](ctx context.Context, n int, fetch func(ctx context.Context, i int) (T, error)) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, n)
	g, gctx := errgroup.WithContext(ctx)
	for i := range n {
		g.Go(func() error {
			v, err := fetch(gctx, i)
			if err != nil {
				return fmt.Errorf("fetch %d: %w", i, err)
			}
			results[i] = v
			return nil
		})
	}
	err := g.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}
