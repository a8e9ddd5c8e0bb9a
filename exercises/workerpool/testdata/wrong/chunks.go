// Wrong: the images are split in advance into n chunks, one per worker, so a worker that finishes its chunk sits idle while another still has images waiting.
// At most n calls run at once, each result is at its index, and with
// images that all take as long nothing shows; but one slow image holds
// back every image behind it in its chunk, while the other workers have
// nothing left to do.
// Caught by: TestFreeWorkerTakesTheNextImage
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

// Process calls f on every image, with at most n calls in progress at any
// moment, and returns one Result per image, in input order: results[i] is
// what f(ctx, images[i]) returned, whatever order the calls finish in.
// Process panics if n is less than 1.
//
// A job that fails does not stop the others: its error is kept in its own
// Result, and Process returns a nil error. So every job's error is
// reported, at its index. A panic in f is not recovered: it is a bug, and
// it ends the program.
//
// If ctx is done, Process starts no more calls, waits for the calls in
// progress (f should return promptly once ctx is done), and returns nil
// and ctx.Err(). Every goroutine Process starts has returned when it
// returns.
func Process(ctx context.Context, images []Image, n int,
	f func(context.Context, Image) (Thumb, error)) ([]Result, error) {
	if n < 1 {
		panic("workerpool: n must be at least 1")
	}

	// We split the images into n chunks of about the same size, one per
	// worker, so that no channel is needed: worker w shrinks images
	// w*size, ..., (w+1)*size-1, and writes each result at its index.
	results := make([]Result, len(images))
	size := (len(images) + n - 1) / n // rounded up: no image is left out
	var wg sync.WaitGroup
	for start := 0; start < len(images); start += size {
		end := min(start+size, len(images))
		wg.Go(func() {
			for i := start; i < end; i++ {
				if ctx.Err() != nil {
					return // cancelled: start no more
				}
				thumb, err := f(ctx, images[i])
				results[i] = Result{Thumb: thumb, Err: err}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
