// Wrong: First waits for every replica to finish before it picks the first good answer, so it returns at the slowest replica's time.
// Caught by: TestReturnsTheFastestAnswer, TestLosersAreCancelledAtOnce
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
			value, err := replica(ctx, query)
			answers <- answer{i, value, err}
		})
	}
	wg.Wait() // wrong: waits for the slowest, and nobody cancels the losers
	close(answers)
	errs := make([]error, len(replicas))
	for a := range answers {
		if a.err == nil {
			return a.value, nil
		}
		errs[a.i] = fmt.Errorf("replica %d: %w", a.i, a.err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", errors.Join(errs...)
}
