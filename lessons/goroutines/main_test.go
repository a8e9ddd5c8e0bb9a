package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// Example runs the lesson with no sleep and no timeout, so that it is
// instant. The worker lines come in a different order on every run. It first
// waits for the goroutines of the tests that ran before it to exit (see
// settle), so that the goroutine count it prints is exact.
func Example() {
	if err := settle(); err != nil {
		fmt.Println(err)
	}
	err := run(context.Background(), os.Stdout,
		[]string{"-workers", "3", "-sleep", "0", "-timeout", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// workers started: 3; runtime.NumGoroutine() rose by 3
	// worker 1: start
	// worker 2: start
	// worker 3: start
	// worker 1: done
	// worker 2: done
	// worker 3: done
	// all 3 workers done after 0s; one after another: 0s
	// waiter started; alive: true
	// join with a 0s timeout: joined: false; alive: true
	// releasing the waiter
	// waiter: released
	// joined the waiter; alive: false
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, except that concurrent workers may print their lines in any order.
func TestOutputMatchesREADME(t *testing.T) {
	want := readmeOutput(t)
	require.NoError(t, settle())
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 3*time.Second+time.Second, time.Since(start),
			"want one 3s sleep for all the workers, then the 1s join timeout")
		assert.Equal(t, readme.Canonical(want), readme.Canonical(readme.Lines(out.String())))
	})
}

// TestWorkersWaitAtTheSameTime checks the lesson's main claim: however many
// workers there are, together they take one sleep, not one per worker.
func TestWorkersWaitAtTheSameTime(t *testing.T) {
	for _, workers := range []int{1, 5, 100} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				start := time.Now()
				err := run(t.Context(), &out, []string{
					"-workers", fmt.Sprint(workers), "-sleep", "3s", "-timeout", "0"})
				require.NoError(t, err)
				assert.Equal(t, 3*time.Second, time.Since(start),
					"%d workers that sleep 3s each", workers)
				assert.Contains(t, out.String(), fmt.Sprintf(
					"all %d workers done after 3s; one after another: %v\n",
					workers, time.Duration(workers)*3*time.Second))
			})
		})
	}
}

// TestEveryWorkerStartsAndEnds checks that each worker prints one start line
// and one done line, that every worker starts before any is done (they run
// at the same time), and that the count of goroutines is exact.
func TestEveryWorkerStartsAndEnds(t *testing.T) {
	require.NoError(t, settle())
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		err := run(t.Context(), &out, []string{"-workers", "7", "-timeout", "0"})
		require.NoError(t, err)
		got := readme.Lines(out.String())
		assert.Contains(t, got, "workers started: 7; runtime.NumGoroutine() rose by 7")
		lastStart, firstDone := -1, len(got)
		for id := 1; id <= 7; id++ {
			s := slices.Index(got, fmt.Sprintf("worker %d: start", id))
			d := slices.Index(got, fmt.Sprintf("worker %d: done", id))
			require.NotEqual(t, -1, s, "worker %d printed no start line", id)
			require.NotEqual(t, -1, d, "worker %d printed no done line", id)
			lastStart, firstDone = max(lastStart, s), min(firstDone, d)
		}
		assert.Less(t, lastStart, firstDone,
			"a worker was done before the last one started:\n%s", &out)
		workerLines := slices.DeleteFunc(slices.Clone(got), func(s string) bool {
			return !strings.HasPrefix(s, "worker ")
		})
		assert.Len(t, workerLines, 2*7, "want one start and one done line per worker")
	})
}

// TestJoinTimeout checks that joinTimeout returns when the goroutine does,
// or at exactly the timeout, whichever comes first.
func TestJoinTimeout(t *testing.T) {
	tests := []struct {
		name       string
		returnsAt  time.Duration // when the goroutine closes done
		timeout    time.Duration
		wantJoined bool
		wantAt     time.Duration // when joinTimeout returns
	}{
		{"goroutine slower", 5 * time.Second, time.Second, false, time.Second},
		{"goroutine faster", time.Second, 5 * time.Second, true, time.Second},
		{"zero timeout", time.Second, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				done := make(chan struct{})
				go func() {
					defer close(done)
					time.Sleep(tt.returnsAt)
				}()
				start := time.Now()
				joined := joinTimeout(done, tt.timeout)
				assert.Equal(t, tt.wantJoined, joined, "joined")
				assert.Equal(t, tt.wantAt, time.Since(start), "returned after")
				assert.Equal(t, !joined, alive(done), "alive after joinTimeout")
				<-done
			})
		})
	}
}

// TestJoinTimeoutWhenAlreadyDone checks that joinTimeout reports a goroutine
// that has returned as joined even with a zero timeout, when a bare select
// would pick its timer case half of the time.
func TestJoinTimeoutWhenAlreadyDone(t *testing.T) {
	done := make(chan struct{})
	close(done)
	for range 100 {
		require.True(t, joinTimeout(done, 0), "joinTimeout(done, 0) on a closed done")
	}
}

// TestAlive checks alive before and after the goroutine returns.
func TestAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(time.Second)
		}()
		assert.True(t, alive(done), "alive while the goroutine sleeps")
		time.Sleep(time.Second / 2)
		assert.True(t, alive(done), "alive half way through")
		<-done
		assert.False(t, alive(done), "alive after the goroutine returned")
	})
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) while the
// workers sleep and while the join with a timeout waits. run must return
// ctx.Err() at that very moment, with none of its goroutines left running:
// synctest.Test checks that last part itself, and panics if a goroutine
// started in the bubble is still blocked when the test function returns.
func TestCtrlCStopsPromptly(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
	}{
		{"while the workers sleep", time.Second},
		{"while joining with a timeout", 3*time.Second + time.Second/2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var out bytes.Buffer
				errc := make(chan error, 1) // run's result; buffered so the sender never waits
				start := time.Now()
				go func() { errc <- run(ctx, &out, nil) }()

				time.Sleep(tt.cancelAt)
				cancel()
				err := <-errc
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(start),
					"run returned late: does something ignore ctx?")
				if tt.cancelAt < 3*time.Second {
					for id := 1; id <= 5; id++ {
						assert.Contains(t, out.String(),
							fmt.Sprintf("worker %d: stopped: context canceled\n", id))
					}
				}
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it starts anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-workers", "0"}, "-workers must be at least 1, got 0"},
		{[]string{"-workers", "-3"}, "-workers must be at least 1, got -3"},
		{[]string{"-sleep", "-1s"}, "-sleep must not be negative, got -1s"},
		{[]string{"-timeout", "-2s"}, "-timeout must not be negative, got -2s"},
		{[]string{"-sleep", "3"}, `invalid value "3" for flag -sleep`},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
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
	for _, name := range []string{"-workers", "-sleep", "-timeout"} {
		assert.Contains(t, out.String(), name)
	}
}

// settle waits until the goroutines of the tests that ran before, the test
// runner's own included, have finished exiting. runtime.NumGoroutine counts
// every goroutine in the process, so the lesson's "rose by" line is exact
// only when nothing else is starting or ending. It ignores the goroutine
// that captures an Example's output, which runs for the whole Example.
func settle() error {
	return goleak.Find(goleak.IgnoreAnyFunction("testing.runExample.func1"))
}

// readmeOutput returns the lines of the first code block under the
// README's "## Expected output" heading.
func readmeOutput(t *testing.T) []string {
	t.Helper()
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	return readme.Lines(block)
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// a chart in which the workers' bars overlap from end to end (all of them
// at once, from 0 to the sleep) and the waiter's bar follows them for the
// join timeout. With the default flags the chart is also compared with
// testdata/goroutines-timeline.golden (go test -update rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		args     []string
		workers  int
		wantWall string
	}{
		{nil, 5, "wall 4s (first start to last end), work 16s (6 spans)"},
		{[]string{"-workers", "3", "-sleep", "2s", "-timeout", "500ms"}, 3,
			"wall 2.5s (first start to last end), work 6.5s (4 spans)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"-timeline"}, tt.args...), " "), func(t *testing.T) {
			require.NoError(t, settle())
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				args := append([]string{"-timeline", "-width", "80"}, tt.args...)
				require.NoError(t, run(t.Context(), &out, args))

				lesson, chart, ok := strings.Cut(out.String(), "\n\n")
				require.True(t, ok, "no blank line before the chart:\n%s", &out)
				if tt.args == nil {
					assert.Equal(t, readme.Canonical(readmeOutput(t)),
						readme.Canonical(readme.Lines(lesson)),
						"-timeline changed the lesson's own output")
				}
				assert.Contains(t, chart, fmt.Sprintf("at most %d at once (first at 0s)", tt.workers))
				assert.Contains(t, chart, tt.wantWall)
				sleep := cmp.Or(flagValue(tt.args, "-sleep"), "3s")
				for id := 1; id <= tt.workers; id++ {
					assert.Regexp(t, fmt.Sprintf(`\nworker %d +simulated I/O +0s +%s\n`,
						id, regexp.QuoteMeta(sleep)), chart, "worker %d's bar", id)
				}
				assert.Regexp(t, fmt.Sprintf(`\nwaiter +wait for release +%s `,
					regexp.QuoteMeta(sleep)), chart, "the waiter starts when the workers are done")
				if tt.args == nil {
					timelinetest.Golden(t, "goroutines-timeline", chart)
				}
			})
		})
	}
}

// flagValue returns the value that follows name in args, or "".
func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble) and with no sleep, and checks
// that the lesson printed what it prints without the flag, and the file:
// a Go execution trace in which, as go tool trace -d=parsed shows, the run
// is a task named goroutines, each worker and the waiter a region of that
// task named after its row, with its label logged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	require.NoError(t, settle())
	path := filepath.Join(t.TempDir(), "trace.out")
	var out bytes.Buffer
	err := run(t.Context(), &out, []string{"-workers", "3", "-sleep", "0", "-timeout", "0",
		"-trace", path})
	require.NoError(t, err)
	assert.Contains(t, out.String(), "workers started: 3;")
	assert.Contains(t, out.String(), "joined the waiter; alive: false\n")
	assert.NotContains(t, out.String(), "\n\n", "-trace alone draws no chart")

	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "goroutines")
	tr.AssertRegions(t, id, "worker 1", "worker 2", "worker 3", "waiter")
	tr.AssertLabels(t, id, "simulated I/O", "wait for release")
}
