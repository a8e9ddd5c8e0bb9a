// Wrong: First returns the first response, even when it is an error, instead of waiting for a good one.
// Caught by: TestFailureDoesNotWin, TestAllFail
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
	answers := make(chan answer, len(replicas))
	var wg sync.WaitGroup
	for i, replica := range replicas {
		wg.Go(func() {
			value, err := replica(rctx, query)
			answers <- answer{i, value, err}
		})
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	select {
	case a := <-answers: // wrong: a failure wins too
		if a.err != nil {
			return "", fmt.Errorf("replica %d: %w", a.i, a.err)
		}
		return a.value, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
