// Wrong: one goroutine per image, all started at once, with no limit: n is
// only checked, never used, so every image is shrunk at the same time.
// Caught by: TestAtMostNAtOnce
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
	results := make([]Result, len(images))
	var wg sync.WaitGroup
	for i, img := range images {
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			thumb, err := f(ctx, img)
			results[i] = Result{Thumb: thumb, Err: err}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
