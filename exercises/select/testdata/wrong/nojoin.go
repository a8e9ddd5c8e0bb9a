// Wrong: First cancels the losers but returns without waiting for them, so their calls are still running when it returns.
// Caught by: TestWaitsForLosersToStop
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
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan answer, len(replicas))
	var wg sync.WaitGroup
	for i, replica := range replicas {
		wg.Go(func() {
			value, err := replica(rctx, query)
			answers <- answer{i, value, err}
		})
	}
	errs := make([]error, len(replicas))
	for range replicas {
		select {
		case a := <-answers:
			if a.err == nil {
				return a.value, nil // wrong: the deferred cancel runs, but nobody waits
			}
			errs[a.i] = fmt.Errorf("replica %d: %w", a.i, a.err)
		case <-rctx.Done():
			return "", ctx.Err()
		}
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", errors.Join(errs...)
}
