package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no sleep, so that it is instant: every time
// printed is 0s. Every line is always the same: the gates in parts 1 and 2
// fix the states and the cancel, whatever the timing.
func Example() {
	if err := run(context.Background(), os.Stdout, []string{"-sleep", "0"}); err != nil {
		panic(err)
	}
	// Output:
	// each part makes its own executor (-workers 4); a unit of simulated work takes 0s
	//
	// 1. Submit three tasks, look at their states, wait for their results
	//   a running: true, done: false
	//   b running: true, done: false
	//   c running: false, done: true
	//   a result: 2
	//   b result: 3
	//   c result: 10
	//   after 0s
	//
	// 2. Submit 24 jobs, a callback on every other one, cancel job 4
	//   job 4 cancelled; its callback was called by Cancel, in our goroutine
	//   results: 0.5 1.5 2.5 3.5 - 5.5 6.5 7.5 8.5 9.5 10.5 11.5 12.5 13.5 14.5 15.5 16.5 17.5 18.5 19.5 20.5 21.5 22.5 23.5
	//   after 0s
	//   a callback ran once for each of jobs 0 2 4 6 8 10 12 14 16 18 20 22
	//
	// 3. Map add over 12 pairs of ones
	//   results: [2 2 2 2 2 2 2 2 2 2 2 2]
	//   after 0s
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks it prints the README's "Expected output" line for line:
// part 1 takes 2 s (b's two units), part 2 six rounds of 1 s (23 jobs on 4
// workers), part 3 three rounds (12 items on 4 workers).
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 11*time.Second, time.Since(begin))
		assert.Equal(t, want, out.String())
	})
}

// TestWorkerCounts checks the claims that depend on -workers: the times
// are ceil(tasks/workers) rounds, fewer than 3 workers cannot hold a, b
// and c at once (so part 1 shows what the timing gives), and more than 4
// workers have job 4 running before we cancel it.
func TestWorkerCounts(t *testing.T) {
	tests := []struct {
		workers int
		want    []string
	}{
		{1, []string{
			"  a running: false, done: true", "  b running: false, done: true",
			"  after 3s", // a then b then c, one at a time
			"  job 4 cancelled",
			"  after 23s", // 23 jobs, one at a time
			"  after 12s",
		}},
		{2, []string{
			"  a running: false, done: true", "  b running: true, done: false",
			"  after 2s", "  after 12s", "  after 6s",
		}},
		{8, []string{
			"  a running: true, done: false", "  b running: true, done: false",
			"  job 4 was already running: Cancel returned false",
			"  results: 0.5 1.5 2.5 3.5 4.5 5.5",
			"  after 3s", // 24 jobs on 8 workers
			"  after 2s", // 12 items on 8 workers
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Repeat("w", tt.workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				require.NoError(t, run(t.Context(), &out,
					[]string{"-workers", string(rune('0' + tt.workers))}))
				// The wanted lines come in this order.
				rest := out.String()
				for _, line := range tt.want {
					i := strings.Index(rest, line)
					require.GreaterOrEqual(t, i, 0, "missing %q in\n%s", line, out.String())
					rest = rest[i+len(line):]
				}
				assert.Contains(t, out.String(),
					"a callback ran once for each of jobs 0 2 4 6 8 10 12 14 16 18 20 22\n")
				assert.NotContains(t, out.String(), "times!")
			})
		})
	}
}

// TestCtrlC cancels ctx in each part of the lesson and checks that run
// returns context.Canceled at once, with every task stopped (goleak checks
// that no goroutine is left).
func TestCtrlC(t *testing.T) {
	for _, at := range []time.Duration{500 * time.Millisecond,
		3500 * time.Millisecond, 9500 * time.Millisecond} {
		t.Run(at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), at)
				defer cancel()
				var out bytes.Buffer
				begin := time.Now()
				err := run(ctx, &out, nil)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				assert.Equal(t, at, time.Since(begin), "run returned late")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-workers", "0"}, "-workers must be at least 1, got 0"},
		{[]string{"-sleep", "-1s"}, "-sleep must not be negative, got -1s"},
		{[]string{"-sleep", "3"}, `invalid value "3" for flag -sleep`},
		{[]string{"-jobs", "4"}, "flag provided but not defined: -jobs"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
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
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-workers", "-sleep"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart, with a row per task, and never more bars at once than the
// executor has workers. The work is the same 38 units whatever -workers
// (a 1, b 2, 23 jobs, 12 map calls; c takes no time and has no bar), 39
// with 8 workers, where job 4 is running before the cancel. With the
// default flags the chart is also compared with
// testdata/futures-timeline.golden (go test -update rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		workers  int
		want     string
		job4Runs bool
	}{
		{1, "wall 38s (first start to last end), work 38s (37 spans)\n" +
			"work/wall 1.00x: the speedup over one at a time; at most 1 at once (first at 0s)", false},
		{2, "wall 20s (first start to last end), work 38s (37 spans)\n" +
			"work/wall 1.90x: the speedup over one at a time; at most 2 at once (first at 0s)", false},
		{4, "wall 11s (first start to last end), work 38s (37 spans)\n" +
			"work/wall 3.45x: the speedup over one at a time; at most 4 at once (first at 2s)", false},
		{8, "wall 7s (first start to last end), work 39s (38 spans)\n" +
			"work/wall 5.57x: the speedup over one at a time; at most 8 at once (first at 2s)", true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("-timeline -workers %d", tt.workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				flags := []string{"-workers", fmt.Sprint(tt.workers)}
				var plain, out bytes.Buffer
				require.NoError(t, run(t.Context(), &plain, flags))
				args := append([]string{"-timeline", "-width", "80"}, flags...)
				require.NoError(t, run(t.Context(), &out, args))

				chart, ok := strings.CutPrefix(out.String(), plain.String())
				require.True(t, ok, "-timeline changed the lesson's own output:\n%s", &out)
				assert.Contains(t, chart, tt.want)
				rows := []string{"future a", "future b"}
				for i := range njobs {
					if i != cancelled || tt.job4Runs {
						rows = append(rows, fmt.Sprintf("job %d", i))
					}
				}
				for i := range 12 {
					rows = append(rows, fmt.Sprintf("map call %d", i+1))
				}
				for _, row := range rows {
					assert.Regexp(t, `\n`+row+` +│`, chart, "no row for %s", row)
				}
				assert.Equal(t, len(rows), strings.Count(chart, "│\n"),
					"rows in the chart: one line each, since no task overlaps itself")
				if tt.workers == 4 {
					timelinetest.Golden(t, "futures-timeline", chart)
				}
			})
		})
	}
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble) and with no sleep, so that it
// takes no time, and checks the file: a Go execution trace in which, as
// go tool trace -d=parsed shows, the run is a task named futures and
// each task the executor ran a region of that task named after its row,
// with what it computed logged as its label. The cancelled job 4 never
// ran, so it has no region. The lesson's output is unchanged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-sleep", "0"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, plain.String(), out.String(), "-trace alone prints nothing more")
	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "futures")
	tr.AssertRegions(t, id, "future a", "future b", "future c", "job 0", "job 23",
		"map call 1", "map call 12")
	begun, _ := tr.Regions(id, "job 4")
	assert.Zero(t, begun, "the cancelled job ran")
	tr.AssertLabels(t, id, "add(1, 2)", "return 10", "add(23, 0.5)")
	for n := 1; n <= 12; n++ {
		begun, ended := tr.Regions(id, fmt.Sprintf("map call %d", n))
		assert.Equal(t, [2]int{1, 1}, [2]int{begun, ended}, "map call %d: one region", n)
	}
}
