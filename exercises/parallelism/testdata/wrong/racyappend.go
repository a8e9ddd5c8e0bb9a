// Wrong: Compute's workers append each result to one shared slice, with no lock: a data race, and the results come in the order the tasks finish.
// Two appends at once can both write the same element, or both replace
// the slice header, and lose a result. Even with a lock, the order would
// be the finishing order: results[i] must be task(i)'s.
// Caught by: TestComputeResultsInInputOrder
package parallelism

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Compute calls task(i) for every i from 0 to n-1, on at most GOMAXPROCS
// goroutines at once, and collects the results.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, 0, n)
	var next atomic.Int64 // the next index to hand out
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				results = append(results, task(i)) // wrong: shared, unlocked, finishing order
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
