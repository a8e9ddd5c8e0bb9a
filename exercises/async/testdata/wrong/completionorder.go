// Wrong: Gather appends each result as it arrives, so the results come in the order the fns finish, not the order of the fns.
// Caught by: TestResultsInArgumentOrder
package async

import (
	"context"
	"fmt"
	"sync"
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
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Go(func() {
			v, err := fn(ctx)
			if err != nil {
				cancel()
			}
			done <- result{i, v, err}
		})
	}
	wg.Wait()
	close(done)
	results := []T{}
	var first error
	for r := range done { // in the order they finished
		if r.err != nil && first == nil {
			first = fmt.Errorf("fn %d: %w", r.i, r.err)
		}
		results = append(results, r.v) // wrong: not results[r.i]
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}
