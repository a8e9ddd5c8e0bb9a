// Package taskqueue is the worker's side of a task queue on NATS
// JetStream, Celery's worker with acks_late, written by hand with the
// jetstream package: Work pulls jobs from a work-queue stream's consumer
// and runs a handler on each, at most limit at a time; it stores each
// result in a key-value bucket under the job's ID and acks the job only
// then; a job that comes back after its result was stored is acked
// without running again; a job whose handler fails is retried after
// RetryDelay; and when its ctx is done, it hands every job in flight back
// to the queue at once.
package taskqueue

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A Job is one job of the queue, as Work hands it to the handler.
type Job struct {
	ID       string // the job's ID: its message's Nats-Msg-Id header, which the producer sets
	Data     []byte // its message's payload
	Delivery int    // which delivery of the job this is: 1 the first time, 2 the next, ...
}

// A Handler does one job and returns its result. When its ctx is done it
// should stop and return ctx's error.
type Handler func(ctx context.Context, job Job) ([]byte, error)

// RetryDelay is how long a job whose handler failed waits before the
// queue delivers it again: Work naks it with this delay.
const RetryDelay = 100 * time.Millisecond

// Work pulls jobs from cons and runs handle on each, each in a goroutine
// of its own, with at most limit jobs in flight at once, until ctx is
// done. A job is in flight from the moment Work asks the server for it
// until Work has acked or nak'ed it: so Work asks for a job only when it
// has a free slot, one job at a time (Next or Fetch(1), bounded by
// FetchContext), never ahead (Consume and Messages pull hundreds ahead).
//
// For each job, Work first looks in results: a value under the job's ID
// means that an earlier delivery did the job and its worker died before
// the ack, and Work acks the job without calling handle. Otherwise it
// calls handle; on success it stores the result in results under the
// job's ID and acks the job once the store has returned, never before.
// If handle, or the store, fails, Work naks the job with RetryDelay, so
// that it comes back later. Work never terminates a job.
//
// When ctx is done, Work stops pulling, and the ctx of every handler
// still running is done too. A job whose handler then returns an error is
// nak'ed at once, with no delay, so that another worker can take it now
// rather than after the consumer's AckWait; a job whose handler returns a
// result even so has it stored and acked: the work is not thrown away.
// Work returns ctx.Err() once every job in flight is acked or nak'ed and
// every goroutine it started has returned. If ctx is done before the
// call, Work pulls nothing.
//
// A pull that fails, other than one that expired with no job
// (nats.ErrTimeout), ends Work in the same way, and Work returns the
// pull's error. A limit below 1 is an error, and Work then pulls nothing.
func Work(ctx context.Context, cons jetstream.Consumer, results jetstream.KeyValue,
	limit int, handle Handler) error {
	// TODO: reject a limit below 1 ("taskqueue: limit = 0; want at least
	// 1"), before pulling anything.
	//
	// TODO: loop: take a free slot (a buffered channel of limit tokens),
	// then, unless ctx is done, pull one job:
	// cons.Next(jetstream.FetchContext(ctx)). Run each job in a goroutine
	// of its own, which frees its slot once the job is settled. A pull
	// that expired (nats.ErrTimeout): pull again. Any other error: stop,
	// as for ctx, and return it.
	//
	// TODO: for each job: its ID is msg.Headers().Get(jetstream.MsgIDHeader),
	// its Delivery the NumDelivered of msg.Metadata(). If results holds
	// its ID, ack it and do nothing else. Otherwise call handle, Put the
	// result under the ID, and only then Ack. On a failure, NakWithDelay
	// with RetryDelay, or, once ctx is done, Nak at once. Store a result
	// even if ctx is done by then (context.WithoutCancel).
	//
	// TODO: when ctx is done, wait for every job in flight to be settled,
	// then return ctx.Err().
	return nil
}
