// Wrong: Gather waits for every fn but does not cancel the others on the first error, so it returns when the slowest finishes.
// Caught by: TestFirstErrorCancelsTheRest, TestNoGoroutineLeftBehind
package async

import (
	"context"
	"fmt"
	"sync"
)

func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	results := make([]T, len(fns))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i, fn := range fns {
		wg.Go(func() {
			v, err := fn(ctx)
			if err != nil {
				once.Do(func() { first = fmt.Errorf("fn %d: %w", i, err) }) // wrong: no cancel
				return
			}
			results[i] = v
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return results, nil
}
