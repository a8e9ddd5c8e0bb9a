// Wrong: Compute starts one goroutine per task, all at once, so with 100 tasks 100 of them compute at the same time, whatever GOMAXPROCS is.
// That is the recipe for waits (Fetch), not for work that needs a thread:
// the goroutines only take turns on the GOMAXPROCS threads, and each costs
// its memory while it waits for one.
// Caught by: TestComputeAtMostGOMAXPROCSAtOnce
package parallelism

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Compute calls task(i) for every i from 0 to n-1, each on a goroutine of
// its own.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, n)
	var wg sync.WaitGroup
	for i := range n { // wrong: n goroutines, not GOMAXPROCS
		wg.Go(func() {
			if ctx.Err() == nil {
				results[i] = task(i)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
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
