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
	// TODO: handle no replicas, and a ctx that is already done.

	// TODO: give the replicas a context of your own, which you can cancel
	// without cancelling the caller's.

	// TODO: start one goroutine per replica. Each sends its answer on a
	// channel that can never leave it blocked, however early you stop
	// receiving.

	// TODO: select on the answers and ctx.Done(): keep the first good
	// answer, remember the errors, and give up when ctx is done. On every
	// way out, cancel the replicas and wait for all of them to return.
	return "", nil
}
