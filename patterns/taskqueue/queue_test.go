package taskqueue_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A job enqueued twice with the same ID is stored once and done once.
func TestEnqueueDropsADuplicate(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{})
	ok, err := q.Enqueue(t.Context(), taskqueue.Job{ID: "once", Data: []byte("first")})
	require.NoError(t, err)
	assert.True(t, ok, "the first enqueue stores the job")
	ok, err = q.Enqueue(t.Context(), taskqueue.Job{ID: "once", Data: []byte("second")})
	require.NoError(t, err)
	assert.False(t, ok, "the second enqueue is a duplicate")
	assert.Equal(t, taskqueue.Stats{Queued: 1, Pending: 1}, stats(t, q))

	var runs atomic.Int64
	stop := start(t, &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			runs.Add(1)
			return job.Data, nil
		},
	})
	res, err := wait(t, q, "once")
	require.NoError(t, err)
	assert.Equal(t, "first", string(res[0]))
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, int64(1), runs.Load(), "runs")
	assert.Equal(t, taskqueue.Stats{}, stats(t, q))
}

// A server started again on the same store has the jobs that were queued
// when it stopped, and the results already stored.
func TestRestartedServerKeepsQueuedJobs(t *testing.T) {
	dir := t.TempDir()
	cfg := taskqueue.Config{AckWait: time.Minute}
	all := jobs(5)

	first := startServerIn(t, dir)
	nc := connect(t, first)
	q, err := taskqueue.Open(t.Context(), nc, cfg)
	require.NoError(t, err)
	// One job is done before the stop, four are queued.
	enqueue(t, q, all[0])
	stop := start(t, &taskqueue.Worker{Queue: q, Handler: square})
	_, err = wait(t, q, all[0].ID)
	require.NoError(t, err)
	require.ErrorIs(t, stop(), context.Canceled)
	enqueue(t, q, all[1:]...)
	q.Close()
	nc.Close()
	first.Shutdown()

	second := startServerIn(t, dir)
	q = open(t, second, cfg)
	assert.Equal(t, taskqueue.Stats{Queued: 4, Pending: 4}, stats(t, q), "after the restart")
	res, err := q.Result(t.Context(), all[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "0", string(res))

	start(t, &taskqueue.Worker{Queue: q, Handler: square, Concurrency: 2})
	results, err := wait(t, q, ids(all)...)
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "1", "4", "9", "16"}, strs(results))
}

func startServerIn(t *testing.T, dir string, opts ...taskqueue.EmbeddedOption) *taskqueue.Server {
	t.Helper()
	srv, err := taskqueue.StartEmbedded(dir, opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	return srv
}

func strs(bs [][]byte) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = string(b)
	}
	return out
}

// Shutdown closes the loopback listener: nothing answers at the URL
// afterwards. (TestMain's goleak check covers the goroutines.)
func TestShutdownClosesTheListener(t *testing.T) {
	srv, err := taskqueue.StartEmbedded(t.TempDir(), taskqueue.ListenLoopback())
	require.NoError(t, err)
	nc, err := taskqueue.Connect(srv.URL())
	require.NoError(t, err)
	nc.Close()
	srv.Shutdown()
	srv.Shutdown() // again: nothing happens
	addr := strings.TrimPrefix(srv.URL(), "nats://")
	_, err = net.Dial("tcp", addr)
	require.Error(t, err, "something still listens on %s", addr)
}

// Result says when a job has no result yet.
func TestResultOfAJobNotDone(t *testing.T) {
	q := open(t, startServer(t), taskqueue.Config{})
	_, err := q.Result(t.Context(), "nothing")
	require.ErrorIs(t, err, taskqueue.ErrNoResult)
	assert.EqualError(t, err, "taskqueue: job nothing: taskqueue: no result")
}

// Wait returns ctx's error when ctx ends first.
func TestWaitReturnsWhenCtxEnds(t *testing.T) {
	q := open(t, startServer(t), taskqueue.Config{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := q.Wait(ctx, "never-enqueued")
		done <- err
	}()
	cancel()
	require.ErrorIs(t, recv(t, "Wait to return", done), context.Canceled)
}

// Bad input is an error that says what is wrong, at once.
func TestBadInputIsAClearError(t *testing.T) {
	srv := startServer(t)
	nc := connect(t, srv)
	q := open(t, srv, taskqueue.Config{})
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	// JetStream keeps its files in DIR/jetstream: a file there stops it.
	blocked := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(blocked, "jetstream"), nil, 0o600))

	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"empty store directory", func() error {
			_, err := taskqueue.StartEmbedded("")
			return err
		}, "taskqueue: StartEmbedded needs a directory for the store"},
		{"store in a file", func() error {
			srv, err := taskqueue.StartEmbedded(notADir)
			if err == nil {
				srv.Shutdown()
			}
			return err
		}, "taskqueue: store directory: mkdir " + notADir + ": not a directory"},
		{"a store JetStream cannot use", func() error {
			srv, err := taskqueue.StartEmbedded(blocked)
			if err == nil {
				srv.Shutdown()
			}
			return err
		}, "taskqueue: embedded server: JetStream did not start with its store in " + blocked + ": Can't start JetStream: "},
		{"queue name with a dot", func() error {
			_, err := taskqueue.Open(t.Context(), nc, taskqueue.Config{Name: "a.b"})
			return err
		}, `taskqueue: queue name "a.b": use letters, digits, - and _`},
		{"negative AckWait", func() error {
			_, err := taskqueue.Open(t.Context(), nc, taskqueue.Config{AckWait: -time.Second})
			return err
		}, "taskqueue: Config.AckWait is negative (-1s)"},
		{"job ID with a space", func() error {
			_, err := q.Enqueue(t.Context(), taskqueue.Job{ID: "a b"})
			return err
		}, `taskqueue: job ID "a b": use letters, digits and - _ = / . (a dot not first, last or twice in a row)`},
		{"empty job ID", func() error {
			_, err := q.Enqueue(t.Context(), taskqueue.Job{})
			return err
		}, `taskqueue: job ID ""`},
		{"job ID with two dots in a row", func() error {
			_, err := q.Wait(t.Context(), "a..b")
			return err
		}, `taskqueue: job ID "a..b"`},
		{"job ID with a wildcard", func() error {
			_, err := q.Result(t.Context(), "a.*")
			return err
		}, `taskqueue: job ID "a.*"`},
		{"worker without a handler", func() error {
			return (&taskqueue.Worker{Queue: q}).Run(t.Context())
		}, "taskqueue: Worker.Handler is nil"},
		{"worker without a queue", func() error {
			return (&taskqueue.Worker{Handler: square}).Run(t.Context())
		}, "taskqueue: Worker.Queue is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			hangcheck.Within(t, tc.name, func() { err = tc.call() })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A URL where no server listens is an error that names it, at once.
func TestConnectToNothingIsAnError(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "nats://" + l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	hangcheck.Within(t, "Connect", func() { _, err = taskqueue.Connect(url) })
	require.ErrorIs(t, err, nats.ErrNoServers)
	assert.ErrorContains(t, err, "taskqueue: connect to "+url+": ")
}

// A NATS server without JetStream is an error that says so.
func TestOpenOnAServerWithoutJetStream(t *testing.T) {
	ns, err := server.NewServer(&server.Options{DontListen: true, NoSigs: true, NoLog: true})
	require.NoError(t, err)
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second))
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	require.NoError(t, err)
	defer nc.Close()

	hangcheck.Within(t, "Open", func() { _, err = taskqueue.Open(t.Context(), nc, taskqueue.Config{}) })
	require.ErrorIs(t, err, jetstream.ErrJetStreamNotEnabled)
	assert.ErrorContains(t, err, "taskqueue: the NATS server (in-process) has no JetStream: start it with JetStream enabled (nats-server -js)")
}

// A queue that exists with other settings is an error that names the
// setting: the stream, the bucket or the consumer is not changed behind
// the back of the programs that use it.
func TestOpenRefusesAQueueWithOtherSettings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, js jetstream.JetStream, nc *nats.Conn) // makes what exists
		cfg   taskqueue.Config
		want  string
	}{
		{"a stream that is not a work queue", func(t *testing.T, js jetstream.JetStream, _ *nats.Conn) {
			_, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "TASKS", Subjects: []string{"TASKS.jobs"}})
			require.NoError(t, err)
		}, taskqueue.Config{}, `taskqueue: stream "TASKS" exists with Retention Limits; want WorkQueue (open it with its settings, or delete it)`},
		{"a stream with other subjects", func(t *testing.T, js jetstream.JetStream, _ *nats.Conn) {
			_, err := js.CreateStream(t.Context(), jetstream.StreamConfig{
				Name: "TASKS", Subjects: []string{"orders.>"}, Retention: jetstream.WorkQueuePolicy})
			require.NoError(t, err)
		}, taskqueue.Config{}, `taskqueue: stream "TASKS" exists with Subjects [orders.>]; want [TASKS.jobs]`},
		{"another storage", openWith(taskqueue.Config{Storage: jetstream.MemoryStorage}),
			taskqueue.Config{}, `taskqueue: stream "TASKS" exists with Storage Memory; want File`},
		{"another duplicates window", openWith(taskqueue.Config{Duplicates: time.Minute}),
			taskqueue.Config{}, `taskqueue: stream "TASKS" exists with Duplicates 1m0s; want 2m0s`},
		{"a results bucket with history", func(t *testing.T, js jetstream.JetStream, _ *nats.Conn) {
			_, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: "TASKS_RESULTS", History: 5})
			require.NoError(t, err)
		}, taskqueue.Config{}, `taskqueue: results bucket "TASKS_RESULTS" exists with History 5; want 1`},
		{"another AckWait", openWith(taskqueue.Config{AckWait: time.Minute}),
			taskqueue.Config{}, `taskqueue: consumer "workers" of stream "TASKS" exists with AckWait 1m0s; want 30s`},
		{"another MaxDeliver", openWith(taskqueue.Config{MaxDeliver: 2}),
			taskqueue.Config{MaxDeliver: 3}, `taskqueue: consumer "workers" of stream "TASKS" exists with MaxDeliver 3; want 4`},
		{"another MaxAckPending", openWith(taskqueue.Config{MaxAckPending: 10}),
			taskqueue.Config{}, `taskqueue: consumer "workers" of stream "TASKS" exists with MaxAckPending 10; want 1000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			nc := connect(t, srv)
			js, err := jetstream.New(nc)
			require.NoError(t, err)
			tc.setup(t, js, nc)
			hangcheck.Within(t, "Open", func() { _, err = taskqueue.Open(t.Context(), nc, tc.cfg) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// openWith returns a setup that opens the queue with cfg.
func openWith(cfg taskqueue.Config) func(t *testing.T, js jetstream.JetStream, nc *nats.Conn) {
	return func(t *testing.T, _ jetstream.JetStream, nc *nats.Conn) {
		_, err := taskqueue.Open(t.Context(), nc, cfg)
		require.NoError(t, err)
	}
}

// Two queues with different names live side by side on one server.
func TestQueuesWithDifferentNames(t *testing.T) {
	srv := startServer(t)
	a := open(t, srv, taskqueue.Config{Name: "emails"})
	b := open(t, srv, taskqueue.Config{Name: "images"})
	enqueue(t, a, taskqueue.Job{ID: "1", Data: []byte("2")})
	enqueue(t, b, taskqueue.Job{ID: "1", Data: []byte("3")})
	start(t, &taskqueue.Worker{Queue: a, Handler: square})
	start(t, &taskqueue.Worker{Queue: b, Handler: square})
	ra, err := wait(t, a, "1")
	require.NoError(t, err)
	rb, err := wait(t, b, "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"4", "9"}, []string{string(ra[0]), string(rb[0])})
	assert.Equal(t, "emails", a.Config().Name)
}

// Wait finds outcomes stored before it began, results and dead letters
// alike: here a second producer, with a queue of its own that never
// waited before, asks after the worker has stopped.
func TestWaitFindsOutcomesStoredBefore(t *testing.T) {
	srv := startServer(t)
	cfg := taskqueue.Config{MaxDeliver: 1}
	q := open(t, srv, cfg)
	stop := start(t, &taskqueue.Worker{Queue: q, Handler: square})
	enqueue(t, q, taskqueue.Job{ID: "good", Data: []byte("4")}, taskqueue.Job{ID: "bad", Data: []byte("four")})
	_, err := wait(t, q, "good", "bad")
	require.Error(t, err)
	require.ErrorIs(t, stop(), context.Canceled)

	later := open(t, srv, cfg)
	res, err := wait(t, later, "bad", "good", "good")
	assert.Equal(t, []string{"", "16", "16"}, strs(res), "results, in the order asked")
	var dj *taskqueue.DeadJob
	require.ErrorAs(t, err, &dj)
	assert.Equal(t, "bad", dj.ID)
	assert.Equal(t, `strconv.Atoi: parsing "four": invalid syntax`, dj.Err)
}

// Close ends a Wait in progress, and the Waits after it, with an error;
// the rest of the queue keeps working.
func TestCloseEndsWait(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{})
	waiting := make(chan error, 1)
	go func() {
		_, err := q.Wait(t.Context(), "never-enqueued")
		waiting <- err
	}()
	q.Close()
	assert.EqualError(t, recv(t, "Wait to return after Close", waiting), "taskqueue: wait: the queue was closed")
	_, err := q.Wait(t.Context(), "never-enqueued")
	assert.EqualError(t, err, "taskqueue: wait: the queue was closed")
	q.Close() // again: nothing happens

	enqueue(t, q, taskqueue.Job{ID: "done", Data: []byte("5")})
	start(t, &taskqueue.Worker{Queue: q, Handler: square})
	res, err := wait(t, open(t, srv, taskqueue.Config{}), "done")
	require.NoError(t, err)
	assert.Equal(t, "25", string(res[0]))
}
