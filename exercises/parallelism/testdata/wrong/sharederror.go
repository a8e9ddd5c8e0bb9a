// Wrong: Fetch's goroutines keep the first error in a shared variable that they check and set with no lock: a data race when two fetches fail at once.
// Both can see it nil and both write it, and nothing orders the two
// writes, nor the writes and the reads. The race detector reports it even
// when the error returned happens to be right. sync.Once, a mutex, or
// errgroup make "keep the first and cancel the rest" one step.
// Caught by: TestFetchTwoErrorsAtOnce
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
	var first error // wrong: shared by every goroutine, and nothing guards it
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := fetch(ctx, i)
			if err != nil {
				if first == nil {
					first = fmt.Errorf("fetch %d: %w", i, err)
					cancel()
				}
				return
			}
			results[i] = v
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil && first == nil {
		return nil, err
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}
