package taskqueue_test

// These tests run a real NATS server in the test process (StartEmbedded,
// a store in a temporary directory per test). NATS uses real sockets and
// timers inside, which are not durably blocking in a synctest bubble, so
// no test here uses synctest, and none sleeps: where a test waits for
// something (a job delivered again, a dead letter, Run returning), it
// waits for the event on a channel, bounded by hangcheck.Within, which
// reports a hang and never judges speed. The few real-time values are
// AckWaits and nak delays that the server must honour; a test asserts
// only that an event came no sooner than the server promises, never that
// it came quickly.
//
// One test starts a worker in another process: this test binary, run
// again with workerURLEnv set (TestMain below), which connects to the
// server over loopback TCP. No test runs in parallel: childcheck sees
// every child of the binary.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// Environment variables that make this test binary a worker process.
const (
	workerURLEnv     = "TASKQUEUE_TEST_WORKER_URL"      // the server to connect to
	workerAckWaitEnv = "TASKQUEUE_TEST_WORKER_ACK_WAIT" // the queue's AckWait
)

func TestMain(m *testing.M) {
	if url := os.Getenv(workerURLEnv); url != "" {
		os.Exit(runWorkerProcess(url))
	}
	childcheck.VerifyTestMain(m)
}

// runWorkerProcess is the worker process's main: it runs one job at a
// time, writing "running ID ATTEMPT" to stdout when a job starts, and the
// job runs until the process is killed. It also ends when its stdin
// closes, so that it never outlives a test binary that died.
func runWorkerProcess(url string) int {
	ackWait, err := time.ParseDuration(os.Getenv(workerAckWaitEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	nc, err := taskqueue.Connect(url)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer nc.Close()
	q, err := taskqueue.Open(ctx, nc, taskqueue.Config{AckWait: ackWait})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	w := &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			fmt.Printf("running %s %d\n", job.ID, job.Attempt)
			<-ctx.Done()
			return nil, ctx.Err()
		},
	}
	if err := w.Run(ctx); err != nil && ctx.Err() == nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// startServer starts an embedded server with a store in a temporary
// directory, shut down when the test ends.
func startServer(t *testing.T, opts ...taskqueue.EmbeddedOption) *taskqueue.Server {
	t.Helper()
	srv, err := taskqueue.StartEmbedded(t.TempDir(), opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	return srv
}

// connect returns an in-process connection, closed when the test ends.
func connect(t *testing.T, srv *taskqueue.Server) *nats.Conn {
	t.Helper()
	nc, err := srv.Connect()
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// open opens the queue cfg names on a new connection to srv.
func open(t *testing.T, srv *taskqueue.Server, cfg taskqueue.Config) *taskqueue.Queue {
	t.Helper()
	q, err := taskqueue.Open(t.Context(), connect(t, srv), cfg)
	require.NoError(t, err)
	t.Cleanup(q.Close)
	return q
}

// recv receives from ch, failing the test if nothing comes while the test
// sits idle (see hangcheck).
func recv[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	var v T
	hangcheck.Within(t, what, func() { v = <-ch })
	return v
}

// start runs w until the returned stop is called, and at the end of the
// test. stop cancels Run's ctx and returns Run's error, once Run has
// returned.
func start(t *testing.T, w *taskqueue.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = recv(t, "Worker.Run to return after its ctx ended", done)
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return stop
}

// A crashy is a worker that can crash, and comes back: its handler gets
// crash, which closes the worker's connection as the death of its process
// would, so that it can send no ack, no nak and no heartbeat any more.
// Run then returns, and a new worker, with a new connection, takes its
// place, until the crashy is stopped.
type crashy struct {
	stop    context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex // protects crashes and errs
	crashes int        // how many times a worker's Run ended with its connection closed
	errs    []error    // anything else that went wrong
}

// superviseCrashy starts a crashy worker on the queue cfg names; mk makes
// each worker from its queue and its crash function.
func superviseCrashy(t *testing.T, srv *taskqueue.Server, cfg taskqueue.Config,
	mk func(q *taskqueue.Queue, crash func()) *taskqueue.Worker) *crashy {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &crashy{stop: cancel}
	c.wg.Go(func() {
		for ctx.Err() == nil {
			if err := c.life(ctx, srv, cfg, mk); err != nil {
				c.mu.Lock()
				c.errs = append(c.errs, err)
				c.mu.Unlock()
				return
			}
		}
	})
	t.Cleanup(func() { c.close(t) })
	return c
}

// life is one worker's life, from its connection to its crash or its stop.
func (c *crashy) life(ctx context.Context, srv *taskqueue.Server, cfg taskqueue.Config,
	mk func(q *taskqueue.Queue, crash func()) *taskqueue.Worker) error {
	nc, err := srv.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	q, err := taskqueue.Open(ctx, nc, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	err = mk(q, nc.Close).Run(ctx)
	switch {
	case ctx.Err() != nil:
		return nil
	case nc.IsClosed():
		c.mu.Lock()
		c.crashes++
		c.mu.Unlock()
		return nil
	}
	return fmt.Errorf("Run returned %v; want a crash or the end of ctx", err)
}

// close stops the crashy and waits for its last worker, and checks that
// nothing went wrong; it returns the number of crashes.
func (c *crashy) close(t *testing.T) int {
	t.Helper()
	c.stop()
	hangcheck.Within(t, "the crashy worker to stop", c.wg.Wait)
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Empty(t, c.errs)
	return c.crashes
}

// jobs returns n jobs with IDs job-00, job-01, ... and their numbers as
// data.
func jobs(n int) []taskqueue.Job {
	out := make([]taskqueue.Job, n)
	for i := range out {
		out[i] = taskqueue.Job{ID: fmt.Sprintf("job-%02d", i), Data: []byte(fmt.Sprint(i))}
	}
	return out
}

func ids(js []taskqueue.Job) []string {
	out := make([]string, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

func enqueue(t *testing.T, q *taskqueue.Queue, js ...taskqueue.Job) {
	t.Helper()
	for _, j := range js {
		ok, err := q.Enqueue(t.Context(), j)
		require.NoError(t, err)
		require.True(t, ok, "job %s dropped as a duplicate", j.ID)
	}
}

// wait waits for the results of ids, bounded by hangcheck.
func wait(t *testing.T, q *taskqueue.Queue, ids ...string) ([][]byte, error) {
	t.Helper()
	var res [][]byte
	var err error
	hangcheck.Within(t, "Queue.Wait", func() { res, err = q.Wait(t.Context(), ids...) })
	return res, err
}

// stats returns the queue's counts.
func stats(t *testing.T, q *taskqueue.Queue) taskqueue.Stats {
	t.Helper()
	s, err := q.Stats(t.Context())
	require.NoError(t, err)
	return s
}

// resultKeys returns the keys of the queue's results bucket, read
// directly from JetStream.
func resultKeys(t *testing.T, srv *taskqueue.Server, name string) []string {
	t.Helper()
	js, err := jetstream.New(connect(t, srv))
	require.NoError(t, err)
	kv, err := js.KeyValue(t.Context(), name+"_RESULTS")
	require.NoError(t, err)
	keys, err := kv.Keys(t.Context())
	require.NoError(t, err)
	return keys
}

// lines returns a channel that receives r's lines, closed at its end.
func lines(r io.Reader) <-chan string {
	out := make(chan string, 16) // a few lines, so that the reader does not wait on the test
	go func() {
		defer close(out)
		s := bufio.NewScanner(r)
		for s.Scan() {
			out <- s.Text()
		}
	}()
	return out
}
