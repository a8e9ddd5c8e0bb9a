// Wrong: Gather collects every fn's error and returns them all with errors.Join, not the first one alone.
// The first error cancels the others, so their context.Canceled comes
// back too, joined to the one that mattered: "fn 1: context canceled",
// "fn 2: boom", ... The doc comment says the errors after the first are
// dropped.
// Caught by: TestFirstErrorCancelsTheRest, TestCallerContextIsHonoured/deadline
package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, len(fns))
	errs := make([]error, len(fns)) // each goroutine writes its own slot
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			v, err := fn(ctx)
			if err != nil {
				errs[i] = fmt.Errorf("fn %d: %w", i, err)
				cancel()
				return
			}
			results[i] = v
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err // wrong: every error, not the first
	}
	return results, nil
}
