// Wrong: the workers append each Result to the slice as they finish (under
// a lock), so the results come in finishing order, not input order.
// Caught by: TestResultsInInputOrder
package workerpool

import (
	"context"
	"sync"
)

// An Image is one picture to shrink.
type Image struct {
	Name          string
	Width, Height int
}

// A Thumb is the small version of an Image.
type Thumb struct {
	Name          string
	Width, Height int
}

// A Result is the outcome of one job: the Thumb if Err is nil, or the
// error the job returned.
type Result struct {
	Thumb Thumb
	Err   error
}

// Process calls f on every image, with at most n calls at once.
func Process(ctx context.Context, images []Image, n int,
	f func(context.Context, Image) (Thumb, error)) ([]Result, error) {
	if n < 1 {
		panic("workerpool: n must be at least 1")
	}
	var mu sync.Mutex // guards results
	results := make([]Result, 0, len(images))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(images)) {
		wg.Go(func() {
			for i := range jobs {
				thumb, err := f(ctx, images[i])
				mu.Lock()
				results = append(results, Result{Thumb: thumb, Err: err})
				mu.Unlock()
			}
		})
	}
	for i := range images {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
