// Wrong: First returns the first good answer but never cancels the losers, which run to completion after it returned.
// Caught by: TestLosersAreCancelledAtOnce
package query

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

var ErrNoReplicas = errors.New("query: no replicas")

type Replica func(ctx context.Context, query string) (string, error)

type answer struct {
	i     int
	value string
	err   error
}

func First(ctx context.Context, query string, replicas ...Replica) (string, error) {
	if len(replicas) == 0 {
		return "", ErrNoReplicas
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	answers := make(chan answer, len(replicas))
	var wg sync.WaitGroup
	for i, replica := range replicas {
		wg.Go(func() {
			value, err := replica(ctx, query) // wrong: no context of our own to cancel
			answers <- answer{i, value, err}
		})
	}
	errs := make([]error, len(replicas))
	for range replicas {
		select {
		case a := <-answers:
			if a.err == nil {
				return a.value, nil // the losers keep running, unjoined
			}
			errs[a.i] = fmt.Errorf("replica %d: %w", a.i, a.err)
		case <-ctx.Done():
			wg.Wait()
			return "", ctx.Err()
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", errors.Join(errs...)
}
