// Wrong: First never watches ctx itself but relies on the replicas, so a done ctx comes back as their errors.
// Caught by: TestContextDoneFirst, TestAlreadyDoneContext
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
	errs := make([]error, len(replicas))
	for range replicas {
		a := <-answers // wrong: no case for ctx.Done()
		if a.err == nil {
			return a.value, nil
		}
		errs[a.i] = fmt.Errorf("replica %d: %w", a.i, a.err)
	}
	return "", errors.Join(errs...)
}
