package taskqueue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultPullWait is how long one pull waits on the server for jobs
// unless [Worker.PullWait] says otherwise.
const DefaultPullWait = time.Second

// flushTimeout bounds the wait, at the end of Run, for the server to have
// read the worker's last naks; it only matters when the server is gone.
const flushTimeout = 5 * time.Second

// A Handler does one job and returns its result. It must return soon
// after ctx is done, which happens when the worker stops; the job is then
// given back to the queue whatever the handler returns. A handler may run
// more than once for the same job (see the package doc): make it
// idempotent.
type Handler func(ctx context.Context, job Job) ([]byte, error)

// DefaultBackoff is the delay before a failed job is delivered again
// unless [Worker.Backoff] says otherwise: 1 s after the first failed
// attempt, doubling after each one, and at most a minute.
func DefaultBackoff(attempt int) time.Duration {
	if attempt > 6 {
		return time.Minute
	}
	return time.Second << max(attempt-1, 0)
}

// A Worker takes jobs from a queue and runs its handler on them, at most
// Concurrency at once. Set its fields before [Worker.Run] and do not
// change them while it runs; a Worker holds no state of its own, so Run
// may be called again after it returns, or by several goroutines at once.
type Worker struct {
	// Queue is where the jobs come from. Required.
	Queue *Queue

	// Handler does a job. Required.
	Handler Handler

	// Concurrency is the most jobs the worker has at once, pulled from
	// the server and not yet acked or nak'ed. 0 means 1.
	Concurrency int

	// Backoff returns how long the server waits before it delivers
	// again a job whose attempt-th attempt failed. nil means
	// DefaultBackoff.
	Backoff func(attempt int) time.Duration

	// Heartbeat is how often the worker tells the server that a job is
	// still running, which restarts its AckWait. 0 means a third of the
	// queue's AckWait.
	Heartbeat time.Duration

	// PullWait is how long one pull waits on the server for jobs when
	// there are none; Run may take this long to return after ctx is
	// done. 0 means DefaultPullWait.
	PullWait time.Duration

	// ErrorLog receives the errors that do not stop the worker: a
	// handler's error, a result that could not be stored, a failed pull.
	// nil means no logging.
	ErrorLog *log.Logger

	// afterStore, if set, is called after a job's result is stored and
	// before its ack is sent: the tests crash a worker there.
	afterStore func(Job)
}

// Run pulls jobs from w.Queue and runs w.Handler on each, with at most
// w.Concurrency jobs in flight, until ctx is done or the connection or
// the consumer is gone. It pulls only as many jobs as it has free slots,
// so that no job waits in a worker's buffer.
//
// For each job, Run calls the handler in a goroutine of its own and,
// while it runs, sends the server a heartbeat every w.Heartbeat. If the
// handler returns nil, Run stores its result in the results bucket under
// the job's ID, replacing any earlier result, and then acks the job and
// waits for the server to confirm the ack. If the handler returns an
// error, Run naks the job with a delay of w.Backoff(attempt); after the
// queue's MaxDeliver failed attempts, it moves the job to the dead
// letters, with the error, instead. A result that cannot be stored is a
// failed attempt too.
//
// When ctx is done, Run stops pulling, cancels the ctx of every running
// handler, and naks, with no delay, the job of each handler that returns
// an error, and any job that reaches it from its last pull, so that
// another worker gets them at once instead of after AckWait. A handler
// that returns nil then still has its result stored and its job acked.
// Run returns when every goroutine it started has ended, and every nak
// and ack it sent has reached the server: ctx.Err() after ctx is done,
// or the error that stopped it (a closed connection, a deleted consumer).
// Errors that do not stop it go to w.ErrorLog.
//
// A panic in the handler is not recovered: it ends the program, and the
// job is delivered again after AckWait.
func (w *Worker) Run(ctx context.Context) error {
	switch {
	case w.Queue == nil:
		return errors.New("taskqueue: Worker.Queue is nil")
	case w.Handler == nil:
		return errors.New("taskqueue: Worker.Handler is nil")
	case w.Concurrency < 0:
		return fmt.Errorf("taskqueue: Worker.Concurrency is negative (%d)", w.Concurrency)
	case w.Heartbeat < 0 || w.PullWait < 0:
		return errors.New("taskqueue: Worker.Heartbeat and Worker.PullWait must not be negative")
	}
	n := max(w.Concurrency, 1)
	// slots holds a token for each job in flight: its size is the limit.
	slots := make(chan struct{}, n)
	var jobs sync.WaitGroup
	err := w.pull(ctx, slots, &jobs)
	jobs.Wait()
	// A nak is sent without waiting for the server: we flush, so that
	// every one has reached it when Run returns.
	if !w.Queue.nc.IsClosed() {
		_ = w.Queue.nc.FlushTimeout(flushTimeout)
	}
	return err
}

// pull is Run's loop: it pulls jobs while it has free slots, and starts a
// goroutine for each job, in jobs.
func (w *Worker) pull(ctx context.Context, slots chan struct{}, jobs *sync.WaitGroup) error {
	wait := cmp.Or(w.PullWait, DefaultPullWait)
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// We wait for a free slot, then take every other free one.
		select {
		case slots <- struct{}{}: // a job has returned its slot
		case <-ctx.Done(): // we are stopping
			return ctx.Err()
		}
		free := 1
	more:
		for free < cap(slots) {
			select {
			case slots <- struct{}{}: // another free slot
				free++
			default: // no more: pull for these
				break more
			}
		}

		// We ask for as many jobs as we have free slots, never more: a
		// job we held in a buffer would wait there for our other jobs,
		// and if we crashed, it would wait out AckWait.
		batch, err := w.Queue.cons.Fetch(free, jetstream.FetchMaxWait(wait))
		if err != nil {
			release(slots, free)
			if stop := w.pullFailed(ctx, err, wait); stop != nil {
				return stop
			}
			continue
		}
		// A pull cannot be called back without losing the jobs already on
		// their way, so even when ctx is done we read the batch to its end
		// (at most wait), and nak what comes.
		for msg := range batch.Messages() {
			free--
			if ctx.Err() != nil {
				_ = msg.Nak() // we are stopping: give it back at once
				<-slots
				continue
			}
			jobs.Go(func() {
				defer func() { <-slots }()
				w.process(ctx, msg)
			})
		}
		release(slots, free)
		if err := batch.Error(); err != nil {
			if stop := w.pullFailed(ctx, err, wait); stop != nil {
				return stop
			}
		}
	}
}

// release gives back n slots.
func release(slots <-chan struct{}, n int) {
	for range n {
		<-slots
	}
}

// pullFailed decides what a failed pull means: an error to stop Run with,
// or nil to pull again, after a pause so as not to spin.
func (w *Worker) pullFailed(ctx context.Context, err error, pause time.Duration) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, jetstream.ErrConsumerDeleted),
		errors.Is(err, jetstream.ErrConsumerNotFound),
		errors.Is(err, jetstream.ErrJetStreamNotEnabled):
		return fmt.Errorf("taskqueue: worker: pull: %w", err)
	}
	w.logf("taskqueue: worker: pull: %v (pulling again in %v)", err, pause)
	t := time.NewTimer(pause)
	defer t.Stop()
	select {
	case <-t.C: // time to try again
		return nil
	case <-ctx.Done(): // we are stopping
		return ctx.Err()
	}
}

func (w *Worker) logf(format string, args ...any) {
	if w.ErrorLog != nil {
		w.ErrorLog.Printf(format, args...)
	}
}

// process runs one job, from its delivery to its ack, nak or dead letter.
func (w *Worker) process(ctx context.Context, msg jetstream.Msg) {
	q := w.Queue
	md, err := msg.Metadata()
	if err != nil {
		w.logf("taskqueue: worker: a message without metadata: %v", err)
		return // not from JetStream: there is nothing to ack
	}
	job := Job{ID: msg.Headers().Get(jetstream.MsgIDHeader), Data: msg.Data(), Attempt: int(md.NumDelivered)}
	// The ack, the store and the dead letter must be done even when ctx is
	// done: a finished job is not given back. Without a deadline, each
	// request gives up after the client's default timeout (5 s).
	finish := context.WithoutCancel(ctx)

	switch {
	case job.ID == "":
		job.ID = "seq-" + strconv.FormatUint(md.Sequence.Stream, 10)
		w.bury(finish, msg, md, job, "no job ID (Nats-Msg-Id): not enqueued by taskqueue")
		return
	case job.Attempt > q.cfg.MaxDeliver:
		// The consumer's extra delivery: the last attempt ended without
		// an answer.
		job.Attempt = q.cfg.MaxDeliver
		w.bury(finish, msg, md, job, fmt.Sprintf(
			"attempt %d of %d ended without an answer: its worker crashed or stopped, or it ran past AckWait without a heartbeat",
			job.Attempt, q.cfg.MaxDeliver))
		return
	}

	result, err := w.handle(ctx, msg, job)
	if err == nil {
		if _, err = q.results.Put(finish, job.ID, result); err != nil {
			err = fmt.Errorf("storing the result: %w", err)
		}
	}
	switch {
	case err == nil:
		if w.afterStore != nil {
			w.afterStore(job)
		}
		// The result is stored: now we ack, and wait for the server's
		// confirmation, which a plain Ack does not give. Should the ack
		// be lost all the same, the job runs again and its result
		// replaces this one.
		if err := msg.DoubleAck(finish); err != nil {
			w.logf("taskqueue: worker: job %s: ack: %v", job.ID, err)
		}
	case ctx.Err() != nil:
		// We are stopping: the job goes back to the queue at once.
		_ = msg.Nak()
	case job.Attempt >= q.cfg.MaxDeliver:
		w.logf("taskqueue: worker: job %s: attempt %d of %d: %v", job.ID, job.Attempt, q.cfg.MaxDeliver, err)
		w.bury(finish, msg, md, job, err.Error())
	default:
		backoff := w.Backoff
		if backoff == nil {
			backoff = DefaultBackoff
		}
		delay := backoff(job.Attempt)
		w.logf("taskqueue: worker: job %s: attempt %d of %d: %v (again in %v)", job.ID, job.Attempt, q.cfg.MaxDeliver, err, delay)
		_ = msg.NakWithDelay(delay)
	}
}

// handle calls the handler in a goroutine of its own and sends a
// heartbeat every w.Heartbeat until it returns.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg, job Job) ([]byte, error) {
	type outcome struct {
		result []byte
		err    error
	}
	done := make(chan outcome)
	go func() {
		r, err := w.Handler(ctx, job)
		done <- outcome{r, err}
	}()
	tick := time.NewTicker(cmp.Or(w.Heartbeat, w.Queue.cfg.AckWait/3))
	defer tick.Stop()
	for {
		select {
		case o := <-done: // the handler has returned: its goroutine ends
			return o.result, o.err
		case <-tick.C: // still running: the server restarts its AckWait
			_ = msg.InProgress()
		}
	}
}

// bury moves a job to the dead letters, with errText, and then removes it
// from the work queue with a confirmed ack. The dead letter's message ID
// is the job's ID and its sequence in the work stream, so that burying
// the same delivery twice (if the ack were lost) stores it once.
func (w *Worker) bury(ctx context.Context, msg jetstream.Msg, md *jetstream.MsgMetadata, job Job, errText string) {
	q := w.Queue
	m := nats.NewMsg(q.deadSubject(job.ID))
	m.Data = job.Data
	m.Header.Set(HeaderJobID, job.ID)
	m.Header.Set(HeaderAttempts, strconv.Itoa(job.Attempt))
	m.Header.Set(HeaderError, oneLine(errText))
	id := job.ID + "@" + strconv.FormatUint(md.Sequence.Stream, 10)
	if _, err := q.js.PublishMsg(ctx, m, jetstream.WithMsgID(id), jetstream.WithExpectStream(q.cfg.Name+"_DEAD")); err != nil {
		// The job stays in the queue; if this was its last delivery,
		// it stays there undelivered, and the server's
		// MAX_DELIVERIES advisory is its only trace.
		w.logf("taskqueue: worker: job %s: moving it to the dead letters: %v", job.ID, err)
		_ = msg.Nak()
		return
	}
	if err := msg.DoubleAck(ctx); err != nil {
		w.logf("taskqueue: worker: job %s: ack after moving it to the dead letters: %v", job.ID, err)
	}
}
