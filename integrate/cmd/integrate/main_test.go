package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain starts as main does: the processes mode's workers are this
// test binary, started again, and they serve instead of testing. After the
// tests, no goroutine and no child process may be left.
func TestMain(m *testing.M) {
	integrate.ServeWorkerIfChild()
	childcheck.VerifyTestMain(m)
}

func runArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), &out, &errOut, args)
	return out.String(), errOut.String(), err
}

// tableRow matches a row of the table: mode, workers, result, error,
// time, start-up, speedup, efficiency.
var tableRow = regexp.MustCompile(`^(serial|goroutines|processes \((?:cold|warm)\)) +(\d+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+) +(\S+)$`)

func TestTableHasEveryModeAndWorkerCount(t *testing.T) {
	out, stderr, err := runArgs(t, "-n", "1e5", "-workers", "1,2")
	require.NoError(t, err)
	assert.Empty(t, stderr, "no progress lines when stderr is not a terminal")
	lines := strings.Split(out, "\n")
	assert.Equal(t, "∫ x² dx on [0, 10], n = 100000, midpoint rule; exact 333.333333333333", lines[0])
	x2, err := integrate.Lookup("x2")
	require.NoError(t, err)
	assert.Equal(t, "kernel: "+x2.Kernel()+", in every mode", lines[1], "the table names the kernel this build runs")
	var rows [][]string
	for _, l := range lines {
		if f := tableRow.FindStringSubmatch(l); f != nil {
			rows = append(rows, f[1:])
		}
	}
	require.Len(t, rows, 7, "serial, then goroutines, processes (cold) and processes (warm) with 1 and 2 workers:\n%s", out)
	for i, want := range [][2]string{{"serial", "1"}, {"goroutines", "1"}, {"goroutines", "2"},
		{"processes (cold)", "1"}, {"processes (cold)", "2"}, {"processes (warm)", "1"}, {"processes (warm)", "2"}} {
		assert.Equal(t, want[0], rows[i][0])
		assert.Equal(t, want[1], rows[i][1])
		assert.Equal(t, rows[0][2], rows[i][2], "every mode prints the same result: %s", want)
		if want[0] == "processes (cold)" {
			assert.Regexp(t, `^\d+(\.\d+)?[mµ]?s$`, rows[i][5], "the cold rows say what starting the workers took")
		} else {
			assert.Equal(t, "-", rows[i][5], "%s %s workers started no process in its runs", want[0], want[1])
		}
	}
	assert.Equal(t, "1.00x", rows[0][6], "serial is the baseline")
	assert.Contains(t, out, "processes (warm): every run uses workers started once, before the runs.\n",
		"the table says what cold and warm mean")
	assert.Contains(t, out, "speedup over serial:\n")
	assert.Regexp(t, `\nprocesses \(cold\)  2  █* \d+\.\d\dx\n`, out, "a bar per row")
	assert.Regexp(t, `\nprocesses \(warm\)  2  █* \d+\.\d\dx\n`, out, "a bar per row")
	assert.Contains(t, out, fmt.Sprintf("GOMAXPROCS=%d NumCPU=%d %s", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version()))
	childcheck.None(t)
}

func TestJSONPrintsOneObjectPerMeasurement(t *testing.T) {
	out, _, err := runArgs(t, "-json", "-n", "100003", "-workers", "1,3", "-repeat", "2", "-rule", "left")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 7, "serial, then goroutines, processes cold and processes warm with 1 and 3 workers")
	x2, err := integrate.Lookup("x2")
	require.NoError(t, err)
	var first report.Measurement
	for i, l := range lines {
		var m report.Measurement
		require.NoError(t, json.Unmarshal([]byte(l), &m), "line %d: %s", i, l)
		if i == 0 {
			first = m
			assert.Equal(t, "serial", m.Mode)
			assert.Equal(t, 1.0, m.Speedup)
		}
		want := [...][3]string{{"serial", "", "1"}, {"goroutines", "", "1"}, {"goroutines", "", "3"},
			{"processes", "cold", "1"}, {"processes", "cold", "3"}, {"processes", "warm", "1"}, {"processes", "warm", "3"}}[i]
		assert.Equal(t, want, [3]string{m.Mode, m.Pool, strconv.Itoa(m.Workers)}, "line %d: %s", i, l)
		// The lines of serial and goroutines are as they were before
		// the processes rows were split in two: no new keys.
		if m.Pool == "" {
			assert.NotContains(t, l, `"pool"`)
		}
		if m.Pool == "cold" {
			assert.Positive(t, m.StartupSeconds, "line %d: a cold run's time includes starting the workers", i)
			assert.LessOrEqual(t, m.StartupSeconds, m.Seconds, "line %d: the start-up is part of the run", i)
		} else {
			assert.NotContains(t, l, `"startup_seconds"`, "line %d: no workers started in its runs", i)
		}
		assert.Equal(t, "x2", m.F)
		assert.Equal(t, int64(100003), m.N)
		assert.Equal(t, "left", m.Rule)
		assert.Equal(t, x2.Kernel(), m.Kernel, "line %d names the kernel this build runs", i)
		assert.Equal(t, 2, m.Repeat)
		assert.Equal(t, math.Float64bits(first.Result), math.Float64bits(m.Result), "line %d", i)
		require.NotNil(t, m.Exact)
		require.NotNil(t, m.AbsError)
		assert.InDelta(t, 1000.0/3, *m.Exact, 1e-12)
		assert.Equal(t, math.Abs(m.Result-*m.Exact), *m.AbsError)
		assert.Positive(t, m.Seconds)
		assert.InDelta(t, first.Seconds/m.Seconds, m.Speedup, 1e-9*m.Speedup)
		assert.InDelta(t, m.Speedup/float64(m.Workers), m.Efficiency, 1e-9)
	}
	childcheck.None(t)
}

func TestSerialIsMeasuredEvenWhenModeLeavesItOut(t *testing.T) {
	out, _, err := runArgs(t, "-json", "-n", "1e4", "-mode", "goroutines", "-workers", "2", "-f", "sinx2")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 1, "only the goroutines line")
	assert.Contains(t, lines[0], `"mode":"goroutines"`)
	assert.Contains(t, lines[0], `"exact":null`, "sinx2 has no exact integral")
	var m report.Measurement
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	assert.Positive(t, m.Speedup, "against the serial run measured first")

	out, _, err = runArgs(t, "-n", "1e4", "-mode", "goroutines", "-workers", "2")
	require.NoError(t, err)
	assert.Contains(t, out, "speedups are over serial, measured first: ")
}

func TestListShowsIntegrandsAndRules(t *testing.T) {
	out, _, err := runArgs(t, "-list")
	require.NoError(t, err)
	for _, in := range integrate.Integrands() {
		assert.Contains(t, out, "  "+in.Name+" ")
	}
	assert.Contains(t, out, "no exact integral")
	assert.Contains(t, out, "defined on [-1, 1]")
	assert.Contains(t, out, "  midpoint (default)\n")
	assert.Contains(t, out, "  simpson (n must be even)\n")
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "1.5"}, `invalid value "1.5" for flag -n: "1.5" is not a whole number`},
		{[]string{"-n", "0"}, "n = 0; need at least 1 interval"},
		{[]string{"-n", "1e12"}, "is more than MaxN"},
		{[]string{"-f", "x^2"}, `-f: integrate: unknown integrand "x^2" (did you mean "x2"?`},
		{[]string{"-rule", "simson"}, `-rule: integrate: unknown rule "simson" (did you mean "simpson"?`},
		{[]string{"-mode", "threads"}, `unknown mode "threads" (modes: serial, goroutines, processes)`},
		{[]string{"-workers", "2,0"}, `-workers: "0" is not a worker count of at least 1`},
		{[]string{"-workers", "two"}, `-workers: "two" is not a worker count`},
		{[]string{"-repeat", "0"}, "-repeat 0: need at least 1"},
		{[]string{"-a", "5", "-b", "1"}, "need a < b; got a = 5, b = 1"},
		{[]string{"-rule", "simpson", "-n", "101"}, "needs an even n; got 101 (use 100 or 102)"},
		{[]string{"-f", "sqrt1mx2"}, "sqrt1mx2 is defined on [-1, 1]"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
		{[]string{"-timeline", "-json"}, "-timeline draws charts, which -json output cannot hold"},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, stderr, err := runArgs(t, tc.args...)
			var u report.UsageError
			require.ErrorAs(t, err, &u)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, stderr, tc.want, "the error is printed")
			assert.Contains(t, stderr, "usage: integrate [flags]", "with the usage")
			assert.Empty(t, out)
		})
	}
}

func TestHelpIsNotAnError(t *testing.T) {
	_, stderr, err := runArgs(t, "-h")
	require.NoError(t, err)
	assert.Contains(t, stderr, "usage: integrate [flags]")
}

// TestInterruptDuringProcessesLeavesNoChild cancels run's ctx, as Ctrl-C
// does through signal.NotifyContext, while worker processes are
// computing: run returns the ctx's error, and every worker has been
// killed and reaped.
func TestInterruptDuringProcessesLeavesNoChild(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1) // run's result; never blocks the sender
	go func() {
		var out, errOut bytes.Buffer
		// 10⁹ points: about half a second per worker, long enough
		// that we see the workers before they finish.
		errc <- run(ctx, &out, &errOut, []string{"-n", "1e9", "-mode", "processes", "-workers", "1"})
	}()
	// Wait until the workers exist (after the serial baseline), then
	// cancel. Nothing else in this test binary starts children now.
	for {
		kids, err := childcheck.Children()
		if errors.Is(err, childcheck.ErrUnsupported) {
			cancel()
			<-errc
			t.Skip("needs /proc to see the workers")
		}
		if len(kids) > 0 {
			break
		}
		select {
		case err := <-errc: // finished before we saw a worker: wrong
			t.Fatalf("run returned %v before its workers were seen", err)
		default: // not yet
		}
		runtime.Gosched()
	}
	cancel()
	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "processes (cold) with 1 workers")
	childcheck.None(t)
}

// TestInterruptDuringWarmProcessesLeavesNoChild cancels run's ctx while
// the warm pool's workers are computing: they are not the cold row's
// workers, which have been stopped by then, but the ones started for the
// warm row. run returns the ctx's error, and every worker has been killed
// and reaped.
func TestInterruptDuringWarmProcessesLeavesNoChild(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1) // run's result; never blocks the sender
	go func() {
		var out, errOut bytes.Buffer
		// 5·10⁸ points: about a quarter of a second per run.
		errc <- run(ctx, &out, &errOut, []string{"-n", "5e8", "-mode", "processes", "-workers", "1"})
	}()
	// The cold row starts one worker and stops it; the warm row then
	// starts another. We wait for a child that is not the first.
	cold := 0 // the cold row's worker, once seen
	for {
		kids, err := childcheck.Children()
		if errors.Is(err, childcheck.ErrUnsupported) {
			cancel()
			<-errc
			t.Skip("needs /proc to see the workers")
		}
		if cold == 0 && len(kids) > 0 {
			cold = kids[0].PID
		}
		if slices.ContainsFunc(kids, func(p childcheck.Proc) bool { return p.PID != cold }) {
			break // a worker started after the first: the warm pool's
		}
		select {
		case err := <-errc: // finished before we saw the warm pool: wrong
			t.Fatalf("run returned %v before its warm workers were seen", err)
		default: // not yet
		}
		runtime.Gosched()
	}
	cancel()
	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "processes (warm) with 1 workers")
	childcheck.None(t)
}

// TestWarmRunsReuseOnePool checks what makes the warm row warm: its runs
// share one pool, started once, while each cold run starts its own. The
// workers' process IDs, from the spans every run reports, tell: 3 cold
// runs of 2 workers use at least 3 processes (at least one per run; which
// of a run's 2 workers takes its ranges is up to the scheduler), and the
// warm-up and 3 warm runs at most 2. Both give serial's bits in every run
// (measure checks that the runs agree).
func TestWarmRunsReuseOnePool(t *testing.T) {
	c := report.Config{Name: "integrate", Problem: integrate.Problem{F: "x2", A: 0, B: 10, N: 300_007, Rule: integrate.Trapezoid}, Repeat: 3}
	want, err := integrate.Serial(t.Context(), c.Problem)
	require.NoError(t, err)
	for _, tc := range []struct {
		pool    string
		measure func(context.Context, report.Config, report.Measurement, io.Writer) (report.Measurement, error)
		check   func(t *testing.T, processes int)
	}{
		{"cold", measureCold, func(t *testing.T, processes int) {
			assert.GreaterOrEqual(t, processes, 3, "each of 3 cold runs starts its own workers")
		}},
		{"warm", measureWarm, func(t *testing.T, processes int) {
			assert.LessOrEqual(t, processes, 2, "the warm runs share the 2 workers started once")
		}},
	} {
		t.Run(tc.pool, func(t *testing.T) {
			var mu sync.Mutex // protects pids: spans come from the runs' goroutines
			pids := map[string]bool{}
			ctx := integrate.WithSpans(t.Context(), func(row, _ string, _, _ time.Time) {
				mu.Lock()
				defer mu.Unlock()
				pids[row] = true
			})
			m, err := tc.measure(ctx, c, report.Measurement{Mode: "processes", Pool: tc.pool, Workers: 2}, io.Discard)
			require.NoError(t, err)
			childcheck.None(t)
			mu.Lock()
			defer mu.Unlock()
			tc.check(t, len(pids))
			assert.Equal(t, math.Float64bits(want), math.Float64bits(m.Result), "%s: %v, serial: %v", tc.pool, m.Result, want)
			if tc.pool == "cold" {
				assert.Positive(t, m.StartupSeconds, "a cold run starts its workers")
			} else {
				assert.Zero(t, m.StartupSeconds, "no warm run starts a process")
			}
		})
	}
}

// TestTimelineDrawsEveryWorker checks -timeline: after the table, a chart
// per goroutines and processes measurement, with a row per goroutine or
// worker process (never this process) and never more bars at once than
// workers. The times are real, and which worker takes which range is up
// to the scheduler, so only the chart's shape is checked.
func TestTimelineDrawsEveryWorker(t *testing.T) {
	out, _, err := runArgs(t, "-n", "2e6", "-workers", "2", "-timeline", "-width", "80")
	require.NoError(t, err)
	_, charts, ok := strings.Cut(out, "\ngoroutines, 2 workers (the last of 1 runs): a bar per range of blocks\n")
	require.True(t, ok, "a chart for goroutines:\n%s", out)
	gor, procs, ok := strings.Cut(charts, "\nprocesses (cold), 2 workers (the last of 1 runs): a bar per range of blocks\n")
	require.True(t, ok, "then one for processes, cold:\n%s", out)
	cold, warm, ok := strings.Cut(procs, "\nprocesses (warm), 2 workers (the last of 1 runs): a bar per range of blocks\n")
	require.True(t, ok, "then one for processes, warm:\n%s", out)
	assert.NotContains(t, out, "serial, 1 workers (the last", "no chart for serial")

	// Which of the two goroutines takes the ranges of blocks is up to the
	// scheduler: under load one may take every range. So: rows for
	// goroutine 1 or 2, and none for a third.
	assert.Regexp(t, `(?m)^goroutine [12] +│`, gor)
	assert.NotRegexp(t, `(?m)^goroutine (?:[03-9]|\d\d+) +│`, gor, "a row per worker goroutine: 2 workers")
	assert.Regexp(t, `at most [12] at once`, gor)
	for _, procs := range []string{cold, warm} {
		assert.Regexp(t, `(?m)^process \d+ +│`, procs)
		assert.NotRegexp(t, fmt.Sprintf(`(?m)^process %d `, os.Getpid()), procs, "the work is done by the workers")
		assert.Regexp(t, `at most [12] at once`, procs)
	}
	childcheck.None(t)
}

// TestTraceWritesATrace checks -trace: a Go execution trace in which the
// run is a task named integrate, and each measurement a region of it.
func TestTraceWritesATrace(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	path := t.TempDir() + "/trace.out"
	_, _, err := runArgs(t, "-n", "1e5", "-workers", "2", "-trace", path)
	require.NoError(t, err)
	childcheck.None(t)

	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "integrate")
	tr.AssertRegions(t, id, "serial, 1 workers", "goroutines, 2 workers", "processes (cold), 2 workers", "processes (warm), 2 workers")
}
