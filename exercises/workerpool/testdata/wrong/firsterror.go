// Wrong: errgroup.WithContext's policy: the first error wins, cancels the
// other images and is returned with no results, so the other images' thumbs
// and errors are lost.
// Caught by: TestEveryErrorAtItsIndex
package workerpool

import (
	"context"

	"golang.org/x/sync/errgroup"
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	for i, img := range images {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			thumb, err := f(gctx, img)
			if err != nil {
				return err
			}
			results[i] = Result{Thumb: thumb}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return results, nil
}
