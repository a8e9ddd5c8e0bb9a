// Wrong: an unbuffered answers channel and an early return without wg.Wait: the losers block forever.
// Caught by: TestNoGoroutineLeftBehind
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
	answers := make(chan answer) // wrong: nobody receives after First returns
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
				return a.value, nil // wrong: no wg.Wait, and the losers' sends block
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
