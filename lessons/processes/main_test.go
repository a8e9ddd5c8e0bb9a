package main

// The lesson's children are this test binary: started with workerEnv set,
// TestMain runs the worker instead of the tests (the helper-process idiom
// of os/exec's own tests), so os.Executable works as it does in go run.
//
// No test here uses synctest: a goroutine blocked reading a pipe from a
// child process is not durably blocked in a synctest bubble. No test
// sleeps either: where a test must act while a child runs, the code under
// test tells it the child has started (a callback, a line of output), and
// the test cancels then. Tests that start children do not run in
// parallel, and each one ends by checking that no child is left.

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(workerEnv); name != "" {
		os.Exit(serveJobs(name, os.Stdin, os.Stdout, os.Stderr))
	}
	childcheck.VerifyTestMain(m)
}

// mask replaces what changes from run to run in the lesson's output (pids,
// times, the speedup, the number of CPUs) with fixed words.
func mask(s string) string {
	for _, r := range []struct{ re, with string }{
		{`pid \d+`, "pid N"},
		{`\d+(\.\d+)?(ns|µs|ms|s)\b`, "T"},
		{`\d+\.\d times as fast, with \d+ CPUs`, "S times as fast, with C CPUs"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

// Example runs the lesson with three numbers and little busy work. The
// pids and times change on every run, so it prints the output with them
// blanked out, and the workers' lines come in any order.
func Example() {
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-n", "3", "-work", "1000"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(mask(out.String()))
	// Unordered output:
	// 3 numbers, each doubled after adding up 1000 random numbers (busy work)
	//
	// 1. in parallel: one worker process per number (this process is pid N)
	//   started 3 worker processes
	//   5 doubled to 10 by: worker-1 (pid N)
	//   10 doubled to 20 by: worker-2 (pid N)
	//   15 doubled to 30 by: worker-3 (pid N)
	//   3 numbers in T
	//
	// 2. serially, in this process
	//   5 doubled to 10 by: main (pid N)
	//   10 doubled to 20 by: main (pid N)
	//   15 doubled to 30 by: main (pid N)
	//   3 numbers in T
	//
	// parallel T, serial T: S times as fast, with C CPUs
	//
	// 3. exit status: a worker that fails, a program that is not there
	//   worker-6 asked to double -1: exit status 3, ExitCode() 3
	//     its stderr: worker-6: cannot double -1: negative numbers are refused
	//   no-such-program: exec: "no-such-program": executable file not found in $PATH
	//     errors.Is(err, exec.ErrNotFound): true
	//
	// 4. gob: what a message can hold
	//   job{Number:5 Work:1000}: 47 bytes, decoded as job{Number:5 Work:1000}
	//   job{Number:10 Work:1000}: 10 bytes, decoded as job{Number:10 Work:1000}
	//   a func: gob NewTypeObject can't handle type: func()
	//   a channel: gob NewTypeObject can't handle type: chan int
	//   a struct whose only field is a func: gob: type main.callback has no exported fields
	//   a struct with a number and a func: sent; Then arrives nil: true
	//   a struct holding a sync.Mutex: gob: type sync.Mutex has no exported fields
	//
	// 5. cancel: a worker that waits forever, and a T deadline
	//   worker-7 (pid N) waits for a job that never comes
	//   the deadline passed (context deadline exceeded): CommandContext killed worker-7
	//   Wait returned "signal: killed", ExitCode() -1: the worker is reaped
}

// TestOutputMatchesREADME runs the lesson with its default flags and
// checks its output against the README's "Expected output", line for line,
// once the pids and times are blanked out in both and the workers' lines,
// which come in any order, are sorted.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	want := readme.Canonical(readme.Lines(mask(block)))
	got := readme.Canonical(readme.Lines(mask(out.String())))
	assert.Equal(t, want, got)
	childcheck.None(t)
}

// doubledLine is one line of a doubling: number, doubled, worker, pid.
var doubledLine = regexp.MustCompile(`^  (\d+) doubled to (\d+) by: (\S+) \(pid (\d+)\)$`)

// A doubling is one parsed doubledLine.
type doubling struct {
	number, doubled int
	worker          string
	pid             int
}

// doublings parses the doubledLines of s.
func doublings(t *testing.T, s string) []doubling {
	t.Helper()
	var ds []doubling
	for line := range strings.Lines(s) {
		m := doubledLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			continue
		}
		atoi := func(s string) int {
			n, err := strconv.Atoi(s)
			require.NoError(t, err)
			return n
		}
		ds = append(ds, doubling{atoi(m[1]), atoi(m[2]), m[3], atoi(m[4])})
	}
	return ds
}

// TestEachNumberIsDoubledByItsOwnProcess checks the parallel part: every
// number is doubled correctly, by the worker named after its place, each
// in a process of its own (distinct pids, none of them this process's),
// and the serial part runs in this process.
func TestEachNumberIsDoubledByItsOwnProcess(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-n", "7", "-work", "1000"}))
	parallel, serial, ok := strings.Cut(out.String(), "\n2. serially")
	require.True(t, ok, "no serial section in:\n%s", out.String())

	ds := doublings(t, parallel)
	require.Len(t, ds, 7, "one line per number in:\n%s", parallel)
	slices.SortFunc(ds, func(a, b doubling) int { return a.number - b.number })
	pids := map[int]bool{}
	for i, d := range ds {
		assert.Equal(t, 5*(i+1), d.number)
		assert.Equal(t, 2*d.number, d.doubled)
		assert.Equal(t, fmt.Sprintf("worker-%d", i+1), d.worker)
		assert.NotEqual(t, os.Getpid(), d.pid, "%d was doubled in the parent", d.number)
		assert.False(t, pids[d.pid], "pid %d doubled two numbers", d.pid)
		pids[d.pid] = true
	}

	ds = doublings(t, serial)
	require.Len(t, ds, 7, "one line per number in:\n%s", serial)
	for i, d := range ds {
		assert.Equal(t, doubling{5 * (i + 1), 10 * (i + 1), "main", os.Getpid()}, d)
	}
	childcheck.None(t)
}

// TestWorkerServesJobsUntilStdinEnds runs the worker's loop in this
// process, on buffers: one result per job, in order, and exit status 0 at
// the end of the input.
func TestWorkerServesJobsUntilStdinEnds(t *testing.T) {
	var in, out, errOut bytes.Buffer
	enc := gob.NewEncoder(&in)
	for _, n := range []int{5, 0, 7} {
		require.NoError(t, enc.Encode(job{Number: n, Work: 10}))
	}
	require.Equal(t, 0, serveJobs("worker-9", &in, &out, &errOut))
	assert.Empty(t, errOut.String())

	dec := gob.NewDecoder(&out)
	for _, n := range []int{5, 0, 7} {
		var r result
		require.NoError(t, dec.Decode(&r))
		assert.Equal(t, result{n, 2 * n, "worker-9", os.Getpid()}, r)
	}
	var r result
	assert.ErrorIs(t, dec.Decode(&r), io.EOF, "one result per job, no more")
}

// TestWorkerExitStatus checks the worker's other exit statuses: 3, with a
// message, for a negative number (after serving the jobs before it), and
// 2 for a stream that is not gob.
func TestWorkerExitStatus(t *testing.T) {
	var in, out, errOut bytes.Buffer
	enc := gob.NewEncoder(&in)
	require.NoError(t, enc.Encode(job{Number: 4}))
	require.NoError(t, enc.Encode(job{Number: -2}))
	require.NoError(t, enc.Encode(job{Number: 6}))
	assert.Equal(t, 3, serveJobs("worker-9", &in, &out, &errOut))
	assert.Equal(t, "worker-9: cannot double -2: negative numbers are refused\n",
		errOut.String())
	var r result
	require.NoError(t, gob.NewDecoder(&out).Decode(&r))
	assert.Equal(t, 8, r.Doubled, "the job before the refused one is served")

	errOut.Reset()
	assert.Equal(t, 2, serveJobs("worker-9", strings.NewReader("not gob"), io.Discard, &errOut))
	assert.Contains(t, errOut.String(), "worker-9: reading a job: ")
}

// TestWorkerProcessServesManyJobs starts one worker process and gives it
// three jobs: the same process (pid) answers each, and stop reaps it with
// no error.
func TestWorkerProcessServesManyJobs(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	wk, err := startWorker(t.Context(), exe, "worker-3")
	require.NoError(t, err)
	for _, n := range []int{1, 2, 3} {
		r, err := wk.do(job{Number: n, Work: 100})
		if !assert.NoError(t, err) {
			break
		}
		assert.Equal(t, result{n, 2 * n, "worker-3", wk.cmd.Process.Pid}, r)
	}
	require.NoError(t, wk.stop())
	assert.Equal(t, 0, wk.cmd.ProcessState.ExitCode())
	childcheck.None(t)
}

// TestRefusingWorkerReportsStatusAndStderr checks what a worker that
// exits with status 3 looks like to its parent: do fails, and stop's error
// is an *exec.ExitError with code 3 that also carries the worker's stderr.
func TestRefusingWorkerReportsStatusAndStderr(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	wk, err := startWorker(t.Context(), exe, "worker-6")
	require.NoError(t, err)
	_, doErr := wk.do(job{Number: -1})
	err = wk.stop()
	assert.Error(t, doErr, "a worker that exits sends no result")
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 3, exitErr.ExitCode())
	assert.EqualError(t, err, "worker-6: exit status 3: worker-6: cannot double -1:"+
		" negative numbers are refused")
	childcheck.None(t)
}

// TestStartFailureStartsNothing checks that a worker binary that cannot
// be started is an error naming it, and leaves no process behind.
func TestStartFailureStartsNothing(t *testing.T) {
	out := log.New(io.Discard, "", 0)
	missing := t.TempDir() + "/no-such-binary"
	err := doubleInParallel(t.Context(), out, missing, []int{5, 10}, 0)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "starting worker-1")
	childcheck.None(t)
}

// TestGobRoundTrip checks that a job crosses gob intact, and which values
// cannot: a func or a channel (refused), a struct with nothing exported to
// send (refused), and a func field beside a number (skipped: it arrives
// nil).
func TestGobRoundTrip(t *testing.T) {
	var got job
	require.NoError(t, roundTrip(job{Number: 5, Work: 1000}, &got))
	assert.Equal(t, job{Number: 5, Work: 1000}, got)

	var r result
	want := result{Number: 5, Doubled: 10, Worker: "worker-1", PID: 42}
	require.NoError(t, roundTrip(want, &r))
	assert.Equal(t, want, r)

	assert.EqualError(t, send(func() {}), "gob NewTypeObject can't handle type: func()")
	assert.EqualError(t, send(make(chan int)), "gob NewTypeObject can't handle type: chan int")
	type callback struct{ Run func() }
	assert.EqualError(t, send(callback{}), "gob: type main.callback has no exported fields")
	type guarded struct {
		Mu    sync.Mutex
		Count int
	}
	assert.EqualError(t, send(&guarded{}), "gob: type sync.Mutex has no exported fields")

	type withFunc struct {
		Number int
		Then   func()
	}
	var wf withFunc
	require.NoError(t, roundTrip(withFunc{Number: 5, Then: func() {}}, &wf))
	assert.Equal(t, 5, wf.Number)
	assert.Nil(t, wf.Then, "a func field does not cross")
}

// TestCancelKillsIdleWorker starts a worker that would wait for a job
// forever, and cancels ctx as soon as it has started: CommandContext kills
// it, awaitIdle returns ctx's error and Wait's "signal: killed", and the
// worker is reaped.
func TestCancelKillsIdleWorker(t *testing.T) {
	exe, err := os.Executable()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var pid int
	waitErr, err := awaitIdle(ctx, exe, "worker-7", func(p int) {
		pid = p
		cancel()
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotZero(t, pid)
	var exitErr *exec.ExitError
	require.ErrorAs(t, waitErr, &exitErr)
	assert.Equal(t, "signal: killed", exitErr.Error())
	assert.Equal(t, -1, exitErr.ExitCode(), "a killed child has no exit status")
	childcheck.None(t)
}

// cancelWriter is an io.Writer that cancels a context when what was
// written so far contains a marker. It is safe for concurrent use.
type cancelWriter struct {
	cancel context.CancelFunc
	marker string

	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.cancel()
	}
	return len(p), nil
}

// TestRunCancelKillsTheWorkers runs the lesson with so much busy work that
// the workers would run for hours, and cancels ctx as soon as run says
// they have started: run returns ctx's error, nothing was doubled, and
// every worker has been killed and reaped.
func TestRunCancelKillsTheWorkers(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := &cancelWriter{cancel: cancel, marker: "started 5 worker processes\n"}
	err := run(ctx, w, []string{"-work", "1000000000000"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, w.buf.String(), w.marker)
	assert.NotContains(t, w.buf.String(), " doubled to ")
	childcheck.None(t)
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything or starts a child.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-n", "0"}, "-n must be from 1 to 50, got 0"},
		{[]string{"-n", "51"}, "-n must be from 1 to 50, got 51"},
		{[]string{"-work", "-1"}, "-work must not be negative, got -1"},
		{[]string{"-deadline", "0s"}, "-deadline must be from 1ms to 1m, got 0s"},
		{[]string{"-deadline", "2m"}, "-deadline must be from 1ms to 1m, got 2m0s"},
		{[]string{"-deadline", "3"}, `invalid value "3" for flag -deadline`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, out.String(), "each doubled", "run started before rejecting its flags")
		})
	}
	childcheck.None(t)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-n", "-work", "-deadline"} {
		assert.Contains(t, out.String(), name)
	}
}
