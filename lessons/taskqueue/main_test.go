package main

// The lesson's worker processes are this test binary: run re-runs
// os.Executable() with -worker, and TestMain then runs main, as go run's
// binary would, instead of the tests (the helper-process idiom of
// os/exec's own tests).
//
// Every test runs the lesson against a real NATS server, the embedded
// one or one the test starts, over real sockets and real time: none runs
// in synctest, none sleeps. The lesson waits for events (a worker's
// line, a pull that returns); the tests check what it printed, with the
// pids, ports, times and worker numbers that change from run to run
// masked, and that nothing is left running. Tests that start worker
// processes do not run in parallel.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if slices.Contains(os.Args[1:], "-worker") {
		main() // exits 1 by itself on an error
		os.Exit(0)
	}
	childcheck.VerifyTestMain(m)
}

// masks replace what changes from run to run with fixed words.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`nats://127\.0\.0\.1:\d+`), "nats://127.0.0.1:PORT"},
	{regexp.MustCompile(`\b\d+(\.\d+)?(ns|µs|ms|s|m0s)\b`), "T"},
	{regexp.MustCompile(`pid \d+`), "pid N"},
	{regexp.MustCompile(`worker \d+`), "worker N"},
}

// mask blanks out the pids, ports, times and worker numbers of s.
func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// runLesson runs the lesson with args and returns what it printed. It
// fails t if run fails, hangs, or leaves a child process behind.
func runLesson(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	var err error
	hangcheck.Within(t, "run "+strings.Join(args, " "), func() {
		err = run(t.Context(), &out, args)
	})
	require.NoError(t, err, "output so far:\n%s", out.String())
	childcheck.None(t)
	return out.String()
}

// Example runs the lesson with an AckWait of 200ms, which makes its waits
// short. The pids, ports, times and worker numbers change on every run,
// so it prints the output with them blanked out.
func Example() {
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-ackwait", "200ms"}); err != nil {
		fmt.Println(err)
	}
	fmt.Print(mask(out.String()))
	// Output:
	// An embedded NATS server with JetStream: file storage in a temporary directory, listening on nats://127.0.0.1:PORT for worker processes
	//
	// 1. The queue: stream TASKS, subjects tasks.>, work-queue retention (a job leaves the stream once acked)
	//   consumer workers: pull, explicit acks, AckWait T, MaxDeliver 3, MaxAckPending 4
	//   bucket results: each job's result under its ID; stream DEAD: the jobs that failed 3 times
	//
	// 2. The producer enqueues job-1 ... job-6, each with its ID as the message ID (the Nats-Msg-Id header)
	//   job-1 ... job-6: stored as messages 1 to 6 of TASKS
	//   job-3 again: duplicate true, message 3: the server keeps one copy per ID for T
	//   TASKS holds 6 jobs
	//
	// 3. 3 workers in goroutines; each pulls one job at a time, stores its result, then acks
	//   job-1: 1 (delivery 1, worker N)
	//   job-2: 4 (delivery 1, worker N)
	//   job-3: 9 (delivery 1, worker N)
	//   job-4: 16 (delivery 1, worker N)
	//   job-5: 25 (delivery 1, worker N)
	//   job-6: 36 (delivery 1, worker N)
	//   6 jobs, each done once (job-3, enqueued twice, too); TASKS holds 0 jobs
	//
	// 4. Worker A pulls with Consume(), which asks for up to 500 jobs ahead; job-7 ... job-14 are queued
	//   the server has handed A 4 jobs (NumAckPending 4), job-7 ... job-10: MaxAckPending 4 caps it
	//   A does job-7, stores its result, and crashes before its ack: its connection closes
	//   worker B, pulling one job at a time, waits T for its first job: A's 4 jobs wait out AckWait, and, as they fill MaxAckPending, so does every other job
	//   job-7: delivery 2: result already stored by worker A; B acks it without doing it again
	//   job-8: 64 (delivery 2, worker B)
	//   job-9: 81 (delivery 2, worker B)
	//   job-10: 100 (delivery 2, worker B)
	//   job-11: 121 (delivery 1, worker B)
	//   job-12: 144 (delivery 1, worker B)
	//   job-13: 169 (delivery 1, worker B)
	//   job-14: 196 (delivery 1, worker B)
	//
	// 5. 2 worker processes: this program again, with -worker -nats nats://127.0.0.1:PORT
	//   worker N (pid N), worker N (pid N) are ready
	//   job-15 takes T, longer than AckWait: its worker calls InProgress every T; job-16 ... job-19 take T each
	//   worker N (pid N) starts job-15; we kill it with SIGKILL, mid-job: signal: killed
	//   worker N (pid N) starts in its place
	//   job-15: 225 (delivery 2, worker N)
	//   job-16: 256 (delivery 1, worker N)
	//   job-17: 289 (delivery 1, worker N)
	//   job-18: 324 (delivery 1, worker N)
	//   job-19: 361 (delivery 1, worker N)
	//   job-15 went to a live worker T after the kill: the server waited AckWait for an ack, or an InProgress, that never came
	//   and it was delivered twice, not three times: while it ran past AckWait, the InProgress of its new worker kept the idle one from getting it
	//
	// 6. A poison job: job-20 fails every time; its worker naks it with a T delay, and on the last delivery (MaxDeliver 3) moves it to DEAD
	//   job-20, delivery 1: bad input: -20 is negative: nak'ed, to come back in T
	//   job-20, delivery 2: bad input: -20 is negative: nak'ed, to come back in T
	//   job-20, delivery 3: bad input: -20 is negative: written to dead.job-20, then terminated
	//   DEAD holds job-20, with its last error: bad input: -20 is negative
	//
	// 7. Shutdown: job-21 would take an hour; once a worker has started it, we interrupt every worker, as Ctrl-C would
	//   we stop 1 idle worker first; then worker N, stopped mid-job, naks job-21 and exits
	//   every worker exited with status 0, and is reaped
	//   we pull job-21: delivery 2, T after the nak, not AckWait; we terminate it
	//
	// Done: the streams and the bucket are deleted; the embedded server shuts down, and its directory is removed
}

// TestOutputMatchesREADME runs the lesson with its default flags and
// checks its output against the README's "Expected output", line for
// line, once what changes from run to run is blanked out in both.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	out := runLesson(t)
	assert.Equal(t, readme.Lines(mask(block)), readme.Lines(mask(out)))
}

// doneLine is a result line: "  job-15: 225 (delivery 2, worker 3)".
var doneLine = regexp.MustCompile(`(?m)^  (job-\d+): (\d+) \(delivery (\d+), (worker \w+)\)$`)

// A done is one parsed doneLine.
type done struct {
	value, delivery, worker string
}

// dones parses the doneLines of out, by job.
func dones(out string) map[string]done {
	m := map[string]done{}
	for _, d := range doneLine.FindAllStringSubmatch(out, -1) {
		m[d[1]] = done{d[2], d[3], d[4]}
	}
	return m
}

// TestEveryJobIsDoneOnce checks the results of sections 3 to 5: every job
// is done once, with the right value; the jobs that A held when it
// crashed come back on their second delivery; the others come once.
func TestEveryJobIsDoneOnce(t *testing.T) {
	out := runLesson(t, "-ackwait", "200ms", "-workers", "2")
	ds := dones(out)
	for n := 1; n <= 19; n++ {
		id := jobID(n)
		if n == 7 {
			assert.NotContains(t, ds, id, "job-7's result was stored by A; B must not do it again")
			continue
		}
		if !assert.Contains(t, ds, id, "no result line for %s in:\n%s", id, out) {
			continue
		}
		assert.Equal(t, fmt.Sprint(n*n), ds[id].value, "%s's result", id)
		want := "1"
		if (n >= 8 && n <= 10) || n == 15 {
			want = "2" // held by A when it crashed, or by the killed worker
		}
		assert.Equal(t, want, ds[id].delivery, "%s's delivery", id)
	}
	assert.Contains(t, out, "\n  job-7: delivery 2: result already stored by worker A; B acks it without doing it again\n")
	assert.Contains(t, out, "\n  6 jobs, each done once (job-3, enqueued twice, too); TASKS holds 0 jobs\n")
}

// killLine is section 5's kill.
var killLine = regexp.MustCompile(`(?m)^  (worker \d+) \(pid (\d+)\) starts job-15; we kill it with SIGKILL, mid-job: (.*)$`)

// TestKilledWorkersJobIsDoneByAnother runs section 5 with three worker
// processes: the worker that starts job-15 is killed, and job-15 is done
// on its second delivery by another worker; the replacement is worker 4.
func TestKilledWorkersJobIsDoneByAnother(t *testing.T) {
	out := runLesson(t, "-ackwait", "200ms", "-procs", "3")
	m := killLine.FindStringSubmatch(out)
	require.NotNil(t, m, "no kill line in:\n%s", out)
	assert.Equal(t, "signal: killed", m[3], "how the killed worker ended")
	d, ok := dones(out)["job-15"]
	require.True(t, ok, "job-15 was never done:\n%s", out)
	assert.Equal(t, "2", d.delivery, "job-15 is delivered again once, after AckWait, and only once")
	assert.NotEqual(t, m[1], d.worker, "job-15 was done by the worker that was killed")
	assert.Regexp(t, `\n  worker 4 \(pid \d+\) starts in its place\n`, out)
	assert.Contains(t, out, "\n  every worker exited with status 0, and is reaped\n")
}

// startServer starts a NATS server in the test, on a random port of
// 127.0.0.1, with JetStream if js: a stand-in for a real server, for
// -nats. It is shut down when t ends.
func startTestServer(t *testing.T, js bool) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: js, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	require.NoError(t, err)
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second), "the test's server is not ready")
	return ns
}

// connectTo connects to ns for the test; the connection is closed when t
// ends.
func connectTo(t *testing.T, ns *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

// TestWithAServerOfItsOwn runs the lesson with -nats, against a server
// the test starts, in which a run cut short has left a TASKS stream with
// a job in it. The lesson starts from nothing all the same, prints what
// it prints with the embedded server, and leaves no stream behind.
func TestWithAServerOfItsOwn(t *testing.T) {
	ns := startTestServer(t, true)
	js := connectTo(t, ns)
	_, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: streamName, Subjects: []string{"tasks.>"}})
	require.NoError(t, err)
	_, err = js.Publish(t.Context(), "tasks.job-99", []byte(`{"n":99}`))
	require.NoError(t, err)

	out := runLesson(t, "-nats", ns.ClientURL(), "-ackwait", "200ms")
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	got, wantLines := readme.Lines(mask(out)), readme.Lines(mask(want))
	require.NotEmpty(t, got)
	assert.Equal(t, "The NATS server at nats://127.0.0.1:PORT", got[0])
	assert.Equal(t, wantLines[1:len(wantLines)-1], got[1:len(got)-1], "everything but the first and the last line")
	assert.Equal(t, "Done: the streams and the bucket are deleted", got[len(got)-1])

	names := js.StreamNames(t.Context())
	var left []string
	for name := range names.Name() {
		left = append(left, name)
	}
	require.NoError(t, names.Err())
	assert.Empty(t, left, "streams left on the server")
}

// TestBadServers checks that a server the lesson cannot use is a clear
// error, at once, with nothing left running: one that nobody listens
// for, one without JetStream, and, for a worker, one without the
// lesson's queue.
func TestBadServers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	nobody := "nats://" + ln.Addr().String()
	require.NoError(t, ln.Close()) // the port is free: a dial is refused
	plain := startTestServer(t, false).ClientURL()
	bare := startTestServer(t, true).ClientURL()

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-nats", nobody}, "connecting to " + nobody + ": nats: no servers available for connection"},
		{[]string{"-nats", plain}, "the server at " + plain + ": nats: API error: code=503 err_code=10076 description=jetstream not enabled"},
		{[]string{"-worker", "-nats", nobody}, "connecting to " + nobody + ": nats: no servers available for connection"},
		{[]string{"-worker", "-nats", bare}, "no queue to work for at " + bare + ": stream TASKS: nats: API error: code=404 err_code=10059 description=stream not found; start the lesson first"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			var err error
			hangcheck.Within(t, "run", func() { err = run(t.Context(), &out, tc.args) })
			assert.ErrorContains(t, err, tc.want)
			childcheck.None(t)
		})
	}
}

// A tripwire is an io.Writer that keeps what is written to it, and
// closes hit when a write contains mark. The lesson's Logger writes each
// line in one call.
type tripwire struct {
	mark string
	hit  chan struct{}

	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (w *tripwire) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.mark)) && !strings.Contains(w.buf.String(), w.mark) {
		close(w.hit)
	}
	return w.buf.Write(p)
}

func (w *tripwire) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestCtrlC cancels ctx, as Ctrl-C does, in the middle of each section:
// run returns ctx's error, with every worker process reaped, the embedded
// server shut down and every goroutine ended (TestMain checks the
// goroutines at the end).
func TestCtrlC(t *testing.T) {
	for _, mark := range []string{
		"\n1. The queue",
		"  TASKS holds 6 jobs",
		"  the server has handed A",
		" are ready",
		"we kill it with SIGKILL",
		"\n6. A poison job",
		"\n7. Shutdown",
	} {
		t.Run(strings.TrimSpace(mark), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			w := &tripwire{mark: mark, hit: make(chan struct{})}
			var err error
			ended := make(chan struct{})
			go func() {
				defer close(ended)
				err = run(ctx, w, []string{"-ackwait", "200ms"})
			}()
			hangcheck.Within(t, "run, until it printed "+mark, func() {
				select {
				case <-w.hit: // the section has begun: Ctrl-C
				case <-ended: // run ended before it printed mark
				}
			})
			cancel()
			hangcheck.Within(t, "run, after ctx was cancelled", func() { <-ended })
			require.ErrorIs(t, err, context.Canceled, "output:\n%s", w)
			assert.EqualError(t, err, "context canceled", "nothing else may fail on the way out")
			assert.NotContains(t, w.String(), "\nDone:")
			childcheck.None(t)
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything or starts
// anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-workers", "0"}, "-workers must be from 1 to 16, got 0"},
		{[]string{"-workers", "17"}, "-workers must be from 1 to 16, got 17"},
		{[]string{"-procs", "1"}, "-procs must be from 2 to 8, got 1"},
		{[]string{"-procs", "9"}, "-procs must be from 2 to 8, got 9"},
		{[]string{"-ackwait", "10ms"}, "-ackwait must be from 100ms to 1m, got 10ms"},
		{[]string{"-ackwait", "2m"}, "-ackwait must be from 100ms to 1m, got 2m0s"},
		{[]string{"-ackwait", "1"}, `invalid value "1" for flag -ackwait`},
		{[]string{"-nats", "localhost:4222"}, `-nats must be a URL such as nats://127.0.0.1:4222, got "localhost:4222"`},
		{[]string{"-nats", "http://localhost:4222"}, `-nats must be a URL such as nats://127.0.0.1:4222, got "http://localhost:4222"`},
		{[]string{"-worker"}, "-worker needs -nats: the URL of the server that holds the queue"},
		{[]string{"-jobs", "4"}, "flag provided but not defined: -jobs"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
	childcheck.None(t)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-nats", "-workers", "-procs", "-ackwait", "-worker", "-name"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestEventLinesRoundTrip checks that what a worker process prints reads
// back as the event it printed.
func TestEventLinesRoundTrip(t *testing.T) {
	for _, e := range []event{
		{worker: "worker 2", what: "ready"},
		{worker: "worker 2", what: "start", job: "job-15", delivery: 1},
		{worker: "worker 3", what: "done", job: "job-15", delivery: 2, detail: "225"},
		{worker: "worker 1", what: "retry", job: "job-20", delivery: 1, detail: "bad input: -20 is negative"},
		{worker: "my worker", what: "nak", job: "job-21", delivery: 1, detail: "stopping"},
	} {
		got, ok := parseEvent(e.String())
		assert.True(t, ok, "%q does not parse", e)
		assert.Equal(t, e, got, "%q", e)
	}
	_, ok := parseEvent("")
	assert.False(t, ok)
}

// TestSquare checks the jobs' work, and that it stops when ctx is done.
func TestSquare(t *testing.T) {
	v, err := square(t.Context(), task{N: 12})
	require.NoError(t, err)
	assert.Equal(t, 144, v)
	_, err = square(t.Context(), task{N: -1})
	assert.EqualError(t, err, "bad input: -1 is negative")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = square(ctx, task{N: 2, Work: time.Hour})
	assert.True(t, errors.Is(err, context.Canceled))
}
