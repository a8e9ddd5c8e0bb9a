// Wrong: on the first error Gather cancels the others but returns without waiting for them, leaving their goroutines running.
// Caught by: TestFirstErrorCancelsTheRest, TestNoGoroutineLeftBehind
package async

import (
	"context"
	"fmt"
)

func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i   int
		v   T
		err error
	}
	done := make(chan result, len(fns)) // a slot each: no send ever blocks
	for i, fn := range fns {
		go func() {
			v, err := fn(ctx)
			done <- result{i, v, err}
		}()
	}
	results := make([]T, len(fns))
	for range fns {
		r := <-done
		if r.err != nil {
			return nil, fmt.Errorf("fn %d: %w", r.i, r.err) // wrong: no join
		}
		results[r.i] = r.v
	}
	return results, nil
}
