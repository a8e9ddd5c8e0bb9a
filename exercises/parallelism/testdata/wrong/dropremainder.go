// Wrong: Compute gives each of the GOMAXPROCS workers n/GOMAXPROCS tasks, so the n%GOMAXPROCS tasks left over are never computed.
// With fewer tasks than GOMAXPROCS, n/GOMAXPROCS is 0 and nothing is
// computed at all. Their elements of the results stay zero.
// Caught by: TestComputeReturnsEveryResult, TestComputeResultsInInputOrder
package parallelism

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Compute calls task(i) for every i from 0 to n-1, in GOMAXPROCS chunks.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, n)
	workers := runtime.GOMAXPROCS(0)
	size := n / workers // wrong: rounds down, and nobody takes the rest
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w * size; i < (w+1)*size && ctx.Err() == nil; i++ {
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
