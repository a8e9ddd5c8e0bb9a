package main

// This file is the worker: the same code pulls jobs in a goroutine of the
// lesson (sections 3 and 4) and in a worker process (sections 5 to 7,
// and go run ./lessons/taskqueue -worker -nats URL on any machine).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The names of what the lesson keeps on the server.
const (
	streamName   = "TASKS"   // the work queue: one message per job
	consumerName = "workers" // the durable consumer every worker pulls from
	bucketName   = "results" // a key-value bucket: one result per job ID
	deadName     = "DEAD"    // jobs that failed MaxDeliver times
)

// retryDelay is how long a job that failed waits before the server
// delivers it again (NakWithDelay): a fixed backoff, short for the demo.
const retryDelay = 100 * time.Millisecond

// errorHeader carries a dead job's last error.
const errorHeader = "Taskqueue-Error"

// A task is a job's payload: what to compute, as JSON. A job's ID is not
// in it: it travels in the message's Nats-Msg-Id header.
type task struct {
	N    int           `json:"n"`              // the number to square
	Work time.Duration `json:"work,omitempty"` // how long the job takes: simulated work
}

// A result is what a worker stores under the job's ID.
type result struct {
	Value    int    `json:"value"`    // N squared
	Worker   string `json:"worker"`   // who did it
	Delivery int    `json:"delivery"` // on which delivery of the job
}

// square is the job's work: N squared, after Work of simulated work. A
// negative N is bad input, and fails every time: a poison job.
func square(ctx context.Context, t task) (int, error) {
	if t.N < 0 {
		return 0, fmt.Errorf("bad input: %d is negative", t.N)
	}
	if err := sleep(ctx, t.Work); err != nil { // the simulated work
		return 0, err
	}
	return t.N * t.N, nil
}

// An event is something a worker did, reported to the lesson: through a
// channel by a goroutine worker, as a line on stdout by a worker process.
type event struct {
	worker   string // its name, such as "worker 2"
	what     string // ready, start, done, skip, retry, dead or nak
	job      string // the job's ID; "" for ready
	delivery int    // which delivery of the job: 1, 2, ...
	detail   string // the result, or the error
}

// String is the line a worker process prints for e, which parseEvent
// reads back: "worker 2: done job-3 delivery 1: 9".
func (e event) String() string {
	s := e.worker + ": " + e.what
	if e.job != "" {
		s += fmt.Sprintf(" %s delivery %d", e.job, e.delivery)
	}
	if e.detail != "" {
		s += ": " + e.detail
	}
	return s
}

// eventLine matches what event.String prints.
var eventLine = regexp.MustCompile(`^(.+?): (\w+)(?: (\S+) delivery (\d+))?(?:: (.*))?$`)

// parseEvent reads back a line that event.String printed.
func parseEvent(line string) (event, bool) {
	m := eventLine.FindStringSubmatch(line)
	if m == nil {
		return event{}, false
	}
	d, _ := strconv.Atoi(m[4]) // "" for ready: 0
	return event{worker: m[1], what: m[2], job: m[3], delivery: d, detail: m[5]}, true
}

// A worker pulls jobs from cons one at a time and does them: it stores
// each result in results under the job's ID, and acks the job only then.
type worker struct {
	name       string
	js         jetstream.JetStream // to write dead letters
	cons       jetstream.Consumer
	results    jetstream.KeyValue
	ackWait    time.Duration // the consumer's: the heartbeat runs at a quarter of it
	maxDeliver int           // the consumer's: the last delivery goes to DEAD on failure
	report     func(event)   // tells the lesson what the worker did
}

// newWorker binds a worker to the lesson's consumer and bucket on js.
func newWorker(ctx context.Context, js jetstream.JetStream, name string,
	report func(event)) (*worker, error) {
	cons, err := js.Consumer(ctx, streamName, consumerName)
	if errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, jetstream.ErrConsumerNotFound) {
		// The lesson makes the queue when it starts, and deletes it at
		// the end: a worker started by hand works while the lesson runs.
		return nil, fmt.Errorf("no queue to work for at %s: stream %s: %w; start the lesson first",
			js.Conn().ConnectedUrl(), streamName, err)
	}
	if err != nil {
		return nil, fmt.Errorf("consumer %s of stream %s: %w", consumerName, streamName, err)
	}
	results, err := js.KeyValue(ctx, bucketName)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", bucketName, err)
	}
	cfg := cons.CachedInfo().Config
	return &worker{name: name, js: js, cons: cons, results: results,
		ackWait: cfg.AckWait, maxDeliver: cfg.MaxDeliver, report: report}, nil
}

// run pulls and does jobs until ctx is done, then returns nil; a job in
// hand then is nak'ed, so that another worker takes it at once. It
// returns an error if pulling fails (the connection is closed).
func (wk *worker) run(ctx context.Context) error {
	wk.report(event{worker: wk.name, what: "ready"})
	for {
		// We pull one job, and only when we are free to do it. Note that
		// Consume() would pull up to 500 ahead (section 4), and every job
		// pulled is a job nobody else can have until we ack it or die
		// and AckWait passes. FetchContext ends the wait when ctx is done.
		msg, err := wk.cons.Next(jetstream.FetchContext(ctx))
		switch {
		case msg != nil:
			wk.do(ctx, msg) // even if ctx is done now: do naks it then
		case ctx.Err() != nil:
			return nil // stopped, with no job in hand
		case errors.Is(err, nats.ErrTimeout):
			// No job for 30 s (the pull's default expiry): ask again.
		default:
			return fmt.Errorf("%s: pulling a job: %w", wk.name, err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// do does one job and settles it: ack, nak, or dead letter and term.
//
// Note that Ack, Nak, InProgress and Term send a message and do not wait
// for an answer: they fail only if the connection is closed, and then the
// job comes back after AckWait anyway, so we do not check them.
func (wk *worker) do(ctx context.Context, msg jetstream.Msg) {
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	meta, err := msg.Metadata()
	if err != nil {
		msg.Term() // not a JetStream message: nothing we can do with it
		return
	}
	ev := event{worker: wk.name, job: id, delivery: int(meta.NumDelivered)}
	say := func(what, detail string) {
		ev.what, ev.detail = what, detail
		wk.report(ev)
	}
	if ctx.Err() != nil {
		// We are stopping. Nak, not nothing: an unsettled job would wait
		// out AckWait before anyone else could take it.
		msg.Nak()
		say("nak", "stopping")
		return
	}

	// Delivery is at least once: a worker may have done this job, stored
	// its result and died before its ack reached the server. So we look
	// first, and a job whose result is stored is acked, not done again.
	if e, err := wk.results.Get(ctx, id); err == nil {
		var r result
		_ = json.Unmarshal(e.Value(), &r)
		msg.Ack()
		say("skip", "result already stored by "+r.Worker)
		return
	} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
		msg.NakWithDelay(retryDelay)
		say("retry", err.Error())
		return
	}

	say("start", "")
	var t task
	err = json.Unmarshal(msg.Data(), &t)
	var value int
	if err == nil {
		// A job may take longer than AckWait: we tell the server we are
		// still on it, every quarter of AckWait, until it is done.
		stop := wk.heartbeat(msg)
		value, err = square(ctx, t)
		stop()
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			msg.Nak() // we were stopped mid-job: someone else, at once
			say("nak", "stopping")
		case int(meta.NumDelivered) >= wk.maxDeliver:
			// The last delivery the consumer allows. Left alone, the
			// server would publish an advisory and keep the job in the
			// stream for ever; we move it to DEAD with its error, and
			// terminate it, which removes it from the work queue.
			if derr := wk.deadLetter(ctx, msg, id, err); derr != nil {
				msg.NakWithDelay(retryDelay)
				say("retry", derr.Error())
				return
			}
			msg.TermWithReason(err.Error())
			say("dead", err.Error())
		default:
			msg.NakWithDelay(retryDelay) // again, after a pause
			say("retry", err.Error())
		}
		return
	}

	// We store the result under the job's ID, then ack. In this order: a
	// crash between the two makes the job run again, and the second
	// result replaces the first (a Put, keyed by ID, never adds a second
	// one). The other order loses the job if we die in between.
	r, _ := json.Marshal(result{Value: value, Worker: wk.name, Delivery: ev.delivery})
	if _, err := wk.results.Put(ctx, id, r); err != nil {
		msg.NakWithDelay(retryDelay)
		say("retry", err.Error())
		return
	}
	// Note that Ack is fire and forget: if it is lost, the job runs again.
	// DoubleAck waits until the server has recorded it.
	if err := msg.DoubleAck(ctx); err != nil {
		say("retry", "ack: "+err.Error())
		return
	}
	say("done", strconv.Itoa(value))
}

// heartbeat calls msg.InProgress, which restarts the server's AckWait
// clock, every quarter of AckWait, until stop is called. stop returns
// once the heartbeat's goroutine has.
func (wk *worker) heartbeat(msg jetstream.Msg) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(wk.ackWait / 4)
		defer tick.Stop()
		for {
			select {
			case <-tick.C: // still working: tell the server
				msg.InProgress()
			case <-done: // the job is over
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// deadLetter publishes the job, with its last error, to DEAD. The job's
// ID is the message ID here too, so a dead letter written twice (by a
// worker that died before its Term) is stored once.
func (wk *worker) deadLetter(ctx context.Context, msg jetstream.Msg, id string,
	cause error) error {
	dead := nats.NewMsg("dead." + id)
	dead.Data = msg.Data()
	dead.Header.Set(errorHeader, cause.Error())
	_, err := wk.js.PublishMsg(ctx, dead, jetstream.WithMsgID(id))
	return err
}

// serveWorker is worker mode: it connects to cfg.nats, pulls jobs from the
// lesson's queue and prints an event line for each thing it does, until
// ctx is done (an interrupt: Ctrl-C, or the lesson stopping it). A job in
// hand then is nak'ed, and the nak has reached the server when it returns.
func serveWorker(ctx context.Context, w io.Writer, cfg config) error {
	nc, err := nats.Connect(cfg.nats, nats.Name(cfg.name))
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", cfg.nats, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	out := log.New(w, "", 0)
	wk, err := newWorker(ctx, js, cfg.name, func(e event) { out.Print(e) })
	if err != nil {
		return err
	}
	err = wk.run(ctx)
	// Flush waits until the server has read everything we sent, the last
	// nak included; Close would send it too, but not wait.
	return errors.Join(err, nc.Flush())
}
