// Wrong: Gather calls the fns one after another, so n fns of 1s take n seconds.
// Caught by: TestRunsConcurrently, TestFirstErrorCancelsTheRest
package async

import (
	"context"
	"fmt"
)

func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	results := make([]T, len(fns))
	for i, fn := range fns { // wrong: no goroutines
		v, err := fn(ctx)
		if err != nil {
			return nil, fmt.Errorf("fn %d: %w", i, err)
		}
		results[i] = v
	}
	return results, nil
}
