package taskqueue

// The tests use the package's API only, so that they test the stub and the
// solution alike, and they run under the race detector (go run
// ./cmd/workbook check taskqueue adds -race).
//
// Each test starts a NATS server with JetStream inside the test process
// (in memory, no port) with a work queue of its own: a work-queue stream
// JOBS, a durable pull consumer, and a results bucket. Work gets the
// consumer and the bucket through a watch: thin wrappers that pass every
// call on to the real ones and note what Work did, and when: each pull,
// each job handed to it, each handler run, each store, and how each job
// was settled (ack, nak, term). So a rule broken is seen the moment it is
// broken (an ack before the store, a pull with every slot taken), without
// timing anything.
//
// No test sleeps, and none asserts how long anything took. Where a test
// waits for Work to do something, it waits for the watch to see it,
// bounded by hangcheck.Within, which fails a test that waits for ever. The
// consumer's AckWait is an hour: a job that Work leaves unsettled would
// not come back during the test, and the watch says so when Work returns.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// ackWait is the consumer's AckWait: long enough that no job comes back
// by itself during a test.
const ackWait = time.Hour

// A queue is a work queue of the test's own, on a server of its own.
type queue struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	cons    jetstream.Consumer // the real consumer
	results jetstream.KeyValue // the real bucket
	w       *watch
}

// newQueue starts a server with JetStream in the test process, and makes
// the queue on it. Everything is shut down when t ends.
func newQueue(t *testing.T) *queue {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		DontListen: true, // only in-process connections: no port
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
	})
	require.NoError(t, err)
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second), "the test's NATS server did not start")
	nc, err := nats.Connect(ns.ClientURL(), nats.InProcessServer(ns))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)

	ctx := t.Context()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      "JOBS",
		Subjects:  []string{"jobs.>"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.MemoryStorage,
	})
	require.NoError(t, err)
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "workers",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   ackWait,
	})
	require.NoError(t, err)
	results, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: "results", Storage: jetstream.MemoryStorage,
	})
	require.NoError(t, err)

	w := newWatch()
	t.Cleanup(w.close) // before nc closes: ends the watch's goroutines
	return &queue{nc: nc, js: js, cons: cons, results: results, w: w}
}

// enqueue publishes a job for each ID, with the ID as its message ID and
// "data of <id>" as its payload.
func (q *queue) enqueue(t *testing.T, ids ...string) {
	t.Helper()
	for _, id := range ids {
		_, err := q.js.Publish(t.Context(), "jobs."+id, []byte("data of "+id), jetstream.WithMsgID(id))
		require.NoError(t, err)
	}
}

// jobIDs returns job-1 ... job-n.
func jobIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("job-%d", i+1)
	}
	return ids
}

// stored returns every key of the results bucket with its value.
func (q *queue) stored(t *testing.T) map[string]string {
	t.Helper()
	keys, err := q.results.Keys(t.Context())
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return map[string]string{}
	}
	require.NoError(t, err)
	m := map[string]string{}
	for _, k := range keys {
		e, err := q.results.Get(t.Context(), k)
		require.NoError(t, err)
		m[k] = string(e.Value())
	}
	return m
}

// take pulls n jobs from the real consumer, in the test's name, in a
// goroutine, and notes "took n" in the watch once it has them all. The
// pull ends when the test does.
func (q *queue) take(t *testing.T, n int) *[]jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var got []jetstream.Msg
	var wg sync.WaitGroup
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	batch, err := q.cons.Fetch(n, jetstream.FetchContext(ctx))
	require.NoError(t, err)
	wg.Go(func() {
		for m := range batch.Messages() {
			q.w.mark(func() { got = append(got, m) })
		}
		if len(got) == n {
			q.w.mark(func() { q.w.flags[fmt.Sprintf("took %d", n)] = true })
		}
	})
	return &got
}

// A call is Work running in a goroutine of its own.
type call struct {
	w      *watch
	cancel context.CancelFunc
	done   chan struct{} // closed when Work has returned
	err    error         // what Work returned, once done is closed
}

// work calls Work on the queue, through the watch, with its own ctx, in a
// new goroutine. When t ends, the ctx is cancelled and t waits for Work
// to return (unless t has failed: a Work that hung would only hang again).
func (q *queue) work(t *testing.T, limit int, handle Handler) *call {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &call{w: q.w, cancel: cancel, done: make(chan struct{})}
	q.w.begin(limit)
	cons := &watchedConsumer{Consumer: q.cons, w: q.w}
	results := &watchedKV{KeyValue: q.results, w: q.w}
	go func() {
		defer close(c.done)
		c.err = Work(ctx, cons, results, limit, q.w.handler(handle))
		q.w.ended(c.err)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			cancel()
			return
		}
		c.stop(t)
	})
	return c
}

// stop cancels Work's ctx, as a shutdown does, and waits for it to
// return.
func (c *call) stop(t *testing.T) {
	t.Helper()
	c.w.mark(func() { c.w.stopping = true })
	c.cancel()
	c.wait(t, "Work, after its ctx was cancelled (does it wait for a pull"+
		" not bounded by FetchContext(ctx), or for a handler whose ctx is not done?)")
}

// wait waits for Work to return. It fails the test at once if the watch
// sees a rule broken first.
func (c *call) wait(t *testing.T, what string) {
	t.Helper()
	hangcheck.Within(t, what, func() {
		for {
			c.w.mu.Lock()
			broken, changed := len(c.w.problems) > c.w.reported, c.w.changed
			c.w.mu.Unlock()
			if broken {
				return
			}
			select {
			case <-c.done: // Work has returned
				return
			case <-changed: // the watch saw something: look again
			}
		}
	})
	for _, p := range c.w.takeProblems() {
		t.Error(p)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// await waits until the watch's state satisfies cond. It fails the test
// at once if the watch sees a rule broken, or if Work (c, unless nil)
// returns first.
func (q *queue) await(t *testing.T, c *call, what string, cond func(s *watch) bool) {
	t.Helper()
	var workDone <-chan struct{} // nil: Work is over, or not ours to watch
	if c != nil {
		workDone = c.done
	}
	var early bool
	hangcheck.Within(t, "waiting until "+what, func() {
		for {
			q.w.mu.Lock()
			ok, broken, changed := cond(q.w), len(q.w.problems) > 0, q.w.changed
			q.w.mu.Unlock()
			if ok || broken {
				return
			}
			select {
			case <-changed: // the watch saw something: look again
			case <-workDone: // Work returned
				early = true
				return
			}
		}
	})
	q.report(t)
	if early {
		t.Errorf("Work returned (error: %v) before %s", c.err, what)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// report fails t with every rule the watch has seen broken.
func (q *queue) report(t *testing.T) {
	t.Helper()
	for _, p := range q.w.takeProblems() {
		t.Error(p)
	}
}

// settled reports whether delivery n of job id has been acked or nak'ed
// (or terminated).
func settled(s *watch, id string, n int) bool {
	d := s.deliveries[key{id, n}]
	return d != nil && d.how != ""
}

// acked reports whether some delivery of job id has been acked.
func acked(s *watch, id string) bool {
	for k, d := range s.deliveries {
		if k.id == id && d.how == "ack" {
			return true
		}
	}
	return false
}

// TestEveryJobIsDoneOnceAndItsResultStored runs 20 jobs through Work with
// a limit of 3: each is handled once, its result stored under its ID and
// then acked, and Work returns ctx's error when stopped.
func TestEveryJobIsDoneOnceAndItsResultStored(t *testing.T) {
	q := newQueue(t)
	ids := jobIDs(20)
	q.enqueue(t, ids...)
	c := q.work(t, 3, func(ctx context.Context, job Job) ([]byte, error) {
		return append([]byte("done: "), job.Data...), nil
	})
	q.await(t, c, "every job is acked", func(s *watch) bool {
		return !slices.ContainsFunc(ids, func(id string) bool { return !acked(s, id) })
	})
	c.stop(t)
	q.report(t)
	assert.ErrorIs(t, c.err, context.Canceled, "what Work returns when its ctx is cancelled")

	want := map[string]string{}
	for _, id := range ids {
		want[id] = "done: data of " + id
		assert.Equal(t, 1, q.w.timesHandled(id), "how many times %s was handled", id)
	}
	assert.Equal(t, want, q.stored(t), "the results bucket: one key per job ID, holding the handler's result")
}

// TestAtMostLimitJobsInFlight gives Work 5 jobs and a limit of 2, with
// handlers that wait until they are stopped. Once 2 run, the test itself
// takes the other 3 from the queue: it can, only if Work holds no more
// than its 2. Then Work is stopped: it hands its 2 back.
func TestAtMostLimitJobsInFlight(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, jobIDs(5)...)
	c := q.work(t, 2, func(ctx context.Context, job Job) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	q.await(t, c, "2 jobs run at once (the limit is 2: if this hangs, Work runs fewer jobs at once than its limit)",
		func(s *watch) bool { return s.running == 2 })
	taken := q.take(t, 3)
	q.await(t, c, "the test has taken the 3 jobs that Work must leave in the queue", func(s *watch) bool {
		return s.flags["took 3"]
	})
	for _, m := range *taken {
		require.NoError(t, m.DoubleAck(t.Context()))
	}
	c.stop(t)
	q.report(t)
	assert.Equal(t, 2, q.w.read(func() int { return q.w.maxRunning }), "the most jobs that ran at once")
}

// TestShutdownHandsBackJobsInFlight stops Work while its 3 jobs run: their
// handlers see ctx done and return its error, and Work naks each job at
// once, so that the test, as the next worker, takes all 3 straight away
// (the consumer's AckWait is an hour).
func TestShutdownHandsBackJobsInFlight(t *testing.T) {
	q := newQueue(t)
	ids := jobIDs(3)
	q.enqueue(t, ids...)
	c := q.work(t, 3, func(ctx context.Context, job Job) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	q.await(t, c, "3 jobs run at once", func(s *watch) bool { return s.running == 3 })
	c.stop(t)
	q.report(t)
	assert.ErrorIs(t, c.err, context.Canceled, "what Work returns when its ctx is cancelled")
	for _, id := range ids {
		how, _, ok := q.w.settledAs(key{id, 1})
		require.True(t, ok, "%s was never handed to Work", id)
		assert.Equal(t, "nak", how, "how %s, in flight at shutdown, was settled", id)
	}
	if t.Failed() {
		return // the jobs would not come back: the test would wait an hour
	}

	taken := q.take(t, 3)
	q.await(t, nil, "the test, as the next worker, has taken back the 3 jobs", func(s *watch) bool {
		return s.flags["took 3"]
	})
	for _, m := range *taken {
		meta, err := m.Metadata()
		require.NoError(t, err)
		assert.EqualValues(t, 2, meta.NumDelivered, "%s's delivery", m.Subject())
	}
	assert.Empty(t, q.stored(t), "results of jobs that were stopped")
}

// TestJobFinishedAtShutdownIsStored stops Work while 2 jobs run: job-1's
// handler stops, and job-2's finishes its work anyway. Work must store
// job-2's result and ack it, with ctx done, and nak job-1 at once.
func TestJobFinishedAtShutdownIsStored(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1", "job-2")
	finish := make(chan struct{})
	c := q.work(t, 2, func(ctx context.Context, job Job) ([]byte, error) {
		if job.ID == "job-1" {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		<-finish // job-2 ignores ctx: it finishes once the test says so
		return []byte("result of job-2"), nil
	})
	q.await(t, c, "2 jobs run at once", func(s *watch) bool { return s.running == 2 })
	q.w.mark(func() { q.w.stopping = true })
	c.cancel()
	close(finish)
	c.wait(t, "Work, after its ctx was cancelled")
	assert.Equal(t, map[string]string{"job-2": "result of job-2"}, q.stored(t),
		"the results bucket: job-2 finished after ctx was cancelled, and its result must be stored all the same"+
			" (a store with the cancelled ctx fails: use context.WithoutCancel(ctx))")
	how, _, _ := q.w.settledAs(key{"job-2", 1})
	assert.Equal(t, "ack", how, "how job-2, finished and stored, was settled")
	how, _, _ = q.w.settledAs(key{"job-1", 1})
	assert.Equal(t, "nak", how, "how job-1, stopped, was settled")
}

// TestRedeliveredJobIsNotDoneTwice has one worker do job-1, store its
// result, and crash before its ack reaches the server (the watch drops
// the ack); the test then hands the job back, as AckWait would, at once.
// A second worker (a new call of Work, which remembers nothing) gets
// job-1 again: it must find the result in the bucket and ack the job
// without running it again.
func TestRedeliveredJobIsNotDoneTwice(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1")
	handle := func(ctx context.Context, job Job) ([]byte, error) {
		return fmt.Appendf(nil, "result of delivery %d", job.Delivery), nil
	}
	q.w.dropAck(key{"job-1", 1})
	first := q.work(t, 1, handle)
	q.await(t, first, "the first worker has done job-1 and acked it (the ack will be lost)",
		func(s *watch) bool { return settled(s, "job-1", 1) })
	first.stop(t)
	q.report(t)
	how, _, _ := q.w.settledAs(key{"job-1", 1})
	require.Equal(t, "ack", how, "how the first worker settled job-1, which it did and stored")
	require.NoError(t, q.w.realMsg(key{"job-1", 1}).Nak(), "handing job-1 back, as AckWait would")

	second := q.work(t, 1, handle)
	q.await(t, second, "the second worker has settled job-1's second delivery",
		func(s *watch) bool { return settled(s, "job-1", 2) })
	second.stop(t)
	q.report(t)
	assert.Equal(t, 1, q.w.timesHandled("job-1"), "how many times job-1 was handled")
	how, _, _ = q.w.settledAs(key{"job-1", 2})
	assert.Equal(t, "ack", how, "how job-1's second delivery was settled")
	assert.Equal(t, map[string]string{"job-1": "result of delivery 1"}, q.stored(t), "the results bucket")
}

// TestFailedJobIsRetriedAfterRetryDelay has job-1 fail on its first
// delivery and succeed on its second: Work naks it with RetryDelay, and
// stores and acks it the second time.
func TestFailedJobIsRetriedAfterRetryDelay(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1", "job-2")
	c := q.work(t, 1, func(ctx context.Context, job Job) ([]byte, error) {
		if job.ID == "job-1" && job.Delivery == 1 {
			return nil, errors.New("a passing failure: try again later")
		}
		return []byte("result of " + job.ID), nil
	})
	q.await(t, c, "job-1 and job-2 are acked", func(s *watch) bool {
		return acked(s, "job-1") && acked(s, "job-2")
	})
	c.stop(t)
	q.report(t)
	how, delay, ok := q.w.settledAs(key{"job-1", 1})
	require.True(t, ok, "job-1 was never handed to Work")
	assert.Equal(t, "nak", how, "how job-1 was settled after its handler failed")
	assert.Equal(t, RetryDelay, delay, "the delay of job-1's nak")
	assert.Equal(t, 2, q.w.timesHandled("job-1"), "how many times job-1 was handled")
	assert.Equal(t, map[string]string{"job-1": "result of job-1", "job-2": "result of job-2"}, q.stored(t),
		"the results bucket")
}

// TestWorkReturnsThePullError makes every pull fail, as it does once the
// connection has closed: Work must return that error, not pull again for
// ever.
func TestWorkReturnsThePullError(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1")
	q.w.mark(func() { q.w.failPulls = nats.ErrConnectionClosed })
	c := q.work(t, 2, func(ctx context.Context, job Job) ([]byte, error) { return nil, nil })
	c.wait(t, "Work, with every pull failing (does it return the pull's error?)")
	assert.ErrorIs(t, c.err, nats.ErrConnectionClosed, "what Work returns when its pull fails")
}

// TestWorkWithCtxAlreadyDonePullsNothing calls Work with ctx done: it
// returns ctx's error, and asks the server for nothing (a pull would
// still reach the server, which could hand it a job nobody reads).
func TestWorkWithCtxAlreadyDonePullsNothing(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	q.w.begin(2)
	q.w.mark(func() { q.w.stopping = true })
	var err error
	hangcheck.Within(t, "Work, with its ctx already done", func() {
		err = Work(ctx, &watchedConsumer{Consumer: q.cons, w: q.w}, &watchedKV{KeyValue: q.results, w: q.w},
			2, q.w.handler(func(context.Context, Job) ([]byte, error) { return nil, nil }))
	})
	q.w.ended(err)
	q.report(t)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Zero(t, q.w.read(func() int { return q.w.asked }), "jobs Work asked for with its ctx already done")
}

// TestWorkRejectsALimitBelowOne checks the error for a limit of 0 or less,
// and that Work then pulls nothing.
func TestWorkRejectsALimitBelowOne(t *testing.T) {
	q := newQueue(t)
	q.enqueue(t, "job-1")
	for _, limit := range []int{0, -1} {
		q.w.begin(1)
		var err error
		hangcheck.Within(t, "Work, with a bad limit", func() {
			err = Work(t.Context(), &watchedConsumer{Consumer: q.cons, w: q.w}, &watchedKV{KeyValue: q.results, w: q.w},
				limit, q.w.handler(func(context.Context, Job) ([]byte, error) { return nil, nil }))
		})
		assert.EqualError(t, err, fmt.Sprintf("taskqueue: limit = %d; want at least 1", limit))
		assert.Zero(t, q.w.read(func() int { return q.w.asked }), "jobs Work asked for with limit %d", limit)
	}
}

// A key names one delivery of a job: its ID, and which delivery.
type key struct {
	id string
	n  int
}

// A delivery is what the watch knows of one delivery of a job.
type delivery struct {
	real    jetstream.Msg // the message, as the server delivered it
	how     string        // "", or how Work settled it: "ack", "nak", "term"
	delay   time.Duration // a nak's delay
	handled string        // "", "running", "ok" or the handler's error
	putErr  error         // the last store of the result under the job's ID, if it failed
}

// A watch notes what Work does with the queue, and which of the rules it
// breaks, for the test to check. Every method is safe for concurrent use.
type watch struct {
	done chan struct{}  // closed when the test ends: stops the goroutines below
	fwd  sync.WaitGroup // goroutines that pass a Fetch's jobs on to Work

	mu sync.Mutex // guards everything below
	// changed is closed, and replaced, whenever anything below changes.
	changed    chan struct{}
	limit      int               // the limit of the current Work call
	stopping   bool              // Work's ctx has been cancelled
	asked      int               // jobs Work has asked for, in all
	pulling    int               // jobs asked for and not yet delivered, nor given up
	holding    int               // jobs delivered to Work and not yet settled
	running    int               // handlers running now
	runningIn  map[string]int    // handlers running now, by where their goroutine was started
	maxRunning int               // the most handlers that ran at once
	pullErrs   int               // pulls that failed in a row
	deliveries map[key]*delivery // every delivery Work got
	handled    map[string]int    // handler calls per job ID
	stored     map[string]int    // successful stores per key
	storing    map[string]int    // stores under way per key
	drop       map[key]bool      // deliveries whose ack the watch drops: a crash
	failPulls  error             // if not nil, every pull fails at once with it
	flags      map[string]bool   // what the test has noted
	problems   []string          // the rules Work broke, in plain words
	reported   int               // problems already given to the test
	lastKeys   map[string]bool   // keys stored that are not job IDs
	jobIDs     map[string]bool   // the IDs of every job delivered
}

func newWatch() *watch {
	return &watch{
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		deliveries: map[key]*delivery{},
		handled:    map[string]int{},
		runningIn:  map[string]int{},
		stored:     map[string]int{},
		storing:    map[string]int{},
		drop:       map[key]bool{},
		flags:      map[string]bool{},
		lastKeys:   map[string]bool{},
		jobIDs:     map[string]bool{},
	}
}

// read returns what f reads of the watch, with the watch locked.
func (w *watch) read(f func() int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return f()
}

// timesHandled returns how many times the handler was called for job id.
func (w *watch) timesHandled(id string) int {
	return w.read(func() int { return w.handled[id] })
}

// settledAs returns how delivery k was settled, and a nak's delay; ok is
// false if Work never got delivery k.
func (w *watch) settledAs(k key) (how string, delay time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.deliveries[k]
	if d == nil {
		return "", 0, false
	}
	return d.how, d.delay, true
}

// realMsg returns delivery k's message, as the server delivered it.
func (w *watch) realMsg(k key) jetstream.Msg {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.deliveries[k].real
}

// close ends the watch's goroutines and waits for them.
func (w *watch) close() {
	close(w.done)
	w.fwd.Wait()
}

// mark runs f with the watch locked, and tells every waiter.
func (w *watch) mark(f func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f()
	w.changedLocked()
}

// changedLocked wakes every waiter.
func (w *watch) changedLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// problemLocked notes a broken rule.
func (w *watch) problemLocked(format string, args ...any) {
	w.problems = append(w.problems, fmt.Sprintf(format, args...))
}

// takeProblems returns the problems not yet returned: the first few,
// and how many more there were.
func (w *watch) takeProblems() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.problems[w.reported:]
	w.reported = len(w.problems)
	const most = 4
	if len(p) > most {
		p = append(slices.Clip(p[:most]), fmt.Sprintf("... and %d more like these", len(p)-most))
	}
	return p
}

// begin starts the watch on a call of Work with limit.
func (w *watch) begin(limit int) {
	w.mark(func() {
		w.limit, w.stopping, w.asked, w.pullErrs = limit, false, 0, 0
	})
}

// dropAck makes the watch drop the ack of delivery k, as a crash would
// have: Work sees its Ack succeed, and the server never hears of it.
func (w *watch) dropAck(k key) {
	w.mark(func() { w.drop[k] = true })
}

// ask notes a pull for n jobs, and checks it against the limit. It
// returns the error the pull must fail with, if the test has asked for
// one: the pull then does not reach the server.
func (w *watch) ask(how string, n int) (fail error) {
	w.mark(func() {
		if w.holding+w.pulling+n > w.limit {
			waiting := ""
			if w.pulling > 0 {
				waiting = fmt.Sprintf(", and was already waiting for %d more", w.pulling)
			}
			w.problemLocked("Work asked the queue for %d more job(s) (%s) while it held %d"+
				"%s; the limit is %d. A job Work has pulled is a job no other worker can have,"+
				" until Work acks or naks it: pull only when a slot is free, one job per free"+
				" slot", n, how, w.holding, waiting, w.limit)
		}
		w.asked += n
		if fail = w.failPulls; fail != nil {
			w.countPullErrLocked(fail)
			return
		}
		w.pulling += n
	})
	return fail
}

// countPullErrLocked counts a pull that failed, and notes a problem once
// Work has gone on pulling after 100 failures in a row.
func (w *watch) countPullErrLocked(err error) {
	if err == nil || errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.Canceled) {
		return
	}
	w.pullErrs++
	if w.pullErrs == 100 {
		w.problemLocked("Work pulled again and again after its pull failed (%v), 100"+
			" times in a row: a pull that fails with anything but nats.ErrTimeout"+
			" must end Work, with that error", err)
	}
}

// got notes that a pull has delivered msg to Work, and returns the key
// of its delivery.
func (w *watch) got(msg jetstream.Msg) key {
	id := msg.Headers().Get(jetstream.MsgIDHeader)
	meta, _ := msg.Metadata()
	var n int
	if meta != nil {
		n = int(meta.NumDelivered)
	}
	k := key{id, n}
	w.mark(func() {
		w.pulling--
		w.holding++
		w.pullErrs = 0
		w.jobIDs[id] = true
		w.deliveries[k] = &delivery{real: msg}
	})
	return k
}

// over notes that a pull has ended with n jobs it asked for not
// delivered.
func (w *watch) over(n int, err error) {
	w.mark(func() {
		w.pulling -= n
		w.countPullErrLocked(err)
	})
}

// settle notes that Work settled delivery k as how ("ack", "nak",
// "term"), after a nak's delay, checks it, and reports whether the
// settle should reach the server.
func (w *watch) settle(k key, how string, delay time.Duration) (send bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	defer w.changedLocked()
	d := w.deliveries[k]
	if d == nil {
		w.problemLocked("Work settled a job the watch never saw delivered: %v", k)
		return true
	}
	job := fmt.Sprintf("%s (delivery %d)", k.id, k.n)
	if d.how != "" {
		w.problemLocked("%s was settled twice: first %s, then %s. Settle each job once:"+
			" ack it, or nak it", job, d.how, how)
		return true
	}
	d.how, d.delay = how, delay
	w.holding--
	switch how {
	case "ack":
		switch {
		case w.stored[k.id] > 0 && d.handled != "running":
			// Its result is in the bucket: it may go.
		case d.handled == "":
			w.problemLocked("%s was acked before its handler ran: if the worker crashed"+
				" during the work, the job would be lost. Ack a job only once its result"+
				" is stored", job)
		case d.handled == "running":
			w.problemLocked("%s was acked while its handler was still running: if the"+
				" worker crashed now, the job would be lost", job)
		case d.handled != "ok":
			w.problemLocked("%s failed (%s) and was acked: the job is lost. A job whose"+
				" handler fails must be nak'ed with RetryDelay, to run again later",
				job, d.handled)
		default:
			w.problemLocked("%s was acked before its result was stored in the bucket under"+
				" its ID, %q (no results.Put of that key had returned)%s: if the worker"+
				" crashed now, the result would be lost with the job. Store the result,"+
				" wait for the store to return, then ack", job, k.id, w.otherKeysLocked())
		}
		if w.drop[k] {
			return false // the worker crashed before its ack went out
		}
	case "nak":
		switch {
		case w.stopping && delay != 0:
			w.problemLocked("%s, in flight when Work was stopped, was nak'ed with a delay"+
				" of %v: no other worker can take it until then. At shutdown, nak with no"+
				" delay (Nak), so that the job goes to another worker at once", job, delay)
		case !w.stopping && d.handled == "ok" && d.putErr == nil:
			w.problemLocked("%s was done and its result stored, and was then nak'ed: it"+
				" will run again for nothing. Ack it", job)
		case !w.stopping && delay != RetryDelay:
			w.problemLocked("%s was nak'ed with a delay of %v, after its handler failed;"+
				" want RetryDelay (%v). A nak with no delay brings a failing job straight"+
				" back, again and again", job, delay, RetryDelay)
		case w.stopping && d.handled == "ok":
			w.problemLocked("%s finished after Work's ctx was cancelled, but was nak'ed:"+
				" its work is thrown away, and will be done again. Store its result (with"+
				" a ctx that is not cancelled: context.WithoutCancel(ctx)), then ack it."+
				" The store failed with: %v", job, d.putErr)
		}
	case "term":
		w.problemLocked("%s was terminated (Term): the server will never deliver it"+
			" again, so a job that failed once, for whatever reason, is lost. Nak it"+
			" with RetryDelay", job)
	}
	return true
}

// otherKeysLocked says which keys were stored that are no job's ID.
func (w *watch) otherKeysLocked() string {
	if len(w.lastKeys) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the bucket got %q, which are not job IDs)",
		slices.Sorted(maps.Keys(w.lastKeys)))
}

// handler returns handle, with the watch noting each call.
func (w *watch) handler(handle Handler) Handler {
	return func(ctx context.Context, job Job) ([]byte, error) {
		k := key{job.ID, job.Delivery}
		from := startedAt()
		w.mark(func() {
			w.handled[job.ID]++
			w.running++
			w.runningIn[from]++
			w.maxRunning = max(w.maxRunning, w.running)
			d := w.deliveries[k]
			switch {
			case d == nil:
				w.problemLocked("the handler got Job{ID: %q, Delivery: %d}, which is no"+
					" job Work pulled: Job.ID is the message's Nats-Msg-Id header"+
					" (jetstream.MsgIDHeader), and Job.Delivery its NumDelivered"+
					" (msg.Metadata())", job.ID, job.Delivery)
				return
			case !bytes.Equal(job.Data, d.real.Data()):
				w.problemLocked("the handler got %q as %s's Data; want the message's"+
					" payload, %q", job.Data, job.ID, d.real.Data())
			}
			if d.how != "" {
				w.problemLocked("%s (delivery %d) was %sed before its handler ran: if the"+
					" worker crashed during the work, the job would be lost", job.ID,
					job.Delivery, d.how)
			}
			if w.stored[job.ID] > 0 {
				w.problemLocked("%s was handled again on its delivery %d, though its"+
					" result was already in the bucket: an earlier delivery did the job,"+
					" and its worker died before the ack. Look in the bucket first, and"+
					" ack a job whose result is there without running it again",
					job.ID, job.Delivery)
			}
			if w.running > w.limit {
				w.problemLocked("%d jobs ran at once; the limit is %d", w.running, w.limit)
			}
			d.handled = "running"
		})
		out, err := handle(ctx, job)
		w.mark(func() {
			w.running--
			if w.runningIn[from]--; w.runningIn[from] == 0 {
				delete(w.runningIn, from)
			}
			if d := w.deliveries[k]; d != nil {
				d.handled = "ok"
				if err != nil {
					d.handled = err.Error()
				}
			}
		})
		return out, err
	}
}

// ended notes that Work has returned, and checks what it left behind.
func (w *watch) ended(err error) {
	w.mark(func() {
		for _, k := range slices.SortedFunc(maps.Keys(w.deliveries), func(a, b key) int {
			return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
		}) {
			if d := w.deliveries[k]; d.how == "" {
				w.problemLocked("when Work returned (%v), %s (delivery %d) had been neither"+
					" acked nor nak'ed: no worker can take it until AckWait (%v) has passed."+
					" Settle every job in flight before Work returns: at shutdown, nak it",
					err, k.id, k.n, ackWait)
			}
		}
		if w.pulling > 0 {
			w.problemLocked("when Work returned (%v), a pull for %d job(s) was still waiting"+
				" at the server: a job it gets now goes to nobody, and waits out AckWait."+
				" Bound each pull by Work's ctx (jetstream.FetchContext(ctx)) and wait for"+
				" it to end", err, w.pulling)
		}
		if w.running > 0 {
			w.problemLocked("when Work returned (%v), %d handler(s) were still running, in"+
				" goroutines at %s: wait for every job in flight (a WaitGroup, or an"+
				" errgroup, and its Wait before Work returns)", err, w.running,
				strings.Join(slices.Sorted(maps.Keys(w.runningIn)), " and "))
		}
	})
}

// startedAt says where, in the code under test, the calling goroutine
// runs: the outermost frame of its stack in this package's files that are
// not tests, which is the body of the go statement (or of the func given
// to a WaitGroup's or errgroup's Go) that started it.
func startedAt() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	where := "Work's own goroutine"
	for {
		f, more := frames.Next()
		if filepath.Base(filepath.Dir(f.File)) == "taskqueue" && !strings.HasSuffix(f.File, "_test.go") {
			where = fmt.Sprintf("%s:%d (%s)", filepath.Base(f.File), f.Line, path.Base(f.Function))
		}
		if !more {
			return where
		}
	}
}

// stored notes a store under key, and returns a function to call with
// its outcome.
func (w *watch) storeStarted(key string) func(error) {
	w.mark(func() { w.storing[key]++ })
	return func(err error) {
		w.mark(func() {
			w.storing[key]--
			if err == nil {
				w.stored[key]++
				if !w.jobIDs[key] {
					w.lastKeys[key] = true
				}
				return
			}
			for k, d := range w.deliveries {
				if k.id == key && d.handled == "ok" && d.how == "" {
					d.putErr = err
				}
			}
		})
	}
}

// A watchedConsumer is the queue's consumer, as Work sees it.
type watchedConsumer struct {
	jetstream.Consumer // the real one: what is not overridden passes through
	w                  *watch
}

// Fetch passes the pull on, and each job it delivers.
func (c *watchedConsumer) Fetch(batch int, opts ...jetstream.FetchOpt) (jetstream.MessageBatch, error) {
	if err := c.w.ask(fmt.Sprintf("Fetch(%d)", batch), batch); err != nil {
		return nil, err
	}
	b, err := c.Consumer.Fetch(batch, opts...)
	if err != nil {
		c.w.over(batch, err)
		return nil, err
	}
	return c.forward(b, batch), nil
}

// FetchNoWait passes the pull on, and each job it delivers.
func (c *watchedConsumer) FetchNoWait(batch int) (jetstream.MessageBatch, error) {
	if err := c.w.ask(fmt.Sprintf("FetchNoWait(%d)", batch), batch); err != nil {
		return nil, err
	}
	b, err := c.Consumer.FetchNoWait(batch)
	if err != nil {
		c.w.over(batch, err)
		return nil, err
	}
	return c.forward(b, batch), nil
}

// Next passes the pull on, and the job it delivers.
func (c *watchedConsumer) Next(opts ...jetstream.FetchOpt) (jetstream.Msg, error) {
	if err := c.w.ask("Next", 1); err != nil {
		return nil, err
	}
	m, err := c.Consumer.Next(opts...)
	if m == nil {
		c.w.over(1, err)
		return nil, err
	}
	return &watchedMsg{Msg: m, w: c.w, k: c.w.got(m)}, err
}

// errPullsAhead is what the pulls that fetch ahead return.
var errPullsAhead = errors.New("taskqueue test: not allowed: it pulls jobs ahead, hundreds at a time")

// FetchBytes pulls as many jobs as fit in a size: not one per free slot.
func (c *watchedConsumer) FetchBytes(int, ...jetstream.FetchOpt) (jetstream.MessageBatch, error) {
	c.w.mark(func() {
		c.w.problemLocked("Work called FetchBytes, which pulls as many jobs as fit in a size;" +
			" pull one job per free slot (Next, or Fetch(1))")
	})
	return nil, errPullsAhead
}

// Consume pulls up to 500 jobs ahead.
func (c *watchedConsumer) Consume(jetstream.MessageHandler, ...jetstream.PullConsumeOpt) (jetstream.ConsumeContext, error) {
	c.w.mark(func() {
		c.w.problemLocked("Work called Consume, which pulls up to 500 jobs ahead" +
			" (PullMaxMessages), whatever the limit: every one of them is a job no other" +
			" worker can have. Pull one job per free slot (Next, or Fetch(1))")
	})
	return nil, errPullsAhead
}

// Messages pulls up to 500 jobs ahead.
func (c *watchedConsumer) Messages(...jetstream.PullMessagesOpt) (jetstream.MessagesContext, error) {
	c.w.mark(func() {
		c.w.problemLocked("Work called Messages, which pulls up to 500 jobs ahead" +
			" (PullMaxMessages), whatever the limit. Pull one job per free slot (Next," +
			" or Fetch(1))")
	})
	return nil, errPullsAhead
}

// forward returns a batch that passes on each job of b, watched, in a
// goroutine that ends when b does (or the test).
func (c *watchedConsumer) forward(b jetstream.MessageBatch, batch int) jetstream.MessageBatch {
	// Room for the whole batch, or for 1024 jobs of a bigger one.
	out := &watchedBatch{real: b, msgs: make(chan jetstream.Msg, min(batch, 1024))}
	c.w.fwd.Go(func() {
		defer close(out.msgs)
		n := 0
		for {
			select {
			case m, ok := <-b.Messages():
				if !ok {
					c.w.over(batch-n, b.Error())
					return
				}
				n++
				select {
				case out.msgs <- &watchedMsg{Msg: m, w: c.w, k: c.w.got(m)}: // Work has it
				case <-c.w.done: // the test is over
					return
				}
			case <-c.w.done: // the test is over
				return
			}
		}
	})
	return out
}

// A watchedBatch is a Fetch's batch, as Work sees it.
type watchedBatch struct {
	real jetstream.MessageBatch
	msgs chan jetstream.Msg
}

func (b *watchedBatch) Messages() <-chan jetstream.Msg { return b.msgs }
func (b *watchedBatch) Error() error                   { return b.real.Error() }

// A watchedMsg is a job, as Work sees it.
type watchedMsg struct {
	jetstream.Msg // the real one: what is not overridden passes through
	w             *watch
	k             key
}

func (m *watchedMsg) Ack() error {
	if m.w.settle(m.k, "ack", 0) {
		return m.Msg.Ack()
	}
	return nil
}

func (m *watchedMsg) DoubleAck(ctx context.Context) error {
	if m.w.settle(m.k, "ack", 0) {
		return m.Msg.DoubleAck(ctx)
	}
	return nil
}

func (m *watchedMsg) Nak() error {
	m.w.settle(m.k, "nak", 0)
	return m.Msg.Nak()
}

func (m *watchedMsg) NakWithDelay(delay time.Duration) error {
	m.w.settle(m.k, "nak", delay)
	return m.Msg.NakWithDelay(delay)
}

func (m *watchedMsg) Term() error {
	m.w.settle(m.k, "term", 0)
	return m.Msg.Term()
}

func (m *watchedMsg) TermWithReason(reason string) error {
	m.w.settle(m.k, "term", 0)
	return m.Msg.TermWithReason(reason)
}

// A watchedKV is the results bucket, as Work sees it.
type watchedKV struct {
	jetstream.KeyValue // the real one: what is not overridden passes through
	w                  *watch
}

func (kv *watchedKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	done := kv.w.storeStarted(key)
	rev, err := kv.KeyValue.Put(ctx, key, value)
	done(err)
	return rev, err
}

func (kv *watchedKV) PutString(ctx context.Context, key string, value string) (uint64, error) {
	done := kv.w.storeStarted(key)
	rev, err := kv.KeyValue.PutString(ctx, key, value)
	done(err)
	return rev, err
}

func (kv *watchedKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	done := kv.w.storeStarted(key)
	rev, err := kv.KeyValue.Create(ctx, key, value, opts...)
	done(err)
	return rev, err
}

func (kv *watchedKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	done := kv.w.storeStarted(key)
	rev, err := kv.KeyValue.Update(ctx, key, value, revision)
	done(err)
	return rev, err
}
