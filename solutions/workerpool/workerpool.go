// Package workerpool makes thumbnails for a batch of images with a
// bounded pool of workers.
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

	// We start n workers, however many images there are. They take
	// indexes from an unbuffered channel, so an index is handed over only
	// when a worker is free, and each writes results[i], the slot of its
	// own job: no two write the same element, and wg.Wait makes every
	// write visible to us.
	results := make([]Result, len(images))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(n, len(images)) {
		wg.Go(func() {
			for i := range jobs {
				thumb, err := f(ctx, images[i])
				results[i] = Result{Thumb: thumb, Err: err}
			}
		})
	}

	// We feed the indexes in order. We check ctx before each send, since
	// with ctx done and a worker free a select could take either case,
	// and we close jobs once, after the last send, which ends the
	// workers' loops.
	for i := range images {
		if ctx.Err() != nil {
			break
		}
		select {
		case jobs <- i: // a free worker took image i
		case <-ctx.Done(): // cancelled: start no more
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
