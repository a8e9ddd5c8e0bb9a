// Wrong: Fetch returns at the first error without waiting for the other fetches, leaving their goroutines running after it returns.
// It cancels them, but a cancelled fetch takes time to stop (closing its
// connection, say), and nothing waits for it: the goroutine outlives the
// call, and may still be writing its result.
// Caught by: TestFetchFirstErrorCancelsTheRest
package parallelism

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
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
// returns the results in order, or the first error.
func Fetch[T any](ctx context.Context, n int, fetch func(ctx context.Context, i int) (T, error)) ([]T, error) {
	if n < 0 {
		panic("parallelism: n is negative")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, n)
	errs := make(chan error, n) // room for every outcome: no send blocks
	for i := range n {
		go func() {
			v, err := fetch(ctx, i)
			if err != nil {
				errs <- fmt.Errorf("fetch %d: %w", i, err)
				return
			}
			results[i] = v
			errs <- nil
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			return nil, err // wrong: the other fetches are still running
		}
	}
	return results, nil
}
