// Wrong: a job whose handler stops because ctx is done is neither acked nor nak'ed, so it waits out AckWait before any worker can have it.
// "The server will deliver it again anyway": it will, but only after
// AckWait.
// Caught by: TestShutdownHandsBackJobsInFlight, TestAtMostLimitJobsInFlight, TestJobFinishedAtShutdownIsStored
package taskqueue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
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
	if limit < 1 {
		return fmt.Errorf("taskqueue: limit = %d; want at least 1", limit)
	}
	// The handlers' ctx ends with ours, or when a pull fails.
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	slots := make(chan struct{}, limit) // one token per job in flight
	var wg sync.WaitGroup
	defer wg.Wait() // every job in flight is settled when Work returns

	for {
		// A free slot first, then a job: a job we have pulled is a job no
		// other worker can have until we settle it.
		select {
		case slots <- struct{}{}: // a slot is free
		case <-ctx.Done(): // stopping, every slot taken
			return ctx.Err()
		}
		// A pull with ctx done would still reach the server, which could
		// hand it a job that nobody then reads: that job would wait out
		// AckWait. So we look at ctx before we pull.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg, err := cons.Next(jetstream.FetchContext(ctx))
		if msg != nil {
			// Next may return a job even if ctx is done by now: do
			// settles it either way.
			wg.Go(func() {
				defer func() { <-slots }() // after the settle: the slot is free
				do(hctx, msg, results, handle)
			})
			continue
		}
		<-slots
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, nats.ErrTimeout):
			// The pull expired with no job (after 30 s): pull again.
		default:
			cancel() // the jobs in flight are handed back, as on a stop
			return fmt.Errorf("taskqueue: pulling a job: %w", err)
		}
	}
}

// do does one job and settles it: an ack, or a nak.
//
// Ack and Nak send a message and return: they fail only if the connection
// is closed, and then the server delivers the job again after AckWait
// anyway, so their errors change nothing here.
func do(ctx context.Context, msg jetstream.Msg, results jetstream.KeyValue, handle Handler) {
	meta, err := msg.Metadata()
	if err != nil || ctx.Err() != nil {
		retry(ctx, msg) // not a JetStream message (it cannot be), or stopping
		return
	}
	job := Job{
		ID:       msg.Headers().Get(jetstream.MsgIDHeader),
		Data:     msg.Data(),
		Delivery: int(meta.NumDelivered),
	}

	// Delivery is at least once: look before doing the job again.
	_, err = results.Get(ctx, job.ID)
	switch {
	case err == nil:
		_ = msg.Ack() // done by an earlier delivery: its ack was lost
		return
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		retry(ctx, msg) // we cannot tell: later
		return
	}

	out, err := handle(ctx, job)
	if err != nil {
		retry(ctx, msg)
		return
	}
	// The result is stored even if ctx is done by now: the work is done,
	// and a cancelled ctx would make the store fail. jetstream gives a
	// ctx without a deadline its default timeout (5 s).
	if _, err := results.Put(context.WithoutCancel(ctx), job.ID, out); err != nil {
		retry(ctx, msg)
		return
	}
	_ = msg.Ack() // only now: a crash before this line runs the job again
}

// retry naks msg: with RetryDelay after a failure, at once when we are
// stopping (the job did not fail; another worker should have it now).
func retry(ctx context.Context, msg jetstream.Msg) {
	if ctx.Err() != nil {
		return // we are stopping: AckWait will hand it to someone
	}
	_ = msg.NakWithDelay(RetryDelay)
}
