package main

// The pool's workers are this test binary: processpool.Self runs
// os.Executable() again with processpool.EnvWorker set, and TestMain then
// serves jobs instead of running the tests (the helper-process idiom of
// os/exec's own tests), as main does under go run.
//
// No test here uses synctest (a goroutine blocked reading a pipe from a
// child process is not durably blocked in a bubble), and none sleeps.
// Where a test must act while a job runs, the job tells it so: it opens
// a named pipe (a FIFO) for writing, which blocks until the test opens
// it for reading, so the test's open returns once a job is running. Tests
// that start children do not run in parallel, and each ends by checking
// that no child process is left, running or zombie.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startedEnv names a FIFO that every job opens for writing as it starts,
// in the test binary's workers only.
const startedEnv = "PROCESSPOOL_LESSON_STARTED"

func TestMain(m *testing.M) {
	if processpool.IsWorker(workerName) {
		os.Exit(serveWorker(announce))
	}
	childcheck.VerifyTestMain(m)
}

// announce is the workers' started hook: if startedEnv is set, it opens
// that FIFO for writing, which returns once the test has it open for
// reading, and closes it.
func announce(job) {
	if fifo := os.Getenv(startedEnv); fifo != "" {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}
}

// mask replaces what changes from run to run (pids and times) with fixed
// words.
func mask(s string) string {
	s = regexp.MustCompile(`pid \d+`).ReplaceAllString(s, "pid N")
	return regexp.MustCompile(`\d+(\.\d+)?(ns|µs|ms|s)\b`).ReplaceAllString(s, "T")
}

// Example runs the lesson with three numbers, little busy work, and a
// deadline of 50ms. The pids and times change on every run, so it prints
// the output with them blanked out.
func Example() {
	var out bytes.Buffer
	err := run(context.Background(), &out,
		[]string{"-n", "3", "-work", "1000", "-crash", "10", "-deadline", "50ms"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(mask(out.String()))
	// Output:
	// 3 numbers doubled on a pool of 2 worker processes; each doubling first adds up 1000 random numbers (busy work)
	//
	// 1. processpool.New starts 2 workers: this program, run again in worker mode
	//   this process is pid N; 2 workers ready in T
	//
	// 2. processpool.Map(double, 5 10 15): results in input order; 10 crashes its worker once
	//   5 doubled to 10 by pid N
	//   10 doubled to 20 by pid N
	//   15 doubled to 30 by pid N
	//   Stats: Started 3, Crashed 1, Retried 1, Jobs 3
	//
	// 3. a job that crashes every worker it runs on: retried once, then an error
	//   Map: processpool: request 0: processpool: worker crashed twice running the job (pid N, then pid N); the second time: pid N, exit status 2: EOF
	//   exit code 2; the worker's stderr begins: panic: crash(1): this job crashes every worker it runs on
	//   Stats: Started 4, Crashed 3, Retried 2, Jobs 3
	//
	// 4. a job that would spin for an hour, under a T deadline
	//   Map returned after T: context deadline exceeded; the worker running it was killed
	//   Crashed is still 3: a job killed on purpose is not a crash
	//
	// 5. Close: each worker's stdin is closed, it exits, and it is reaped
	//   Close returned nil: every worker exited with status 0 and was reaped
}

// TestOutputMatchesREADME runs the lesson with its default flags and
// checks its output against the README's "Expected output", line for
// line, once the pids and times are blanked out in both.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	assert.Equal(t, readme.Lines(mask(block)), readme.Lines(mask(out.String())))
	childcheck.None(t)
}

// doubledLine is one result line of section 2.
var doubledLine = regexp.MustCompile(`^  (\d+) doubled to (\d+) by pid (\d+)$`)

// A doubling is one parsed doubledLine.
type doubling struct{ n, doubled, pid int }

// doublings parses the doubledLines of s, in order.
func doublings(t *testing.T, s string) []doubling {
	t.Helper()
	var ds []doubling
	for line := range strings.Lines(s) {
		m := doubledLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
		if m == nil {
			continue
		}
		var d [3]int
		for i := range d {
			n, err := strconv.Atoi(m[i+1])
			require.NoError(t, err)
			d[i] = n
		}
		ds = append(ds, doubling{d[0], d[1], d[2]})
	}
	return ds
}

// TestMapKeepsInputOrderAcrossWorkers runs 12 numbers on 3 workers with no
// crash: every number is doubled, the results are in input order, each
// in a worker process (not this one), in no more processes than the pool
// has, and no process is started per job.
func TestMapKeepsInputOrderAcrossWorkers(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out,
		[]string{"-workers", "3", "-n", "12", "-work", "1000", "-crash", "0"}))
	ds := doublings(t, out.String())
	require.Len(t, ds, 12, "one line per number in:\n%s", out.String())
	pids := map[int]bool{}
	for i, d := range ds {
		assert.Equal(t, 5*(i+1), d.n, "line %d is out of order", i)
		assert.Equal(t, 2*d.n, d.doubled)
		assert.NotEqual(t, os.Getpid(), d.pid, "%d was doubled in the parent", d.n)
		pids[d.pid] = true
	}
	assert.LessOrEqual(t, len(pids), 3, "more worker processes than the pool has: %v", pids)
	assert.Contains(t, out.String(), "2. processpool.Map(double, 5 10 ... 60): results in input order; no job crashes\n")
	assert.Contains(t, out.String(), "  Stats: Started 3, Crashed 0, Retried 0, Jobs 12\n")
	childcheck.None(t)
}

// TestCrashedWorkerIsReplacedAndJobRetried runs five numbers on one
// worker; the job for 15 crashes it. The numbers before 15 are doubled by
// the first worker, 15 and the rest by its replacement, and the counts
// say one crash, one retry, one more process.
func TestCrashedWorkerIsReplacedAndJobRetried(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out,
		[]string{"-workers", "1", "-n", "5", "-work", "1000", "-crash", "15"}))
	ds := doublings(t, out.String())
	require.Len(t, ds, 5, "one line per number in:\n%s", out.String())
	first, second := ds[0].pid, ds[2].pid
	assert.NotEqual(t, first, second, "15 must be retried on a fresh worker")
	for i, d := range ds {
		want := doubling{5 * (i + 1), 10 * (i + 1), first}
		if d.n >= 15 {
			want.pid = second
		}
		assert.Equal(t, want, d)
	}
	assert.Contains(t, out.String(), "  Stats: Started 2, Crashed 1, Retried 1, Jobs 5\n")
	childcheck.None(t)
}

// crashLine is the error line of section 3.
var crashLine = regexp.MustCompile(`worker crashed twice running the job \(pid (\d+), then pid (\d+)\)`)

// TestCrashTwiceIsAnError checks section 3: the job that crashes every
// worker is tried on two different processes, and then Map fails with the
// exit status and the panic from the worker's stderr.
func TestCrashTwiceIsAnError(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out,
		[]string{"-workers", "1", "-n", "1", "-work", "0", "-crash", "0"}))
	m := crashLine.FindStringSubmatch(out.String())
	require.NotNil(t, m, "no crash line in:\n%s", out.String())
	assert.NotEqual(t, m[1], m[2], "the retry runs on a fresh worker")
	assert.Contains(t, out.String(), "exit code 2; the worker's stderr begins: panic: crash(1)")
	assert.Contains(t, out.String(), "  Stats: Started 2, Crashed 2, Retried 1, Jobs 1\n")
	childcheck.None(t)
}

// TestUnknownFunctionIsAnError checks the worker's side of a job that
// names no function it has: an error, not a crash.
func TestUnknownFunctionIsAnError(t *testing.T) {
	_, err := call(t.Context(), job{Fn: "triple", N: 2})
	assert.EqualError(t, err, `no function named "triple"`)
	r, err := call(t.Context(), job{Fn: "double", N: 21, Work: 10})
	require.NoError(t, err)
	assert.Equal(t, result{N: 21, Doubled: 42, PID: os.Getpid()}, r)
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything or starts a child.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-workers", "0"}, "-workers must be from 1 to 32, got 0"},
		{[]string{"-workers", "33"}, "-workers must be from 1 to 32, got 33"},
		{[]string{"-n", "0"}, "-n must be from 1 to 50, got 0"},
		{[]string{"-n", "51"}, "-n must be from 1 to 50, got 51"},
		{[]string{"-work", "-1"}, "-work must not be negative, got -1"},
		{[]string{"-crash", "7"}, "-crash must be 0 or one of the numbers 5, 10, ..., 50; got 7"},
		{[]string{"-crash", "-5"}, "-crash must be 0 or one of the numbers 5, 10, ..., 50; got -5"},
		{[]string{"-n", "2", "-crash", "15"}, "-crash must be 0 or one of the numbers 5, 10, ..., 10; got 15"},
		{[]string{"-deadline", "0s"}, "-deadline must be from 1ms to 1m, got 0s"},
		{[]string{"-deadline", "2m"}, "-deadline must be from 1ms to 1m, got 2m0s"},
		{[]string{"-deadline", "3"}, `invalid value "3" for flag -deadline`},
		{[]string{"-procs", "4"}, "flag provided but not defined: -procs"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.NotContains(t, out.String(), "numbers doubled", "run started before rejecting its flags")
		})
	}
	childcheck.None(t)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-workers", "-n", "-work", "-crash", "-deadline"} {
		assert.Contains(t, out.String(), name)
	}
}
