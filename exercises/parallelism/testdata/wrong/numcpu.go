// Wrong: Compute starts runtime.NumCPU() workers, not runtime.GOMAXPROCS(0), so it uses the wrong number of threads whenever the two differ.
// NumCPU counts the CPUs the process may run on; GOMAXPROCS is how many
// threads may run Go code at once, which the GOMAXPROCS variable, a
// container's CPU limit or runtime.GOMAXPROCS set lower or higher. Here
// the tests set it to one more than NumCPU, and half the threads idle.
// Caught by: TestComputeKeepsEveryThreadBusy
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
	for range min(runtime.NumCPU(), n) { // wrong: not GOMAXPROCS
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
