package processpool_test

// These tests start real worker processes: this test binary, re-run with
// processpool.EnvWorker set, is the worker (TestMain below), as in os/exec's
// own tests. A process blocked on a pipe is not durably blocked in a
// synctest bubble, so no test here uses synctest, and none sleeps.
// Where a test must know that a worker is running its job, the job opens
// a named pipe (a FIFO) for reading and the test opens it for writing:
// each open blocks until the other side has opened it, so when the
// test's open returns, the job is running; closing the test's end ends
// the job. Every wait is bounded by the kill that the test provokes, or
// else by go test's -timeout. No test runs in parallel: childcheck sees
// every child of the binary.
//
// The job deadline is the one real-time bound here, and the tests of it
// want it to fire: a worker stops itself with SIGSTOP, and the pool must
// kill it after stopTimeout. Every other job under that deadline is a
// trivial one (a square, microseconds), so that a loaded machine cannot
// make a healthy worker miss it.

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// stopTimeout is the job deadline in the tests where a worker stops: long
// beside the round trip of a trivial job on a loaded machine, short
// enough that each test that waits for it takes well under a second.
const stopTimeout = 300 * time.Millisecond

// The names this binary answers to as a worker.
const (
	testWorker   = "processpool-test" // runs testJob
	squareWorker = "square"           // runs square (example_test.go)
)

// Environment variables that make a test worker misbehave as a whole
// process, rather than in one job.
const (
	// beforeHelloEnv: "exit" exits with status 4 before the hello;
	// "print" writes a line of text to stdout first; "hang" never sends
	// it (it sleeps for an hour, as a stopped or stuck worker would).
	beforeHelloEnv = "PROCESSPOOL_TEST_BEFORE_HELLO"
	// lingerEnv names a FIFO that the worker opens after Serve returns,
	// which blocks for as long as nobody opens it for writing: a worker
	// that does not exit at the end of its input.
	lingerEnv = "PROCESSPOOL_TEST_LINGER"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(processpool.EnvWorker); name != "" {
		os.Exit(runWorker(name))
	}
	childcheck.VerifyTestMain(m)
}

// runWorker is the worker's main; it returns the exit status.
func runWorker(name string) int {
	switch os.Getenv(beforeHelloEnv) {
	case "exit":
		fmt.Fprintln(os.Stderr, "worker: giving up before the hello")
		return 4
	case "print":
		fmt.Println("hello, I am not a frame")
	case "hang":
		fmt.Fprintln(os.Stderr, "worker: hanging before the hello")
		time.Sleep(time.Hour)
	}
	ctx := context.Background()
	var err error
	switch {
	case processpool.IsWorker(testWorker):
		err = processpool.Serve(ctx, os.Stdin, os.Stdout, testJob)
	case processpool.IsWorker(squareWorker):
		err = processpool.Serve(ctx, os.Stdin, os.Stdout, square)
	default:
		// Without this, an unknown name would run the tests in the
		// child, which would start children of their own.
		fmt.Fprintf(os.Stderr, "unknown worker name %q\n", name)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	if fifo := os.Getenv(lingerEnv); fifo != "" {
		f, err := os.Open(fifo) // blocks: nobody ever opens it for writing
		if err == nil {
			f.Close()
		}
	}
	return 0
}

// job is the request of the test worker.
type job struct {
	N    int
	Mode string // how to misbehave: see testJob
	// Once, if set, is a file that the job creates with O_EXCL: only
	// the attempt that creates it misbehaves, so a job crashes exactly
	// once, whichever worker runs it. The attempts after it behave as
	// After says ("" for well).
	Once  string
	After string
	Gate  string // the FIFO of Mode "gate"
	// Extra is sent as it is; gob cannot send an unregistered type in
	// an interface, which lets a test make a request unsendable.
	Extra any
}

// result is the response of the test worker.
type result struct {
	Square int
	PID    int // the worker that ran the job
	Extra  any
}

// testJob squares j.N, misbehaving as j.Mode says.
func testJob(_ context.Context, j job) (result, error) {
	mode := j.Mode
	if j.Once != "" {
		f, err := os.OpenFile(j.Once, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			mode = j.After // not the first attempt
		} else {
			f.Close()
		}
	}
	r := result{Square: j.N * j.N, PID: os.Getpid()}
	switch mode {
	case "":
	case "error": // an error, which is not a crash
		return result{}, fmt.Errorf("job %d failed", j.N)
	case "panic":
		panic(fmt.Sprintf("job %d panicked", j.N))
	case "exit":
		fmt.Fprintf(os.Stderr, "job %d: exiting with status 3\n", j.N)
		os.Exit(3)
	case "exit0": // exits as if all were well, without answering
		os.Exit(0)
	case "garbage": // stdout is the protocol: this corrupts it
		fmt.Println("this is not a frame")
	case "badframe": // a frame header, and a payload that is not gob
		os.Stdout.Write(append(frameHeader(5), "junk!"...))
	case "hugeframe": // a corrupt frame header: it claims 4 GiB
		os.Stdout.Write(frameHeader(math.MaxUint32))
	case "stop": // SIGSTOP: as hung as a process can be
		stopSelf()
	case "gate": // run until the test closes its end of the FIFO, or kills us
		f, err := os.Open(j.Gate)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if _, err := f.Read(make([]byte, 1)); err == nil {
			return result{}, errors.New("gate: read a byte; want the end of the FIFO")
		}
	case "unsendable": // a response gob cannot encode
		r.Extra = struct{ X int }{j.N}
	default:
		return result{}, fmt.Errorf("unknown mode %q", mode)
	}
	return r, nil
}

// frameHeader returns the header of a frame (see the package doc's wire
// format) that claims n bytes of payload.
func frameHeader(n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0xF0, 'p', 'p', 1, 0}, n)
}

// command returns a Command that runs the test worker, with env added.
func command(t *testing.T, env ...string) processpool.Command {
	t.Helper()
	cmd, err := processpool.Self(testWorker)
	require.NoError(t, err)
	// The race detector's pause at exit would make every Close slow.
	cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// newPool starts a pool that the test closes and checks with closeAndCheck;
// the cleanup only makes sure that a failing test leaves nothing behind.
func newPool(t *testing.T, cmd processpool.Command, workers int) *processpool.Pool[job, result] {
	t.Helper()
	p, err := processpool.New[job, result](t.Context(), cmd, workers)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// closeAndCheck closes p and checks that no worker and no goroutine is
// left.
func closeAndCheck(t *testing.T, p interface{ Close() error }) {
	t.Helper()
	require.NoError(t, p.Close())
	childcheck.None(t)
	goleak.VerifyNone(t)
}

// fifo makes a named pipe for a "gate" job (fifo_unix_test.go); where
// there are none, the test that needs one is skipped.
func fifo(t *testing.T, name string) string {
	t.Helper()
	return mkfifo(t, filepath.Join(t.TempDir(), name))
}

// openGate returns once a worker is running the "gate" job on path.
// Closing the returned file lets the job finish.
func openGate(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	require.NoError(t, err)
	return f
}

// childPIDs returns the PIDs of this process's children.
func childPIDs(t *testing.T) []int {
	t.Helper()
	kids, err := childcheck.Children()
	require.NoError(t, err)
	var pids []int
	for _, k := range kids {
		pids = append(pids, k.PID)
	}
	return pids
}

// outcome is what a Do in another goroutine returned.
type outcome struct {
	r   result
	err error
}

// doAsync calls p.Do in a goroutine that the test joins with wg.Wait.
func doAsync(wg *sync.WaitGroup, ctx context.Context, p *processpool.Pool[job, result], j job) <-chan outcome {
	out := make(chan outcome, 1) // the goroutine never waits to send
	wg.Go(func() {
		r, err := p.Do(ctx, j)
		out <- outcome{r, err}
	})
	return out
}

func TestDoReturnsResponses(t *testing.T) {
	p := newPool(t, command(t), 2)
	pids := childPIDs(t)
	require.Len(t, pids, 2, "New starts the workers at once")
	for i := range 10 {
		r, err := p.Do(t.Context(), job{N: i})
		require.NoError(t, err)
		assert.Equal(t, i*i, r.Square)
		assert.Contains(t, pids, r.PID, "a job runs in one of the pool's workers")
	}
	assert.Equal(t, processpool.Stats{Started: 2, Jobs: 10}, p.Stats())
	closeAndCheck(t, p)
}

func TestMapKeepsInputOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			p := newPool(t, command(t), workers)
			reqs := make([]job, 100)
			for i := range reqs {
				reqs[i] = job{N: i}
			}
			out, err := processpool.Map(t.Context(), p, reqs)
			require.NoError(t, err)
			require.Len(t, out, len(reqs))
			pids := map[int]bool{}
			for i, r := range out {
				require.Equal(t, i*i, r.Square, "response %d", i)
				pids[r.PID] = true
			}
			assert.LessOrEqual(t, len(pids), workers)
			assert.Equal(t, processpool.Stats{Started: workers, Jobs: 100}, p.Stats(),
				"no worker is started per job")
			closeAndCheck(t, p)
		})
	}
}

func TestMapReturnsFirstErrorWithIndex(t *testing.T) {
	p := newPool(t, command(t), 2)
	reqs := []job{{N: 0}, {N: 1}, {N: 2, Mode: "error"}, {N: 3}}
	out, err := processpool.Map(t.Context(), p, reqs)
	assert.Nil(t, out)
	require.ErrorContains(t, err, "processpool: request 2: ")
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "job 2 failed", remote.Msg)
	closeAndCheck(t, p)
}

func TestMapFirstErrorCancelsTheRest(t *testing.T) {
	p := newPool(t, command(t), 2)
	// Request 0 opens a FIFO that nobody else opens: it runs until
	// killed. Request 1 fails. Map can only return if the failure of
	// request 1 cancels request 0 (or keeps it from starting).
	reqs := []job{{Mode: "gate", Gate: fifo(t, "never")}, {N: 1, Mode: "error"}}
	out, err := processpool.Map(t.Context(), p, reqs)
	assert.Nil(t, out)
	require.ErrorContains(t, err, "processpool: request 1: ")
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Zero(t, p.Stats().Crashed, "a cancelled job is not a crash")
	closeAndCheck(t, p)
}

func TestRemoteErrorIsNotRetried(t *testing.T) {
	p := newPool(t, command(t), 1)
	r, err := p.Do(t.Context(), job{N: 1})
	require.NoError(t, err)
	pid := r.PID

	_, err = p.Do(t.Context(), job{N: 7, Mode: "error"})
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "job 7 failed", remote.Msg)
	assert.Equal(t, pid, remote.PID)
	assert.EqualError(t, err, fmt.Sprintf("processpool: worker %d: job 7 failed", pid))

	r, err = p.Do(t.Context(), job{N: 3})
	require.NoError(t, err)
	assert.Equal(t, result{Square: 9, PID: pid}, r, "the same worker goes on")
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 3}, p.Stats())
	closeAndCheck(t, p)
}

func TestUnsendableValuesAreErrorsNotCrashes(t *testing.T) {
	p := newPool(t, command(t), 1)
	// A request gob cannot encode is not sent at all.
	_, err := p.Do(t.Context(), job{N: 1, Extra: struct{ Y int }{1}})
	require.ErrorContains(t, err, "processpool: cannot send the request")
	require.ErrorContains(t, err, "type not registered for interface")
	// A response the worker cannot encode comes back as a RemoteError.
	_, err = p.Do(t.Context(), job{N: 2, Mode: "unsendable"})
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Contains(t, remote.Msg, "could not send its response")
	// Both sides started a new gob stream, and the worker goes on.
	for n := range 3 {
		r, err := p.Do(t.Context(), job{N: n})
		require.NoError(t, err)
		assert.Equal(t, n*n, r.Square)
		assert.Equal(t, remote.PID, r.PID)
	}
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 4}, p.Stats())
	closeAndCheck(t, p)
}

func TestCrashOnceIsRetriedOnFreshWorker(t *testing.T) {
	for _, mode := range []string{"panic", "exit", "exit0", "garbage", "badframe", "hugeframe", "stop"} {
		t.Run(mode, func(t *testing.T) {
			cmd := command(t)
			cmd.JobTimeout = stopTimeout
			p := newPool(t, cmd, 1)
			r, err := p.Do(t.Context(), job{N: 1})
			require.NoError(t, err)
			first := r.PID

			marker := filepath.Join(t.TempDir(), "crashed")
			r, err = p.Do(t.Context(), job{N: 5, Mode: mode, Once: marker})
			require.NoError(t, err)
			assert.Equal(t, 25, r.Square)
			assert.NotEqual(t, first, r.PID, "the retry runs on a fresh worker")
			assert.FileExists(t, marker, "the first attempt did misbehave")
			assert.NotContains(t, childPIDs(t), first, "the failed worker is reaped")
			want := processpool.Stats{Started: 2, Crashed: 1, Retried: 1, Jobs: 2}
			if mode == "stop" {
				want.TimedOut = 1
			}
			assert.Equal(t, want, p.Stats())

			// The replacement stays in the pool.
			again, err := p.Do(t.Context(), job{N: 2})
			require.NoError(t, err)
			assert.Equal(t, r.PID, again.PID)
			closeAndCheck(t, p)
		})
	}
}

// lockedBuffer is a bytes.Buffer for Command.Stderr, which the copies of
// several workers' stderr may write at once.
type lockedBuffer struct {
	mu  sync.Mutex // protects buf
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func TestCrashTwiceReturnsCrashError(t *testing.T) {
	for _, tc := range []struct {
		mode       string
		wantExit   int    // -1: killed by the pool
		wantStatus string // as os.ProcessState says it
		wantStderr string
		wantCause  string
	}{
		{"panic", 2, "exit status 2", "panic: job 9 panicked", "EOF"},
		{"exit", 3, "exit status 3", "job 9: exiting with status 3", "EOF"},
		{"exit0", 0, "exit status 0", "",
			"the worker exited with status 0 in the middle of a job, without answering (does the job call os.Exit?): EOF"},
		{"garbage", -1, "signal: killed", "",
			`corrupt stream: the worker wrote to its stdout outside the protocol (stdout is the pool's: a worker must log to stderr): "this is not a frame\n"`},
		{"badframe", -1, "signal: killed", "", "corrupt stream: a frame from the worker is not a *processpool.response["},
		{"hugeframe", -1, "signal: killed", "",
			"corrupt stream: a frame header from the worker claims 4294967295 bytes, over the limit of 67108864 (processpool.MaxFrame)"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := command(t)
			var stderr lockedBuffer
			cmd.Stderr = &stderr
			p := newPool(t, cmd, 1)

			_, err := p.Do(t.Context(), job{N: 9, Mode: tc.mode})
			require.ErrorContains(t, err, "processpool: worker crashed twice running the job")
			var crash *processpool.CrashError
			require.ErrorAs(t, err, &crash)
			require.NotNil(t, crash.Previous, "the first crash is kept")
			assert.NotEqual(t, crash.Previous.PID, crash.PID, "two different workers")
			for _, c := range []*processpool.CrashError{crash, crash.Previous} {
				assert.Equal(t, "job", c.Op)
				assert.Equal(t, tc.wantExit, c.ExitCode())
				assert.Contains(t, c.Stderr, tc.wantStderr)
				assert.ErrorContains(t, c.Cause, tc.wantCause)
			}
			assert.Contains(t, err.Error(), tc.wantStatus)
			assert.Contains(t, err.Error(), tc.wantStderr)
			assert.Equal(t, processpool.Stats{Started: 2, Crashed: 2, Retried: 1}, p.Stats())

			// The pool is still usable: the empty slot gets a fresh worker.
			r, err := p.Do(t.Context(), job{N: 2})
			require.NoError(t, err)
			assert.Equal(t, 4, r.Square)
			assert.Equal(t, processpool.Stats{Started: 3, Crashed: 2, Retried: 1, Jobs: 1}, p.Stats())
			closeAndCheck(t, p)
			// Stderr got everything, and is complete once Close returns.
			assert.Contains(t, stderr.String(), tc.wantStderr)
		})
	}
}

func TestStoppedWorkerIsKilledAndTheJobRetriedOnce(t *testing.T) {
	// The pool's deadline is the default, a minute; DoTimeout sets this
	// job's. Each worker that gets the job stops itself with SIGSTOP.
	p := newPool(t, command(t), 1)
	_, err := p.DoTimeout(t.Context(), job{N: 4, Mode: "stop"}, stopTimeout)

	require.ErrorIs(t, err, processpool.ErrJobTimeout)
	var timeout *processpool.TimeoutError
	require.ErrorAs(t, err, &timeout)
	assert.Equal(t, stopTimeout, timeout.Timeout)
	var crash *processpool.CrashError
	require.ErrorAs(t, err, &crash)
	require.NotNil(t, crash.Previous, "the first attempt is kept")
	assert.NotEqual(t, crash.Previous.PID, crash.PID, "the retry ran on a fresh worker")
	assert.EqualError(t, err, fmt.Sprintf("processpool: job timed out twice: "+
		"worker pid %d did not answer within 300ms; retried once on a fresh worker, pid %d, "+
		"which also did not answer within 300ms; both were killed", crash.Previous.PID, crash.PID))
	for _, c := range []*processpool.CrashError{crash, crash.Previous} {
		assert.Equal(t, "job", c.Op)
		assert.Equal(t, "signal: killed", c.State.String(), "SIGKILL ends a stopped process")
		assert.NotContains(t, childPIDs(t), c.PID, "the stopped worker is reaped")
	}
	assert.Equal(t, processpool.Stats{Started: 2, Crashed: 2, TimedOut: 2, Retried: 1}, p.Stats())

	// The pool goes on: the empty slot gets a fresh worker.
	r, err := p.Do(t.Context(), job{N: 3})
	require.NoError(t, err)
	assert.Equal(t, 9, r.Square)
	closeAndCheck(t, p)
}

func TestMapNamesTheJobThatTimedOut(t *testing.T) {
	cmd := command(t)
	cmd.JobTimeout = stopTimeout
	p := newPool(t, cmd, 2)
	reqs := []job{{N: 0}, {N: 1, Mode: "stop"}, {N: 2}}
	out, err := processpool.Map(t.Context(), p, reqs)
	assert.Nil(t, out)
	require.ErrorContains(t, err, "processpool: request 1: processpool: job timed out twice: worker pid ")
	assert.ErrorIs(t, err, processpool.ErrJobTimeout)
	assert.Equal(t, 2, p.Stats().TimedOut)
	closeAndCheck(t, p)
}

func TestTimeoutThenCrashSaysBoth(t *testing.T) {
	// The first attempt stops and times out, the retry exits: the error
	// says both, and errors.Is tells about the last attempt.
	cmd := command(t)
	cmd.JobTimeout = stopTimeout
	p := newPool(t, cmd, 1)
	marker := filepath.Join(t.TempDir(), "stopped")
	_, err := p.Do(t.Context(), job{N: 7, Mode: "stop", Once: marker, After: "exit"})
	require.ErrorContains(t, err, "processpool: worker failed twice running the job (pid ")
	assert.ErrorContains(t, err, "; the first time: did not answer within 300ms; the second time: pid ")
	assert.ErrorContains(t, err, ", exit status 3: EOF")
	assert.NotErrorIs(t, err, processpool.ErrJobTimeout, "the last attempt crashed")
	assert.Equal(t, processpool.Stats{Started: 2, Crashed: 2, TimedOut: 1, Retried: 1}, p.Stats())
	closeAndCheck(t, p)
}

func TestDoCancelKillsTheWorker(t *testing.T) {
	p := newPool(t, command(t), 2)
	require.Len(t, childPIDs(t), 2)
	gate := fifo(t, "gate")
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	done := doAsync(&wg, ctx, p, job{Mode: "gate", Gate: gate})
	g := openGate(t, gate) // the job is running; it never ends by itself
	defer g.Close()

	cancel()
	got := <-done
	wg.Wait()
	require.ErrorIs(t, got.err, context.Canceled)
	var crash *processpool.CrashError
	assert.False(t, errors.As(got.err, &crash), "a cancelled job is not a crash: %v", got.err)
	assert.Len(t, childPIDs(t), 1, "the worker running the job was killed and reaped")
	assert.Equal(t, processpool.Stats{Started: 2}, p.Stats())

	// The pool goes on; the empty slot gets a fresh worker.
	out, err := processpool.Map(t.Context(), p, []job{{N: 1}, {N: 2}, {N: 3}})
	require.NoError(t, err)
	assert.Equal(t, 9, out[2].Square)
	assert.Equal(t, 3, p.Stats().Started)
	closeAndCheck(t, p)
}

func TestNewContextKillsEveryWorker(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p, err := processpool.New[job, result](ctx, command(t), 2)
	require.NoError(t, err)
	defer p.Close()
	gates := []string{fifo(t, "gate0"), fifo(t, "gate1")}
	var wg sync.WaitGroup
	var dones []<-chan outcome
	for _, gate := range gates {
		dones = append(dones, doAsync(&wg, t.Context(), p, job{Mode: "gate", Gate: gate}))
	}
	for _, gate := range gates {
		defer openGate(t, gate).Close() // both workers are busy
	}

	cancel()
	for _, done := range dones {
		got := <-done
		require.ErrorIs(t, got.err, context.Canceled)
		assert.ErrorContains(t, got.err, "the pool's context is done")
	}
	wg.Wait()
	childcheck.None(t) // killed and reaped, before Close

	_, err = p.Do(t.Context(), job{N: 1})
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, processpool.Stats{Started: 2}, p.Stats())
	closeAndCheck(t, p)
	assert.NoError(t, p.Close(), "Close is idempotent")
}

func TestNewContextKillsIdleWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	// lingerEnv: the workers would not exit at the end of their input,
	// so only the kill of ctx can end them before the grace period.
	// A grace period of an hour: if ctx did not kill them, Close would
	// hang until go test's -timeout.
	cmd := command(t, lingerEnv+"="+fifo(t, "linger"))
	cmd.Grace = time.Hour
	p, err := processpool.New[job, result](ctx, cmd, 2)
	require.NoError(t, err)
	cancel()
	closeAndCheck(t, p) // nil: they were killed on purpose
}

func TestCloseWaitsForRunningJob(t *testing.T) {
	p := newPool(t, command(t), 1)
	gate := fifo(t, "gate")
	var wg sync.WaitGroup
	done := doAsync(&wg, t.Context(), p, job{N: 6, Mode: "gate", Gate: gate})
	g := openGate(t, gate)
	closed := make(chan error, 1) // the goroutine never waits to send
	wg.Go(func() { closed <- p.Close() })

	// Wait until Close has been called: then even a Do with a ctx that
	// is already done returns ErrClosed, which is checked first.
	done2, cancel := context.WithCancel(t.Context())
	cancel()
	for {
		_, err := p.Do(done2, job{})
		if errors.Is(err, processpool.ErrClosed) {
			break
		}
		require.ErrorIs(t, err, context.Canceled)
		runtime.Gosched()
	}
	select {
	case err := <-closed:
		t.Fatalf("Close returned %v while a job was running", err)
	default: // still waiting for the job, as it should
	}

	require.NoError(t, g.Close()) // the job finishes
	got := <-done
	require.NoError(t, got.err, "Close let the running job finish")
	assert.Equal(t, 36, got.r.Square)
	require.NoError(t, <-closed)
	wg.Wait()
	_, err := p.Do(t.Context(), job{N: 1})
	assert.ErrorIs(t, err, processpool.ErrClosed)
	closeAndCheck(t, p)
}

func TestCloseIsIdempotent(t *testing.T) {
	p := newPool(t, command(t), 2)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Close() })
	}
	wg.Wait()
	assert.Equal(t, []error{nil, nil, nil}, errs)
	childcheck.None(t)

	_, err := p.Do(t.Context(), job{N: 1})
	assert.ErrorIs(t, err, processpool.ErrClosed)
	_, err = processpool.Map(t.Context(), p, []job{{N: 1}})
	assert.ErrorIs(t, err, processpool.ErrClosed)
	assert.Equal(t, processpool.Stats{Started: 2}, p.Stats())
	closeAndCheck(t, p)
}

func TestCloseKillsWorkerThatDoesNotExit(t *testing.T) {
	cmd := command(t, lingerEnv+"="+fifo(t, "linger"))
	cmd.Grace = 1 // as short as can be: the workers never exit by themselves
	p, err := processpool.New[job, result](t.Context(), cmd, 2)
	require.NoError(t, err)
	err = p.Close()
	var crash *processpool.CrashError
	require.ErrorAs(t, err, &crash)
	assert.Equal(t, "close", crash.Op)
	assert.Equal(t, -1, crash.ExitCode())
	assert.ErrorContains(t, err, "signal: killed")
	assert.ErrorContains(t, err, "were killed")
	childcheck.None(t)
	goleak.VerifyNone(t)
	assert.Equal(t, err, p.Close(), "a second Close returns the same")
}

func TestNewRejectsBadArguments(t *testing.T) {
	cmd := command(t)
	for _, workers := range []int{0, -1} {
		_, err := processpool.New[job, result](t.Context(), cmd, workers)
		assert.EqualError(t, err, fmt.Sprintf("processpool: workers = %d; want at least 1", workers))
	}
	_, err := processpool.New[job, result](t.Context(), processpool.Command{}, 1)
	assert.EqualError(t, err, "processpool: Command.Path is empty")
	_, err = processpool.Self("")
	assert.EqualError(t, err, "processpool: Self needs a worker name")

	// Types that cannot cross a process boundary.
	_, err = processpool.New[func() int, int](t.Context(), cmd, 1)
	assert.ErrorContains(t, err, "processpool: Req type func() int cannot be sent to a worker process; gob sends data")
	type withChan struct {
		N    int
		Done chan struct{}
	}
	_, err = processpool.New[int, withChan](t.Context(), cmd, 1)
	assert.ErrorContains(t, err, "Resp type processpool_test.withChan cannot be sent to a worker process: Done is a chan struct {}")
	type withMutex struct {
		Mu sync.Mutex
		N  []int
	}
	_, err = processpool.New[withMutex, int](t.Context(), cmd, 1)
	assert.ErrorContains(t, err, "Req type processpool_test.withMutex cannot be sent to a worker process: gob: type sync.Mutex has no exported fields")

	childcheck.None(t)
	goleak.VerifyNone(t)
}

func TestNewReportsWorkersThatFailToStart(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	unknown, err := processpool.Self("no-such-worker")
	require.NoError(t, err)
	for _, tc := range []struct {
		name       string
		ctx        context.Context
		cmd        processpool.Command
		want       []string
		wantExit   int
		wantStderr string
		wantIs     error
	}{{
		name: "no such file",
		cmd:  processpool.Command{Path: filepath.Join(t.TempDir(), "no-such-worker")},
		want: []string{"processpool: starting worker: ", "no-such-worker: no such file or directory"},
	}, {
		name: "exits before the hello",
		cmd:  command(t, beforeHelloEnv+"=exit"),
		want: []string{"processpool: worker crashed (start): ", "exit status 4",
			"waiting for the hello frame: EOF"},
		wantExit: 4, wantStderr: "worker: giving up before the hello",
	}, {
		name: "prints before the hello",
		cmd:  command(t, beforeHelloEnv+"=print"),
		want: []string{"signal: killed",
			`waiting for the hello frame: corrupt stream: the worker wrote to its stdout outside the protocol`,
			`"hello, I am not a frame\n"`},
		// The pool killed it as soon as it saw the text.
		wantExit: -1,
	}, {
		name: "sends no hello in time",
		cmd:  startTimeout(command(t, beforeHelloEnv+"=hang"), stopTimeout),
		want: []string{"processpool: worker timed out (start): ", "signal: killed",
			"waiting for the hello frame: sent no hello within 300ms of starting (Command.StartTimeout)"},
		// Not its stderr: on a loaded machine, the deadline may pass
		// before the worker has printed anything.
		wantExit: -1, wantIs: processpool.ErrStartTimeout,
	}, {
		name:     "not a worker of this binary",
		cmd:      unknown,
		want:     []string{"exit status 2", `unknown worker name "no-such-worker"`},
		wantExit: 2, wantStderr: `unknown worker name "no-such-worker"`,
	}, {
		name: "ctx already done",
		ctx:  cancelled,
		cmd:  command(t),
		want: []string{"context canceled"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			// A worker that never sends its hello must not hold New up
			// for good: the start-up deadline ends it.
			var p *processpool.Pool[job, result]
			var err error
			hangcheck.Within(t, "New with workers that fail to start", func() {
				p, err = processpool.New[job, result](ctx, tc.cmd, 2)
			})
			assert.Nil(t, p)
			require.Error(t, err)
			for _, want := range tc.want {
				assert.ErrorContains(t, err, want)
			}
			if tc.wantIs != nil {
				assert.ErrorIs(t, err, tc.wantIs)
			}
			var crash *processpool.CrashError
			if tc.wantExit != 0 {
				require.ErrorAs(t, err, &crash)
				assert.Equal(t, "start", crash.Op)
				assert.Equal(t, tc.wantExit, crash.ExitCode())
				assert.Contains(t, crash.Stderr, tc.wantStderr)
			} else {
				assert.False(t, errors.As(err, &crash), "not a crash: %v", err)
			}
			childcheck.None(t)
			goleak.VerifyNone(t)
		})
	}
}

// startTimeout returns cmd with its StartTimeout set to d.
func startTimeout(cmd processpool.Command, d time.Duration) processpool.Command {
	cmd.StartTimeout = d
	return cmd
}

func TestStatsAfterManyCrashes(t *testing.T) {
	// Two workers, four jobs that each crash once, run together: every
	// crash is counted, every job is retried once and succeeds.
	p := newPool(t, command(t), 2)
	dir := t.TempDir()
	var reqs []job
	for i := range 4 {
		reqs = append(reqs, job{N: i, Mode: "exit", Once: filepath.Join(dir, fmt.Sprint(i))})
	}
	out, err := processpool.Map(t.Context(), p, reqs)
	require.NoError(t, err)
	squares := make([]int, len(out))
	for i, r := range out {
		squares[i] = r.Square
	}
	assert.Equal(t, []int{0, 1, 4, 9}, squares)
	assert.Equal(t, processpool.Stats{Started: 6, Crashed: 4, Retried: 4, Jobs: 4}, p.Stats())
	assert.Len(t, childPIDs(t), 2, "crashed workers are reaped")
	closeAndCheck(t, p)
}
