// Wrong: Fetch collects the results from a channel as they arrive, so they come in the order the fetches finish, not in the order of i.
// Caught by: TestFetchReturnsEveryResultInOrder
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
// goroutines at once, and returns the results in order.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, n)
	var next atomic.Int64 // the next index to hand out
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
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
// collects the results as they come.
func Fetch[T any](ctx context.Context, n int, fetch func(ctx context.Context, i int) (T, error)) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	values := make(chan T, n) // room for every result: no send blocks
	g, gctx := errgroup.WithContext(ctx)
	for i := range n {
		g.Go(func() error {
			v, err := fetch(gctx, i)
			if err != nil {
				return fmt.Errorf("fetch %d: %w", i, err)
			}
			values <- v
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
	close(values)
	results := make([]T, 0, n)
	for v := range values { // wrong: the finishing order
		results = append(results, v)
	}
	return results, nil
}
