// Wrong: First asks the replicas one after another, so a slow first replica delays everything.
// Caught by: TestReturnsTheFastestAnswer
package query

import (
	"context"
	"errors"
	"fmt"
)

var ErrNoReplicas = errors.New("query: no replicas")

type Replica func(ctx context.Context, query string) (string, error)

func First(ctx context.Context, query string, replicas ...Replica) (string, error) {
	if len(replicas) == 0 {
		return "", ErrNoReplicas
	}
	errs := make([]error, len(replicas))
	for i, replica := range replicas {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		value, err := replica(ctx, query) // wrong: one at a time
		if err == nil {
			return value, nil
		}
		errs[i] = fmt.Errorf("replica %d: %w", i, err)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", errors.Join(errs...)
}
