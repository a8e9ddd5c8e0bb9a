// Wrong: Compute starts one goroutine per task and lets GOMAXPROCS of them in at a time with a semaphore, so it has n goroutines where GOMAXPROCS would do.
// At most GOMAXPROCS tasks run at once, as asked, but the other goroutines
// exist the whole time, parked on the semaphore: a million tasks make a
// million goroutines, kilobytes of stack each, to do what GOMAXPROCS
// workers taking task after task do. (errgroup's SetLimit, which the
// lesson uses, blocks in Go instead, so it never has more goroutines than
// its limit.)
// Caught by: TestComputeAtMostGOMAXPROCSAtOnce
package parallelism

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Compute calls task(i) for every i from 0 to n-1, on a goroutine per
// task, GOMAXPROCS of them at a time.
func Compute[T any](ctx context.Context, n int, task func(i int) T) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]T, n)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)) // a token per thread
	var wg sync.WaitGroup
	for i := range n { // wrong: n goroutines, most of them only waiting
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
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
