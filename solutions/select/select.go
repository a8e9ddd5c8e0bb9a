// Package query sends one query to several replicas of a service at once
// and keeps the first good answer: the "hedged request" that cuts the
// tail latency of a read, Go's answer to asyncio.wait with
// return_when=FIRST_COMPLETED followed by cancelling the pending tasks.
//
// The package is named for what it does. It is the one exercise whose
// package is not named after its directory: the directory is named after
// the lesson, select, which is a Go keyword and cannot name a package.
package query

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrNoReplicas is returned by First when it is given no replica to ask.
var ErrNoReplicas = errors.New("query: no replicas")

// A Replica answers a query. It must return promptly once ctx is done,
// with an error (ctx.Err(), typically).
type Replica func(ctx context.Context, query string) (string, error)

// First sends query to every replica at once, each in its own goroutine,
// and returns the first answer that comes with a nil error.
//
// As soon as one replica answers, First cancels the context it gave the
// others. It returns only after every replica call has returned, so it
// leaves no goroutine behind, and whatever the replicas did happens before
// First returns. A failed answer does not win: First waits for the others.
//
// If every replica fails, First returns their errors joined (errors.Join),
// each wrapped as "replica i: ..." and in the order of replicas, not the
// order they failed in. If ctx is done before any replica has answered
// (its deadline passed, or it was cancelled), First cancels every replica,
// waits for them, and returns ctx.Err(), dropping the errors it has seen so
// far; if ctx is already done when First is called, it returns ctx.Err()
// without calling any replica. An answer and the end of ctx at the very
// same moment may go either way. With no replicas, First returns
// ErrNoReplicas.
func First(ctx context.Context, query string, replicas ...Replica) (string, error) {
	if len(replicas) == 0 {
		return "", ErrNoReplicas
	}
	// We look at ctx first: with ctx done and an answer ready, the select
	// below would pick either.
	if err := ctx.Err(); err != nil {
		return "", err
	}

	// The replicas get a context of their own, so that we can cancel the
	// losers without cancelling the caller's.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One buffer slot per replica: every replica can deliver its answer
	// and end, however early we stop receiving. With an unbuffered
	// channel, the losers would block forever on their sends.
	type answer struct {
		i     int // the replica's index in replicas
		value string
		err   error
	}
	answers := make(chan answer, len(replicas))
	var wg sync.WaitGroup
	for i, replica := range replicas {
		wg.Go(func() {
			value, err := replica(rctx, query)
			answers <- answer{i, value, err}
		})
	}

	// stop cancels the replicas still working and waits for all of them:
	// the join point of every goroutine we started, on every path.
	stop := func() {
		cancel()
		wg.Wait()
	}
	errs := make([]error, len(replicas)) // by index, so the order is fixed
	for range replicas {
		select {
		case a := <-answers: // a replica answered, or failed
			if a.err == nil {
				stop()
				return a.value, nil
			}
			errs[a.i] = fmt.Errorf("replica %d: %w", a.i, a.err)
		case <-rctx.Done(): // only ctx can end rctx while we loop
			stop()
			return "", ctx.Err()
		}
	}
	stop() // every replica has answered: this waits only for the goroutines to end

	// The last failures may have come because ctx ended (the replicas saw
	// it through rctx) before the select above saw ctx.Done(): we report
	// ctx's error, as documented, not theirs.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return "", errors.Join(errs...)
}
