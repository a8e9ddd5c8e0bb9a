package main

// The processes mode's workers are this test binary: started with
// processpool.EnvWorker=parallelism, TestMain serves jobs instead of running
// the tests (the helper-process idiom of os/exec's own tests), so
// processpool.Self works as it does under go run.
//
// The I/O-bound claims are checked exactly, in fake time (synctest). The
// CPU-bound claims are about speed, and live in bench_test.go: here we
// check only that every way computes the same sums. Tests that start
// worker processes run outside synctest (a goroutine blocked reading a
// pipe is not durably blocked in a bubble), do not run in parallel, and
// end by checking that no child is left.

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	serveIfWorker() // first: in a worker process it serves jobs and exits
	childcheck.VerifyTestMain(m)
}

// measured matches a time or a speedup, with the spaces before it.
var measured = regexp.MustCompile(`( +)(\d+(?:\.\d+)?(?:ns|µs|ms|s)|\d+\.\d+x)`)

// machine matches what depends on the machine: its number of CPUs, the
// GOMAXPROCS this process started with, and the worker processes' own.
var machine = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`NumCPU=\d+, GOMAXPROCS=\d+ at start`),
		"NumCPU=C, GOMAXPROCS=P at start"},
	{regexp.MustCompile(`own GOMAXPROCS: [\d, ]+,`), "own GOMAXPROCS: P,"},
}

// mask replaces what changes from run to run or machine to machine in the
// lesson's output: each time becomes T and each speedup S, right-aligned
// in the same width in the tables, so that the columns stay in place; and
// the numbers of CPUs and GOMAXPROCS of the header and the last line
// become C and P.
func mask(s string) string {
	s = measured.ReplaceAllStringFunc(s, func(m string) string {
		sub := measured.FindStringSubmatch(m)
		token := "T"
		if strings.HasSuffix(sub[2], "x") {
			token = "S"
		}
		if len(sub[1]) == 1 { // prose: "in 3.25ms"
			return " " + token
		}
		return strings.Repeat(" ", utf8.RuneCountInString(m)-1) + token
	})
	for _, r := range machine {
		s = r.re.ReplaceAllString(s, r.with)
	}
	return s
}

// Example runs both workloads, small, all three ways. The times, the
// speedups and the machine's numbers change from run to run, so it prints
// the output with them masked: T for a time, S for a speedup.
func Example() {
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-tasks", "4",
		"-work", "1000", "-waits", "3", "-wait", "1ms", "-workers", "2"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(mask(out.String()))
	// Output:
	// CPU-bound: 4 tasks, each a sum of 1000 points (busy work)
	// I/O-bound: 3 tasks, each a wait of T (simulated I/O)
	// NumCPU=C, GOMAXPROCS=P at start
	// started 2 worker processes in T
	//
	// CPU-bound       GOMAXPROCS=1       GOMAXPROCS=NumCPU
	// serial                 T        S         T        S
	// 4 goroutines           T        S         T        S
	// 2 processes            T        S         T        S
	//
	// I/O-bound       GOMAXPROCS=1       GOMAXPROCS=NumCPU
	// serial                 T        S         T        S
	// 3 goroutines           T        S         T        S
	// 2 processes            T        S         T        S
	//
	// the worker processes' own GOMAXPROCS: P, whatever ours was
}

// TestOutputMatchesREADME runs the lesson with its default flags (and
// -workers 2, the default on the README's 2-core machine) and checks its
// output against the README's "Expected output", line for line and column
// for column, once the times, speedups and the machine's numbers are
// masked in both. It also checks that the mask hid only those: every row
// of a table has a time and a speedup in each column.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-workers", "2"}))
	assert.Equal(t, readme.Lines(mask(block)), readme.Lines(mask(out.String())))

	row := regexp.MustCompile(`^(serial|\d+ goroutines?|\d+ process(es)?) +` +
		`\S+ +\d+\.\d\dx +\S+ +\d+\.\d\dx$`)
	rows := 0
	for _, l := range readme.Lines(out.String()) {
		if row.MatchString(l) {
			rows++
		}
	}
	assert.Equal(t, 6, rows, "table rows with two times and two speedups in:\n%s", &out)
	childcheck.None(t)
}

// ioJobs returns n I/O-bound jobs that wait d each.
func ioJobs(n int, d time.Duration) []job {
	cfg := config{waits: n, wait: d}
	return cfg.jobs(ioBound)
}

// setGOMAXPROCS sets GOMAXPROCS to n for the rest of the test.
func setGOMAXPROCS(t *testing.T, n int) {
	prev := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// TestIOBoundOverlapsOnOneThread checks the lesson's I/O-bound claim
// exactly, in fake time, with GOMAXPROCS=1: 8 waits of 100ms take 800ms
// one after another, but 100ms on a goroutine each, because a waiting
// goroutine needs no thread; the 8 spans of the -timeline chart all run
// from 0 to 100ms. With only 2 goroutines at a time they take 4 rounds.
func TestIOBoundOverlapsOnOneThread(t *testing.T) {
	setGOMAXPROCS(t, 1)
	const wait = 100 * time.Millisecond
	tests := []struct {
		name string
		way  func(context.Context, []job, *timeline.Observer) ([]answer, error)
		want time.Duration
	}{
		{"serial", func(ctx context.Context, jobs []job, obs *timeline.Observer) ([]answer, error) {
			return runSerial(ctx, jobs, obs, "row")
		}, 8 * wait},
		{"goroutines", func(ctx context.Context, jobs []job, obs *timeline.Observer) ([]answer, error) {
			return runGoroutines(ctx, jobs, len(jobs), obs, "row")
		}, wait},
		{"goroutines/workers=2", func(ctx context.Context, jobs []job, obs *timeline.Observer) ([]answer, error) {
			return runGoroutines(ctx, jobs, 2, obs, "row")
		}, 4 * wait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				show := timeline.Flags{Timeline: true}
				ctx, obs, err := show.Start(t.Context(), "test")
				require.NoError(t, err)
				defer obs.Stop()
				require.Equal(t, 1, runtime.GOMAXPROCS(0))

				begin := time.Now()
				answers, err := tt.way(ctx, ioJobs(8, wait), obs)
				require.NoError(t, err)
				assert.Equal(t, tt.want, time.Since(begin), "8 waits of %v", wait)
				assert.Len(t, answers, 8)
				for _, a := range answers {
					assert.Equal(t, 1, a.GOMAXPROCS, "the GOMAXPROCS that ran the task")
				}

				spans := obs.Spans()
				require.Len(t, spans, 8, "one span per task")
				for _, s := range spans {
					assert.Equal(t, wait, s.Duration(), "%s", s.Label)
				}
				if tt.name == "goroutines" {
					for _, s := range spans {
						assert.Equal(t, time.Duration(0), s.Start, "%s starts with the others", s.Label)
					}
				}
			})
		})
	}
}

// TestRunIOBoundInFakeTime runs the lesson's own run, I/O-bound only,
// serial and goroutines, in fake time: its table is exact. The goroutines
// gain 8x at GOMAXPROCS=1 as at NumCPU; the chart's summary says all 8
// ran at once; and run sets GOMAXPROCS back to what it was.
func TestRunIOBoundInFakeTime(t *testing.T) {
	setGOMAXPROCS(t, 3) // anything but 1 and NumCPU, to see it restored
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, []string{"-workload", "io",
			"-mode", "serial,goroutines", "-wait", "100ms", "-timeline"}))
		assert.Equal(t, 2*(800+100)*time.Millisecond, time.Since(begin),
			"serial and goroutines, at two settings")
		assert.Equal(t, 3, runtime.GOMAXPROCS(0), "GOMAXPROCS after run")

		want := fmt.Sprintf(`I/O-bound: 8 tasks, each a wait of 100ms (simulated I/O)
NumCPU=%d, GOMAXPROCS=3 at start

I/O-bound       GOMAXPROCS=1       GOMAXPROCS=NumCPU
serial             800ms    1.00x     800ms    1.00x
8 goroutines       100ms    8.00x     100ms    8.00x
`, runtime.NumCPU())
		got := out.String()
		require.Greater(t, len(got), len(want), "output:\n%s", got)
		assert.Equal(t, want, got[:len(want)])
		chart := got[len(want):]
		assert.Contains(t, chart, "work 3.2s (32 spans)")
		assert.Contains(t, chart, "at most 8 at once (first at 800ms)")
	})
}

// TestCtrlCStopsTheWaits cancels ctx, as Ctrl-C does, 30s into a run
// whose tasks wait a minute each: run returns context.Canceled at that
// very moment of fake time, in the serial run and in the goroutines' one.
func TestCtrlCStopsTheWaits(t *testing.T) {
	for _, mode := range []string{"serial", "goroutines"} {
		t.Run(mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(30*time.Second, cancel)
				var out bytes.Buffer
				begin := time.Now()
				err := run(ctx, &out, []string{"-workload", "io", "-mode", mode,
					"-wait", "1m"})
				assert.ErrorIs(t, err, context.Canceled)
				assert.ErrorContains(t, err, "io, "+mode+", GOMAXPROCS=1: ")
				assert.Equal(t, 30*time.Second, time.Since(begin))
			})
		})
	}
}

// TestCtrlCStopsTheCPUWork runs the CPU-bound workload with ctx already
// done: no task starts, and run returns context.Canceled, serially and on
// goroutines.
func TestCtrlCStopsTheCPUWork(t *testing.T) {
	for _, mode := range []string{"serial", "goroutines"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var out bytes.Buffer
			err := run(ctx, &out, []string{"-workload", "cpu", "-mode", mode})
			assert.ErrorIs(t, err, context.Canceled)
			assert.ErrorContains(t, err, "cpu, "+mode+", GOMAXPROCS=1: ")
			assert.NotContains(t, out.String(), "CPU-bound  ", "no table")
		})
	}
}

// startingProcs is the GOMAXPROCS this process started with, which a
// worker process, started with the same environment, starts with too.
// It is read before the tests run: go test -cpu 1 sets GOMAXPROCS to 1
// for the tests, in this process only.
var startingProcs = runtime.GOMAXPROCS(0)

// TestEveryWayComputesTheSameSums checks that the CPU-bound tasks are
// really done, and done once each, whichever way runs them: every way
// returns the same bits, task by task, and the tasks together integrate
// x² from 0 to n. The goroutines report the GOMAXPROCS we set (1); the
// worker processes report their own, the one this process started with:
// runtime.GOMAXPROCS does not reach another process.
func TestEveryWayComputesTheSameSums(t *testing.T) {
	ours := startingProcs
	setGOMAXPROCS(t, 1)
	const n, steps = 5, 10_000
	cfg := config{tasks: n, work: steps}
	jobs := cfg.jobs(cpuBound)

	want, err := runSerial(t.Context(), jobs, nil, "")
	require.NoError(t, err)
	total := 0.0
	for _, a := range want {
		total += a.Sum
	}
	// The left sum of an increasing f falls short of the integral, by at
	// most (f(n)-f(0))·dx = n²/steps.
	assert.InDelta(t, n*n*n/3.0, total, n*n/float64(steps))

	for _, workers := range []int{1, 3, n} {
		got, err := runGoroutines(t.Context(), jobs, workers, nil, "")
		require.NoError(t, err)
		assert.Equal(t, want, got, "goroutines, workers=%d", workers)
	}

	pool, err := startPool(t.Context(), 2)
	require.NoError(t, err)
	got, err := runProcesses(t.Context(), jobs, pool, nil, "")
	require.NoError(t, pool.Close())
	require.NoError(t, err)
	for i := range jobs {
		assert.Equal(t, want[i].Sum, got[i].Sum, "task %d", i)
		assert.Equal(t, ours, got[i].GOMAXPROCS, "a worker's GOMAXPROCS")
	}
	childcheck.None(t)
}

// TestWorkerRefusesAnUnknownKind checks the worker's function on a job
// it does not know: an error naming it, which a worker sends back as a
// message.
func TestWorkerRefusesAnUnknownKind(t *testing.T) {
	_, err := serveJob(t.Context(), job{Kind: "gpu", Index: 4})
	assert.EqualError(t, err, `job 4: unknown kind "gpu"`)
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

// TestCtrlCStopsTheWorkerProcesses cancels ctx as soon as the worker
// processes have started, before tasks that wait a minute: run returns
// context.Canceled, and no worker process is left, running or zombie.
func TestCtrlCStopsTheWorkerProcesses(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w := &cancelWriter{cancel: cancel, marker: "started 2 worker processes"}
	err := run(ctx, w, []string{"-workload", "io", "-mode", "processes",
		"-workers", "2", "-wait", "1m"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, w.buf.String(), w.marker)
	childcheck.None(t)
}

// TestProcessesModeLeavesNoChild runs the processes mode alone, both
// workloads, and checks that its table has a processes row and no other,
// with no speedup (there is no serial run to compare with), and that
// every worker process has been reaped when run returns.
func TestProcessesModeLeavesNoChild(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-mode", "processes",
		"-tasks", "3", "-work", "1000", "-waits", "3", "-wait", "1ms",
		"-workers", "3"}))
	rows := regexp.MustCompile(`(?m)^3 processes +\S+ +- +\S+ +-$`)
	assert.Len(t, rows.FindAllString(out.String(), -1), 2, "in:\n%s", &out)
	assert.NotContains(t, out.String(), "serial")
	assert.NotContains(t, out.String(), "goroutines")
	childcheck.None(t)
}

// TestOneWorkerIsSingular checks the labels with one task and one
// worker process.
func TestOneWorkerIsSingular(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-workload", "cpu",
		"-tasks", "1", "-work", "1000", "-workers", "1"}))
	assert.Contains(t, out.String(), "started 1 worker process in ")
	assert.Regexp(t, `(?m)^1 goroutine +\S`, out.String())
	assert.Regexp(t, `(?m)^1 process +\S`, out.String())
	childcheck.None(t)
}

// TestParseList checks the -mode and -workload lists: any order, repeats
// allowed, kept in the lesson's order, each once.
func TestParseList(t *testing.T) {
	got, err := parseList("-mode", "processes,serial,processes", modes)
	require.NoError(t, err)
	assert.Equal(t, []string{"serial", "processes"}, got)
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything or starts a
// child.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-tasks", "0"}, "-tasks must be from 1 to 1000, got 0"},
		{[]string{"-work", "0"}, "-work must be from 1 to 1000000000, got 0"},
		{[]string{"-work", "2000000000"}, "-work must be from 1 to 1000000000, got 2000000000"},
		{[]string{"-waits", "1001"}, "-waits must be from 1 to 1000, got 1001"},
		{[]string{"-wait", "-1s"}, "-wait must be from 0s to 1m0s, got -1s"},
		{[]string{"-wait", "2m"}, "-wait must be from 0s to 1m0s, got 2m0s"},
		{[]string{"-wait", "3"}, `invalid value "3" for flag -wait`},
		{[]string{"-workers", "0"}, "-workers must be from 1 to 64, got 0"},
		{[]string{"-mode", "threads"}, `-mode: unknown name "threads" (want some of serial,goroutines,processes)`},
		{[]string{"-mode", ""}, `-mode: unknown name ""`},
		{[]string{"-workload", "cpu,disk"}, `-workload: unknown name "disk" (want some of cpu,io)`},
		{[]string{"-width", "10"}, "-width must be from 40 to 1000, got 10"},
		{[]string{"-cpu", "2"}, "flag provided but not defined: -cpu"},
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
	for _, name := range []string{"-tasks", "-work", "-waits", "-wait",
		"-workers", "-mode", "-workload", "-timeline", "-trace"} {
		assert.Contains(t, out.String(), name)
	}
}
