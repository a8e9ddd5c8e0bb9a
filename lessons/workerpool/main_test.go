package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/panictest"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no sleep, so that it is instant: every time
// printed is 0s. Every line is always the same.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-jobs", "5", "-workers", "2", "-sleep", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 5 jobs, at most 2 at once; each job squares its number and takes 0s (simulated work)
	//
	// 1. a pool of 2 workers reading job numbers from a channel
	//   results: [1 4 9 16 25]
	//   5 jobs in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 2. errgroup.WithContext with SetLimit(2): g.Go waits for a slot
	//   results: [1 4 9 16 25]
	//   5 jobs in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 3. one goroutine per job; each takes one of 2 tokens first
	//   results: [1 4 9 16 25]
	//   5 jobs in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 4. Jobs that finish in reverse order (a pool of 3 workers, 3 jobs)
	//   job 1 takes 0s, job 2 0s, job 3 0s
	//   results: [1 4 9], in input order, after 0s
	//
	// 5. Job 5 of 10 fails half-way: the first error cancels the rest (a pool of 3 workers)
	//   after 0s: job 5: bad input; results: []
	//
	// 6. Job 3 of 5 panics: the worker recovers it and returns an error with the stack
	//   error: job 3: workerpool: panic: runtime error: index out of range [4] with length 3
	//   a *PanicError; its stack names lookup, where it panicked: true
	//   the program goes on; the same panic in a bare errgroup function would end it
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line: each way takes 4 rounds of 1s, the reverse-order jobs 3s, and the
// failing batch 1.5s.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 3*4*time.Second+3*time.Second+1500*time.Millisecond,
			time.Since(begin))
		assert.Equal(t, want, out.String())
	})
}

// ways are the three mappers, as the tests name them.
var ways = []struct {
	name string
	m    mapper
}{
	{"pool", withPool},
	{"errgroup", withErrgroup},
	{"perJob", withGoroutinePerJob},
}

// A probe instruments jobs: it counts, with atomics, the jobs running (and
// the most there ever were), the jobs started, and how many times each
// input ran. Inputs are 1 to n.
type probe struct {
	inFlight atomic.Int64
	peak     atomic.Int64
	started  atomic.Int64
	ran      []atomic.Int64 // ran[x-1]: how many times input x ran
}

func newProbe(n int) *probe { return &probe{ran: make([]atomic.Int64, n)} }

// job returns a job that squares x after d(x, k) of fake time, where k is
// how many jobs had started before it, or returns fail(x, k) if that is
// not nil.
func (p *probe) job(d func(x, k int) time.Duration,
	fail func(x, k int) error) job {
	return func(ctx context.Context, x int) (int, error) {
		k := int(p.started.Add(1) - 1)
		p.ran[x-1].Add(1)
		now := p.inFlight.Add(1)
		defer p.inFlight.Add(-1)
		for pk := p.peak.Load(); now > pk && !p.peak.CompareAndSwap(pk, now); {
			pk = p.peak.Load()
		}
		if err := sleep(ctx, d(x, k)); err != nil {
			return 0, err
		}
		if fail != nil {
			if err := fail(x, k); err != nil {
				return 0, err
			}
		}
		return x * x, nil
	}
}

func oneSecond(int, int) time.Duration { return time.Second }

func inputs(n int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i + 1
	}
	return in
}

func squares(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (i + 1) * (i + 1)
	}
	return out
}

// TestEachWayLimitsConcurrency checks the lesson's main claim for each of
// the three ways: never more than workers jobs at once, and all that
// workers allows, so that n jobs of 1s take exactly ceil(n/workers)
// seconds of fake time, each job running once, the results in order.
func TestEachWayLimitsConcurrency(t *testing.T) {
	tests := []struct {
		n, workers int
		want       time.Duration // ceil(n/workers) rounds of 1s
	}{
		{10, 3, 4 * time.Second},
		{9, 3, 3 * time.Second},
		{10, 1, 10 * time.Second},
		{3, 5, time.Second},
		{100, 100, time.Second},
	}
	for _, way := range ways {
		for _, tt := range tests {
			name := fmt.Sprintf("%s/n=%d/workers=%d", way.name, tt.n, tt.workers)
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := newProbe(tt.n)
					begin := time.Now()
					out, err := way.m(t.Context(), tt.workers, inputs(tt.n),
						p.job(oneSecond, nil))
					require.NoError(t, err)
					assert.Equal(t, tt.want, time.Since(begin),
						"%d jobs of 1s, at most %d at once", tt.n, tt.workers)
					assert.Equal(t, int64(min(tt.n, tt.workers)), p.peak.Load(),
						"most jobs running at once")
					for x := 1; x <= tt.n; x++ {
						assert.Equal(t, int64(1), p.ran[x-1].Load(),
							"times job %d ran", x)
					}
					assert.Equal(t, squares(tt.n), out)
				})
			})
		}
	}
}

// TestResultsInInputOrder runs 6 jobs with 3 workers, where job x takes
// (7-x) seconds, so that the later jobs finish first. The results must be
// in input order all the same.
func TestResultsInInputOrder(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newProbe(6)
				reverse := func(x, _ int) time.Duration {
					return time.Duration(7-x) * time.Second
				}
				out, err := way.m(t.Context(), 3, inputs(6), p.job(reverse, nil))
				require.NoError(t, err)
				assert.Equal(t, squares(6), out)
			})
		})
	}
}

// TestFirstErrorCancelsTheRest runs 10 jobs of 1s with 3 workers; the
// fifth job to start (in the second round, at 1s) fails after 0.5s. Each
// way must return that error at exactly 1.5s, having cancelled the two
// other jobs then running and started no more: 6 jobs started, none
// still running, and no results.
func TestFirstErrorCancelsTheRest(t *testing.T) {
	errFailed := errors.New("failed")
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newProbe(10)
				d := func(_, k int) time.Duration {
					if k == 4 {
						return 500 * time.Millisecond
					}
					return time.Second
				}
				fail := func(_, k int) error {
					if k == 4 {
						return errFailed
					}
					return nil
				}
				begin := time.Now()
				out, err := way.m(t.Context(), 3, inputs(10), p.job(d, fail))
				assert.ErrorIs(t, err, errFailed)
				assert.Regexp(t, `^job \d+: failed$`, err.Error())
				assert.Equal(t, 1500*time.Millisecond, time.Since(begin),
					"returned after; want the moment the job failed")
				assert.Nil(t, out)
				assert.Equal(t, int64(6), p.started.Load(), "jobs started")
				assert.Zero(t, p.inFlight.Load(), "jobs still running")
			})
		})
	}
}

// TestStopsWhenCtxIsDone cancels the caller's ctx at 1.5s, in the second
// round of 10 jobs with 3 workers. Each way must return context.Canceled
// then, with 6 jobs started and none running.
func TestStopsWhenCtxIsDone(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(1500*time.Millisecond, cancel)
				p := newProbe(10)
				begin := time.Now()
				out, err := way.m(ctx, 3, inputs(10), p.job(oneSecond, nil))
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, 1500*time.Millisecond, time.Since(begin))
				assert.Nil(t, out)
				assert.Equal(t, int64(6), p.started.Load(), "jobs started")
				assert.Zero(t, p.inFlight.Load(), "jobs still running")
			})
		})
	}
}

// explode panics: the tests look for its name in the stack.
func explode() { panic("boom") }

// TestPanicBecomesAnError checks that a job that panics does not crash the
// test binary, and comes back as a *PanicError, wrapped with the job's
// number, that keeps the panic's value and has a stack naming the function
// that panicked.
func TestPanicBecomesAnError(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			f := func(_ context.Context, x int) (int, error) {
				if x == 2 {
					explode()
				}
				return x, nil
			}
			out, err := way.m(t.Context(), 2, inputs(3), f)
			assert.Nil(t, out)
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "boom", pe.Value)
			assert.Equal(t, "job 2: workerpool: panic: boom", err.Error())
			assert.Contains(t, string(pe.Stack), "workerpool.explode(")
		})
	}
}

// TestPanicErrorShape checks that PanicError has the workbook's one
// panic-error shape (docs/concepts.md, "A panic turned into an error"):
// its message, and what Unwrap, errors.Is and errors.As reach through it.
func TestPanicErrorShape(t *testing.T) {
	panictest.CheckShape(t, "workerpool",
		func(v any) *PanicError { return &PanicError{Value: v, Stack: []byte("stack")} },
		func(err error) error { return fmt.Errorf("job 2: %w", err) })
}

// TestRuntimeErrorPanicIsReachable checks that a job's runtime error panic
// is reachable with errors.As through the job's error, in every way.
func TestRuntimeErrorPanicIsReachable(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			table := []int{10, 20, 30}
			f := func(_ context.Context, x int) (int, error) {
				return lookup(table, x), nil
			}
			_, err := way.m(t.Context(), 2, []int{0, 4}, f)
			var re interface{ RuntimeError() }
			require.ErrorAs(t, err, &re)
			assert.True(t, strings.HasPrefix(err.Error(),
				"job 2: workerpool: panic: runtime error: index out of range"),
				err.Error())
		})
	}
}

// TestNoJobs checks that no inputs give no outputs and no error.
func TestNoJobs(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			out, err := way.m(t.Context(), 3, nil, nil)
			require.NoError(t, err)
			assert.Empty(t, out)
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
		{[]string{"-jobs", "0"}, "-jobs must be from 1 to 1000, got 0"},
		{[]string{"-jobs", "1001"}, "-jobs must be from 1 to 1000, got 1001"},
		{[]string{"-workers", "0"}, "-workers must be at least 1, got 0"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
		{[]string{"-sleep", "-1s"}, "-sleep must not be negative, got -1s"},
		{[]string{"-sleep", "3"}, `invalid value "3" for flag -sleep`},
		{[]string{"-limit", "4"}, "flag provided but not defined: -limit"},
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
	for _, name := range []string{"-jobs", "-workers", "-sleep"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart of the jobs of the three ways, which never has more bars at
// once than -workers, and whose work/wall ratio is the speedup over one
// job at a time (30 spans: each of the 10 jobs, three ways). The chart is not
// compared with a golden file: in the third way the goroutines race for
// the tokens, so which jobs run in which round varies, even in fake time.
func TestTimeline(t *testing.T) {
	tests := []struct {
		args       []string
		wantAtOnce string
		wantWall   string
	}{
		{nil, "at most 3 at once (first at 0s)",
			"wall 12s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 2.50x"},
		{[]string{"-workers", "1"}, "at most 1 at once (first at 0s)",
			"wall 30s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 1.00x"},
		{[]string{"-workers", "5"}, "at most 5 at once (first at 0s)",
			"wall 6s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 5.00x"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"-timeline"}, tt.args...), " "), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var plain, out bytes.Buffer
				require.NoError(t, run(t.Context(), &plain, tt.args))
				args := append([]string{"-timeline", "-width", "80"}, tt.args...)
				require.NoError(t, run(t.Context(), &out, args))

				chart, ok := strings.CutPrefix(out.String(), plain.String())
				require.True(t, ok, "-timeline changed the lesson's own output:\n%s", &out)
				assert.Contains(t, chart, tt.wantAtOnce)
				assert.Contains(t, chart, tt.wantWall)
				for x := 1; x <= 10; x++ {
					assert.Regexp(t, fmt.Sprintf(`\njob %d +│`, x), chart, "job %d's row", x)
				}
				for _, way := range []string{"pool", "errgroup", "goroutine per job"} {
					assert.Regexp(t, `\njob 1 +`+way+` +\d+s +1s\n`, chart, "job 1's bar for %s", way)
				}
			})
		})
	}
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble) and with no sleep, and checks
// that the lesson printed what it prints without the flag, and the file:
// a Go execution trace in which the run is a task named workerpool and
// each job a region named after it, once for each of the three ways, with
// the way logged as its label.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-jobs", "4", "-workers", "2", "-sleep", "0"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, plain.String(), out.String(), "-trace alone prints nothing more")

	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "workerpool")
	for x := 1; x <= 4; x++ {
		begun, ended := tr.Regions(id, fmt.Sprintf("job %d", x))
		assert.Equal(t, 3, begun, "job %d: a region for each of the three ways", x)
		assert.Equal(t, 3, ended, "job %d: regions ended", x)
	}
	tr.AssertLabels(t, id, "pool", "errgroup", "goroutine per job")
}
