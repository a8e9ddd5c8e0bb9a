package main

// These tests run the command's run, in this process, with a NATS server
// of their own or the one run embeds; the workers it starts are this test
// binary again, which TestMain turns into a worker when its first
// argument is -worker, as the command's own binary would be. The bad
// input tests also run this binary as the command itself, main and all,
// for its exit status (go run turns every exit status into 1).
//
// NATS uses real sockets and timers, so no test here uses synctest, and
// none sleeps: a test waits for an event (a line a worker prints, a
// heartbeat on the server, run returning), bounded by hangcheck, which
// reports a hang and never judges speed. The AckWaits are real: the
// server honours them, and the tests that kill or stop a worker wait for
// them to pass. No test runs in parallel: childcheck sees every child of
// the binary.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdEnv makes the tests' workers hold a chunk: "PATH", or "PATH N" for
// a chunk of a problem of N points only. The first worker to start such a
// chunk, on its first attempt, creates the file PATH and holds the chunk
// until the worker stops (or is killed), printing "held: chunk ID". Only
// one chunk is held per file: the one a test then kills or stops the
// worker of.
const holdEnv = "CLUSTER_TEST_HOLD"

// mainEnv, set to 1, makes this test binary the command itself: main,
// with the arguments it was given.
const mainEnv = "CLUSTER_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(mainEnv) == "1" {
		main() // exits 2 or 1 on an error
		os.Exit(0)
	}
	if len(os.Args) > 1 && os.Args[1] == "-worker" {
		os.Exit(testWorker())
	}
	childcheck.VerifyTestMain(m)
}

// testWorker is main for this binary as a worker.
func testWorker() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a := &app{stdout: os.Stdout, stderr: os.Stderr, hold: testHold(os.Getenv(holdEnv))}
	if err := a.run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testHold returns the hold holdEnv asks for, or nil.
func testHold(env string) hold {
	path, n, _ := strings.Cut(env, " ")
	if path == "" {
		return nil
	}
	return func(ctx context.Context, job taskqueue.Job, out *log.Logger) {
		var c integrate.Chunk
		if job.Attempt > 1 || json.Unmarshal(job.Data, &c) != nil || n != "" && fmt.Sprint(c.N) != n {
			return
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return // another chunk is held, or was
		}
		_ = f.Close()
		out.Printf("held: chunk %s", job.ID)
		<-ctx.Done()
	}
}

// A seen is a line a local worker printed.
type seen struct {
	pid  int
	text string
}

// lines keeps the lines the local workers print, for a test to wait for.
type lines struct {
	mu     sync.Mutex // protects all
	all    []seen
	notify chan struct{} // a token when a line arrives; 1 is enough, as await reads them all
}

func newLines() *lines { return &lines{notify: make(chan struct{}, 1)} }

// add is the app's onLine: it never blocks, so the worker never waits
// for the test.
func (l *lines) add(pid int, text string) {
	l.mu.Lock()
	l.all = append(l.all, seen{pid, text})
	l.mu.Unlock()
	select {
	case l.notify <- struct{}{}: // the test will look
	default: // a token is there already
	}
}

// await returns the first line that match accepts, waiting for it until
// b's run ends (without it: the test fails).
func (l *lines) await(t *testing.T, what string, b *bg, match func(seen) bool) seen {
	t.Helper()
	var got seen
	found := false
	hangcheck.Within(t, what, func() {
		for {
			l.mu.Lock()
			for _, s := range l.all {
				if match(s) {
					got, found = s, true
					break
				}
			}
			l.mu.Unlock()
			if found {
				return
			}
			select {
			case <-l.notify: // new lines
			case <-b.done: // the run is over
				return
			}
		}
	})
	if !found {
		t.Fatalf("the run ended before %s, with the error %v\nstderr: %s\nthe workers printed:\n%s", what, b.err, b.stderr.String(), l.String())
	}
	return got
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, s := range l.all {
		fmt.Fprintf(&b, "  %d: %s\n", s.pid, s.text)
	}
	return b.String()
}

// A bg is a run of the app in a goroutine of its own.
type bg struct {
	done           chan struct{} // closed when run has returned
	stdout, stderr bytes.Buffer  // read after done
	err            error
}

// runBG runs the app with args until it returns; onLine may be nil.
func runBG(ctx context.Context, l *lines, args ...string) *bg {
	b := &bg{done: make(chan struct{})}
	a := &app{stdout: &b.stdout, stderr: &syncWriter{w: &b.stderr}}
	if l != nil {
		a.onLine = l.add
	}
	go func() {
		defer close(b.done)
		b.err = a.run(ctx, args)
	}()
	return b
}

// wait waits for the run to return, bounded by hangcheck.
func (b *bg) wait(t *testing.T) error {
	t.Helper()
	hangcheck.Within(t, "run to return", func() { <-b.done })
	return b.err
}

// runArgs runs the app with args and returns what it printed.
func runArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	b := runBG(t.Context(), nil, args...)
	err = b.wait(t)
	return b.stdout.String(), b.stderr.String(), err
}

// jsonRows reads the -json lines.
func jsonRows(t *testing.T, stdout string) []report.Measurement {
	t.Helper()
	var out []report.Measurement
	s := bufio.NewScanner(strings.NewReader(stdout))
	for s.Scan() {
		var m report.Measurement
		require.NoError(t, json.Unmarshal(s.Bytes(), &m), "a -json line: %s", s.Text())
		out = append(out, m)
	}
	return out
}

// serialBits is what every mode must give for p.
func serialBits(t *testing.T, p integrate.Problem) uint64 {
	t.Helper()
	v, err := integrate.Serial(t.Context(), p)
	require.NoError(t, err)
	return math.Float64bits(v)
}

// assertSerialBits checks that the run printed rows -json lines, each
// with the bits of p's serial result.
func assertSerialBits(t *testing.T, b *bg, p integrate.Problem, rows int) {
	t.Helper()
	want := serialBits(t, p)
	got := jsonRows(t, b.stdout.String())
	require.Len(t, got, rows)
	for _, m := range got {
		assert.Equal(t, want, math.Float64bits(m.Result), "%s: %v", m.Label(), m.Result)
	}
}

// startServer starts a server for a test, on loopback, shut down at its
// end.
func startServer(t *testing.T) *taskqueue.Server {
	t.Helper()
	srv, err := taskqueue.StartEmbedded(t.TempDir(), taskqueue.ListenLoopback())
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	return srv
}

// tableRow matches a row of the table: mode, workers, result, error,
// time, start-up, speedup, efficiency.
var tableRow = regexp.MustCompile(`^(serial|cluster \((?:cold|warm)\)) +(\d+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)$`)

func TestTableHasTheClusterRows(t *testing.T) {
	out, stderr, err := runArgs(t, "-n", "1e6", "-workers", "1,2")
	require.NoError(t, err, "stderr: %s", stderr)
	childcheck.None(t)
	assert.Empty(t, stderr, "no progress lines when stderr is not a terminal, and no warnings")
	lines := strings.Split(out, "\n")
	assert.Equal(t, "∫ x² dx on [0, 10], n = 1000000, midpoint rule; exact 333.333333333333", lines[0])
	var rows [][]string
	for _, l := range lines {
		if f := tableRow.FindStringSubmatch(l); f != nil {
			rows = append(rows, f[1:])
		}
	}
	require.Len(t, rows, 5, "serial, then cluster (cold) and cluster (warm) with 1 and 2 workers:\n%s", out)
	for i, want := range [][2]string{{"serial", "1"}, {"cluster (cold)", "1"}, {"cluster (cold)", "2"}, {"cluster (warm)", "1"}, {"cluster (warm)", "2"}} {
		assert.Equal(t, want, [2]string{rows[i][0], rows[i][1]})
		assert.Equal(t, rows[0][2], rows[i][2], "%s: every row has the same result", want)
		if want[0] == "cluster (cold)" {
			assert.Regexp(t, `^\d+(\.\d+)?[mµ]?s$`, rows[i][5], "a cold row says what starting the workers took")
		} else {
			assert.Equal(t, "-", rows[i][5], "%s %s workers started no process in its runs", want[0], want[1])
		}
	}
	assert.Contains(t, out, "\ncluster (cold): each run starts the local workers, computes, stops them;\n")
	assert.Regexp(t, `\nserver: embedded, listening on nats://127\.0\.0\.1:\d+\n`, out)
	assert.Regexp(t, `\n  cluster \(warm\)    2 workers: +\d+ chunks, computed by 2 workers, overhead \S+ a chunk\n`, out)
	assert.Contains(t, out, "speedup over serial:\n")
}

// TestJSONRowsHaveSerialsBits: one object per row, each cluster row with
// serial's bits, its chunks, and for the cold rows the start-up; and each
// run's chunks have job IDs of their own, or the queue would drop the
// second run's as duplicates of the first's.
func TestJSONRowsHaveSerialsBits(t *testing.T) {
	p := integrate.Problem{F: "x2", A: 0, B: 10, N: 100_003, Rule: integrate.Trapezoid}
	l := newLines()
	b := runBG(t.Context(), l, "-json", "-n", "100003", "-rule", "trapezoid", "-workers", "1,3", "-repeat", "2")
	require.NoError(t, b.wait(t), "stderr: %s", b.stderr.String())
	childcheck.None(t)
	rows := jsonRows(t, b.stdout.String())
	require.Len(t, rows, 5)
	want := serialBits(t, p)
	x2, err := integrate.Lookup("x2")
	require.NoError(t, err)
	for i, w := range [][3]string{{"serial", "", "1"}, {"cluster", "cold", "1"}, {"cluster", "cold", "3"}, {"cluster", "warm", "1"}, {"cluster", "warm", "3"}} {
		m := rows[i]
		assert.Equal(t, w, [3]string{m.Mode, m.Pool, fmt.Sprint(m.Workers)})
		assert.Equal(t, want, math.Float64bits(m.Result), "%s: %v", m.Label(), m.Result)
		assert.Equal(t, x2.Kernel(), m.Kernel)
		assert.Equal(t, 2, m.Repeat)
		if m.Mode == "serial" {
			assert.Zero(t, m.Chunks)
			continue
		}
		assert.GreaterOrEqual(t, m.Chunks, m.Workers, "%s %d: chunks", m.Label(), m.Workers)
		assert.GreaterOrEqual(t, m.ChunkWorkers, m.Workers, "%s %d: our workers count", m.Label(), m.Workers)
		if m.Pool == "cold" {
			assert.Positive(t, m.StartupSeconds, "a cold run starts its workers")
			assert.Less(t, m.StartupSeconds, m.Seconds, "and the start-up is part of it")
		} else {
			assert.Zero(t, m.StartupSeconds)
		}
	}
	// Each run's chunk IDs are <run>.<i>: 2 cold runs per row, and for
	// each warm row a warm-up and 2 runs, make 10 runs.
	runs := map[string]bool{}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.all {
		if id, ok := strings.CutPrefix(s.text, "start: chunk "); ok {
			run, _, _ := strings.Cut(id, ".")
			runs[run] = true
		}
	}
	assert.Len(t, runs, 10, "every run has job IDs of its own")
}

// TestAWorkerKilledMidChunk: a worker is killed with SIGKILL while it
// holds a chunk; the server gives the chunk to the other worker after
// AckWait, and the result has serial's bits.
func TestAWorkerKilledMidChunk(t *testing.T) {
	t.Setenv(holdEnv, t.TempDir()+"/held")
	srv := startServer(t)
	l := newLines()
	b := runBG(t.Context(), l, "-nats", srv.URL(), "-ackwait", "1s", "-json", "-mode", "cluster", "-workers", "2", "-n", "2e7")
	held := l.await(t, "a chunk held", b, func(s seen) bool { return strings.HasPrefix(s.text, "held: ") })
	id := strings.TrimPrefix(held.text, "held: chunk ")
	p, err := os.FindProcess(held.pid)
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	again := l.await(t, "the chunk started again", b, func(s seen) bool {
		return strings.HasPrefix(s.text, "start: chunk "+id+", attempt 2:")
	})
	assert.NotEqual(t, held.pid, again.pid, "the other worker takes it")

	require.NoError(t, b.wait(t), "stderr: %s", b.stderr.String())
	childcheck.None(t)
	assertSerialBits(t, b, integrate.Problem{F: "x2", A: 0, B: 10, N: 20_000_000}, 2)
	assert.Regexp(t, fmt.Sprintf(`cluster: worker process \S+:%d exited: signal: killed; its chunk, if it had one, goes to another worker after AckWait`, held.pid),
		b.stderr.String(), "the parent says what happened")
}

// TestEveryWorkerGoneFailsTheRun: when every local worker dies, the run
// fails at once, saying so, rather than wait for workers that will never
// come.
func TestEveryWorkerGoneFailsTheRun(t *testing.T) {
	t.Setenv(holdEnv, t.TempDir()+"/held")
	l := newLines()
	b := runBG(t.Context(), l, "-mode", "cluster", "-workers", "1", "-n", "2e7")
	held := l.await(t, "a chunk held", b, func(s seen) bool { return strings.HasPrefix(s.text, "held: ") })
	p, err := os.FindProcess(held.pid)
	require.NoError(t, err)
	require.NoError(t, p.Kill())
	err = b.wait(t)
	childcheck.None(t)
	require.ErrorIs(t, err, errAllGone)
	assert.ErrorContains(t, err, fmt.Sprintf("cluster: cluster (cold) with 1 workers: every local worker process exited (the last one, %s:%d: signal: killed)", hostname(), held.pid))
}

// TestAWorkerOfAnotherBuildRefusesItsChunks: chunks that name another
// kernel than the workers' (as a parent built with GOEXPERIMENT=simd
// would send to workers of the default build) are refused, and the
// refusal reaches the parent, which fails the run with it, rather than
// combine sums of other bits.
func TestAWorkerOfAnotherBuildRefusesItsChunks(t *testing.T) {
	srv := startServer(t)
	f, err := parseFlags([]string{"-nats", srv.URL(), "-ackwait", "1s"}, &bytes.Buffer{})
	require.NoError(t, err)
	var stderr bytes.Buffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &syncWriter{w: &stderr}}
	cl, urls, closeAll, err := a.connect(t.Context(), f)
	require.NoError(t, err)
	defer closeAll()
	l, _, err := startLocal(t.Context(), urls, []string{"-concurrency", "1"}, a.stderr, nil)
	require.NoError(t, err)
	defer func() {
		assert.NoError(t, l.stop())
		childcheck.None(t)
	}()

	p := integrate.Problem{F: "x2", A: 0, B: 10, N: 1_000_000}
	chunks, err := chunksFor(p, 1)
	require.NoError(t, err)
	// The other build's kernel: the SIMD build's, or in the SIMD build
	// the default build's.
	x2, err := integrate.Lookup("x2")
	require.NoError(t, err)
	other := "SIMD, 4×Float64x8 (AVX-512)"
	if x2.Kernel() == other {
		other = "scalar, 4 accumulators"
	}
	for i := range chunks {
		chunks[i].Kernel = other
	}
	hangcheck.Within(t, "the run", func() { _, err = cl.integrate(t.Context(), p, chunks, l.names()) })
	assert.ErrorContains(t, err, fmt.Sprintf(`worker %s refused it: integrate: the parent sums x2 with the kernel %q, this worker with %q: not the same build of the program`,
		l.names()[0], other, x2.Kernel()))
	assert.Regexp(t, `^chunk \d+ of \d+ \(blocks \d+\.\.\d+ of x2 on \[0, 10\], n=1000000, midpoint rule, x in \[`, err.Error(), "the error names the chunk")

	// The run's chunks are gone from the queue, refused or not yet
	// taken: no worker computes them for nobody.
	st, err := cl.q.Stats(t.Context())
	require.NoError(t, err)
	assert.Zero(t, st.Queued, "the failed run's chunks are removed from the queue; stderr: %s", stderr.String())
}

// TestInterruptLeavesNoChild cancels run's ctx, as Ctrl-C does, while
// the workers of a cold row, then of a warm row, compute: run returns the
// ctx's error, and every worker has been stopped and reaped.
func TestInterruptLeavesNoChild(t *testing.T) {
	for _, pool := range []string{"cold", "warm"} {
		t.Run(pool, func(t *testing.T) {
			hold := t.TempDir() + "/held"
			if pool == "warm" {
				// Only the warm row's warm-up has 4 blocks a worker.
				hold += fmt.Sprint(" ", 4*2*integrate.BlockSize)
			}
			t.Setenv(holdEnv, hold)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			l := newLines()
			b := runBG(ctx, l, "-mode", "cluster", "-workers", "2", "-n", "2e6")
			l.await(t, "a chunk held", b, func(s seen) bool { return strings.HasPrefix(s.text, "held: ") })
			cancel()
			err := b.wait(t)
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorContains(t, err, "cluster ("+pool+") with 2 workers")
			childcheck.None(t)
		})
	}
}

func TestFitCutsTheChunksThatWouldNotFitAMessage(t *testing.T) {
	p := integrate.Problem{F: "x2", A: 0, B: 1, N: 3 * maxChunkBlocks * integrate.BlockSize}
	chunks, err := integrate.Split(p, 1)
	require.NoError(t, err)
	fitted := fit(chunks)
	var next int64
	for _, c := range fitted {
		assert.Equal(t, next, c.First)
		assert.LessOrEqual(t, c.Blocks(), int64(maxChunkBlocks))
		next = c.Last
	}
	assert.Equal(t, int64(3*maxChunkBlocks), next, "the chunks still cover every block")
	assert.Greater(t, len(fitted), len(chunks))

	// The largest result is under the server's default maximum payload.
	b, err := json.Marshal(result{Worker: "a-long-host-name.example.com:4194304", Sums: make([]byte, 8*maxChunkBlocks),
		Start: math.MaxInt64, End: math.MaxInt64})
	require.NoError(t, err)
	assert.Less(t, len(b), 1<<20)
}

func TestSumsSurviveTheirEncoding(t *testing.T) {
	sums := []float64{0, math.Copysign(0, -1), 1.0 / 3, math.Inf(1), math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64}
	back := decodeSums(encodeSums(sums))
	require.Len(t, back, len(sums))
	for i := range sums {
		assert.Equal(t, math.Float64bits(sums[i]), math.Float64bits(back[i]), "sum %d", i)
	}
}

// TestAWorkerJoinsTheQueueAsTheServerHasIt: a worker given only -nats
// takes the queue's settings from the server.
func TestAWorkerJoinsTheQueueAsTheServerHasIt(t *testing.T) {
	srv := startServer(t)
	nc, err := srv.Connect()
	require.NoError(t, err)
	defer nc.Close()
	made := taskqueue.Config{Name: "Q", AckWait: 1234 * 1e6, MaxDeliver: 7, MaxAckPending: 9, Duplicates: 3e9}
	q, err := taskqueue.Open(t.Context(), nc, made)
	require.NoError(t, err)
	q.Close()
	got, err := joinConfig(t.Context(), nc, taskqueue.Config{Name: "Q"})
	require.NoError(t, err)
	assert.Equal(t, taskqueue.Config{Name: "Q", AckWait: made.AckWait, MaxDeliver: 7, MaxAckPending: 9, Duplicates: made.Duplicates, Replicas: 1}, got)

	got, err = joinConfig(t.Context(), nc, taskqueue.Config{Name: "NEW", AckWait: 42})
	require.NoError(t, err)
	assert.Equal(t, taskqueue.Config{Name: "NEW", AckWait: 42}, got, "a queue not yet made: the flags' settings")
}

func TestHelpIsNotAnError(t *testing.T) {
	_, stderr, err := runArgs(t, "-h")
	require.NoError(t, err)
	assert.Contains(t, stderr, "usage: cluster [flags]\n       cluster -worker -nats URL [-concurrency n]")
	assert.Contains(t, stderr, "-nats")
}

func TestListNamesTheModes(t *testing.T) {
	out, _, err := runArgs(t, "-list")
	require.NoError(t, err)
	assert.Contains(t, out, "  x2 ")
	assert.Contains(t, out, "modes (-mode): serial, cluster (a cold and a warm row)\n")
}

// TestTimelineDrawsTheWorkers: -timeline draws, for each cluster row, a
// row per worker that computed chunks, timed by the worker, never this
// process.
func TestTimelineDrawsTheWorkers(t *testing.T) {
	out, _, err := runArgs(t, "-n", "2e6", "-workers", "2", "-mode", "cluster", "-timeline", "-width", "80")
	require.NoError(t, err)
	childcheck.None(t)
	_, charts, ok := strings.Cut(out, "\ncluster (cold), 2 workers (the last of 1 runs): a bar per range of blocks\n")
	require.True(t, ok, "a chart for the cold row:\n%s", out)
	cold, warm, ok := strings.Cut(charts, "\ncluster (warm), 2 workers (the last of 1 runs): a bar per range of blocks\n")
	require.True(t, ok, "then one for the warm row:\n%s", out)
	for _, chart := range []string{cold, warm} {
		assert.Regexp(t, fmt.Sprintf(`(?m)^worker %s:\d+ +│`, regexp.QuoteMeta(hostname())), chart)
		assert.NotRegexp(t, fmt.Sprintf(`(?m)^worker \S+:%d `, os.Getpid()), chart, "the workers compute, not this process")
		assert.Regexp(t, `at most [12] at once`, chart)
	}
}
