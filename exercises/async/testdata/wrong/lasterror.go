// Wrong: every error overwrites the one before, so Gather returns the last error (a cancelled fn's context.Canceled), not the first.
// Caught by: TestFirstErrorCancelsTheRest
package async

import (
	"context"
	"fmt"
	"sync"
)

func Gather[T any](ctx context.Context, fns ...func(context.Context) (T, error)) ([]T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]T, len(fns))
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // protects last
		last error
	)
	for i, fn := range fns {
		wg.Go(func() {
			v, err := fn(ctx)
			if err != nil {
				mu.Lock()
				last = fmt.Errorf("fn %d: %w", i, err) // wrong: the last one wins
				mu.Unlock()
				cancel()
				return
			}
			results[i] = v
		})
	}
	wg.Wait()
	if last != nil {
		return nil, last
	}
	return results, nil
}
