// Package workerpool makes thumbnails for a batch of images with a
// bounded pool of workers.
package workerpool

import "context"

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
	// TODO: panic("workerpool: n must be at least 1") if n < 1.

	// TODO: make the results slice, one Result per image, and start n
	// workers (no more, however many images there are). Each takes image
	// indexes from a channel until it is closed, calls f, and writes the
	// Result to results[i], the slot of its own image.

	// TODO: feed the indexes in order, each send in a select with
	// ctx.Done(); check ctx.Err() before each one, and stop feeding once
	// ctx is done. Then close the channel: only the sender closes.

	// TODO: wait for the workers; return nil and ctx.Err() if ctx is done,
	// or the results.
	return nil, nil
}
