package parallelism

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike. They run under the race detector (go run
// ./cmd/workbook check parallelism adds -race), which sees two goroutines
// writing the same memory even when the results happen to come out right.
//
// Most of them run in fake time (testing/synctest), where a call that
// sleeps 1s takes exactly 1s, and the clock moves on only once every
// goroutine of the test is blocked. There a task that sleeps stands for
// one that computes: it stays in progress for a known time, so that the
// tests can count exactly how many tasks run at once, and how long a batch
// takes, on any machine and under any load. Every task and fetch the tests
// pass ends by itself, at the latest after an hour of fake time, so that a
// wrong Compute or Fetch makes a test fail, never hang.
//
// The tests set GOMAXPROCS themselves: it is how many threads may run Go
// code at once, whatever the number of cores, and Compute must follow it.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// setGOMAXPROCS sets GOMAXPROCS to n for the rest of the test.
func setGOMAXPROCS(t *testing.T, n int) {
	prev := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// A gauge counts the calls in progress, with atomics, and keeps the most
// there ever were at once.
type gauge struct {
	now, peak atomic.Int64
}

// enter records that a call has started; the call must defer leave.
func (g *gauge) enter() { raise(&g.peak, g.now.Add(1)) }

// leave records that a call has ended.
func (g *gauge) leave() { g.now.Add(-1) }

// raise sets m to v if v is larger.
func raise(m *atomic.Int64, v int64) {
	for old := m.Load(); v > old && !m.CompareAndSwap(old, v); old = m.Load() {
	}
}

// square is what the tests' tasks compute: task i returns i².
func square(i int) int { return i * i }

// page is what the tests' fetches return: fetch i returns "page i".
func page(i int) string { return fmt.Sprintf("page %d", i) }

// checkResults checks that results holds want(i) at every index i from 0
// to n-1, and that calls[i], the number of times call i was made, is 1.
// It reports the first few wrong elements in words; what names the call,
// "task" or "fetch".
func checkResults[T comparable](t *testing.T, what string, n int, results []T,
	want func(i int) T, calls []atomic.Int64) {
	t.Helper()
	if len(results) != n {
		t.Errorf("got %d results for n = %d; want %d, one per %s",
			len(results), n, n, what)
		return
	}
	const most = 5 // wrong elements to report; the rest are counted
	wrong := 0
	for i := range n {
		got, c := results[i], calls[i].Load()
		if got == want(i) && c == 1 {
			continue
		}
		if wrong++; wrong > most {
			continue
		}
		if c != 1 {
			t.Errorf("%s %d was called %d times; want once", what, i, c)
		}
		if got != want(i) {
			t.Errorf("results[%d] is %#v; want %#v, what %s %d returned",
				i, got, want(i), what, i)
		}
	}
	if wrong > most {
		t.Errorf("... and %d more wrong results, of %d", wrong-most, n)
	}
}

// A probe is an instrumented task for Compute. Task i counts its call,
// sleeps took(i) of fake time (it stands for computing that long), and
// returns square(i). It records the most tasks in progress at once.
type probe struct {
	took    func(i int) time.Duration
	tasks   gauge
	started atomic.Int64
	calls   []atomic.Int64 // calls[i]: times task i was called
}

func newProbe(n int, took func(i int) time.Duration) *probe {
	return &probe{took: took, calls: make([]atomic.Int64, n)}
}

func (p *probe) task(i int) int {
	p.started.Add(1)
	p.calls[i].Add(1)
	p.tasks.enter()
	defer p.tasks.leave()
	time.Sleep(p.took(i))
	return square(i)
}

func oneSecond(int) time.Duration { return time.Second }

// rounds is how long n tasks of 1s take on p threads: ⌈n/p⌉ seconds.
func rounds(n, p int) time.Duration {
	return time.Duration((n+p-1)/p) * time.Second
}

// TestComputeReturnsEveryResult runs Compute in real time, on tasks that
// compute and return at once, for awkward numbers of tasks: none, one,
// fewer than GOMAXPROCS, exactly GOMAXPROCS, one more, and many that
// GOMAXPROCS does not divide. Every task must be called once, and its
// result must be at its index.
func TestComputeReturnsEveryResult(t *testing.T) {
	for _, procs := range []int{1, 3} {
		for _, n := range []int{0, 1, 2, 3, 4, 7, 1000} {
			t.Run(fmt.Sprintf("GOMAXPROCS=%d/tasks=%d", procs, n), func(t *testing.T) {
				setGOMAXPROCS(t, procs)
				calls := make([]atomic.Int64, n)
				results, err := Compute(t.Context(), n, func(i int) int {
					calls[i].Add(1)
					return square(i)
				})
				require.NoError(t, err)
				checkResults(t, "task", n, results, square, calls)
			})
		}
	}
}

// TestComputeResultsInInputOrder makes the later tasks quicker, so that
// the calls finish in reverse order: results[i] must still be task i's.
func TestComputeResultsInInputOrder(t *testing.T) {
	for _, procs := range []int{2, 3} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			setGOMAXPROCS(t, procs)
			synctest.Test(t, func(t *testing.T) {
				const n = 7
				p := newProbe(n, func(i int) time.Duration {
					return time.Duration(n-i) * time.Second
				})
				results, err := Compute(t.Context(), n, p.task)
				require.NoError(t, err)
				checkResults(t, "task", n, results, square, p.calls)
			})
		})
	}
}

// TestComputeAtMostGOMAXPROCSAtOnce checks that Compute never has more
// tasks in progress than GOMAXPROCS, and does not park a goroutine per
// task either: more goroutines than threads would only take turns on the
// threads, at the cost of their memory.
//
// It counts Compute's goroutines at 0.5s, in the middle of the first
// round of tasks, when none has ended yet: as many as there are threads
// (or tasks), and perhaps one more that hands the tasks out, not one per
// task. (runtime.NumGoroutine counts every goroutine of the process, so
// we take away those there were before the call, and the one that
// time.AfterFunc starts to count.)
func TestComputeAtMostGOMAXPROCSAtOnce(t *testing.T) {
	tests := []struct{ procs, n int }{{1, 5}, {2, 10}, {3, 7}, {2, 100}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d/tasks=%d", tt.procs, tt.n), func(t *testing.T) {
			setGOMAXPROCS(t, tt.procs)
			synctest.Test(t, func(t *testing.T) {
				p := newProbe(tt.n, oneSecond)
				var goroutines atomic.Int64 // Compute's, at 0.5s
				before := runtime.NumGoroutine()
				time.AfterFunc(500*time.Millisecond, func() {
					goroutines.Store(int64(runtime.NumGoroutine() - before - 1))
				})
				results, err := Compute(t.Context(), tt.n, p.task)
				require.NoError(t, err)

				peak := p.tasks.peak.Load()
				assert.LessOrEqual(t, peak, int64(tt.procs),
					"saw %d tasks running at once with GOMAXPROCS=%d; "+
						"want at most %d", peak, tt.procs, tt.procs)
				most := int64(min(tt.procs, tt.n) + 1)
				assert.LessOrEqual(t, goroutines.Load(), most,
					"Compute had %d goroutines at 0.5s, for %d tasks with "+
						"GOMAXPROCS=%d; want at most %d: a worker per thread, "+
						"each taking task after task, and perhaps one that "+
						"hands the tasks out, not a goroutine per task",
					goroutines.Load(), tt.n, tt.procs, most)
				checkResults(t, "task", tt.n, results, square, p.calls)
			})
		})
	}
}

// TestComputeKeepsEveryThreadBusy checks that Compute does use every
// thread: n tasks of 1s with GOMAXPROCS=p must have min(n, p) in progress
// at once, and take exactly ⌈n/p⌉ seconds, not n seconds one after
// another. The last row is one more than the machine's number of CPUs, so
// that a Compute that counts CPUs in place of reading GOMAXPROCS fails on
// any machine.
func TestComputeKeepsEveryThreadBusy(t *testing.T) {
	more := runtime.NumCPU() + 1
	tests := []struct{ procs, n int }{
		{2, 2}, {2, 7}, {3, 10}, {4, 3}, {more, 2*more + 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d/tasks=%d", tt.procs, tt.n), func(t *testing.T) {
			setGOMAXPROCS(t, tt.procs)
			synctest.Test(t, func(t *testing.T) {
				p := newProbe(tt.n, oneSecond)
				begin := time.Now()
				results, err := Compute(t.Context(), tt.n, p.task)
				require.NoError(t, err)
				took := time.Since(begin)
				want := min(tt.n, tt.procs)
				peak := p.tasks.peak.Load()
				assert.Equal(t, int64(want), peak,
					"%d tasks with GOMAXPROCS=%d: at most %d ran at once; "+
						"want %d, so that no thread idles",
					tt.n, tt.procs, peak, want)
				assert.Equal(t, rounds(tt.n, tt.procs), took,
					"%d tasks of 1s with GOMAXPROCS=%d took %v; want %v, "+
						"%d at a time", tt.n, tt.procs, took,
					rounds(tt.n, tt.procs), want)
				checkResults(t, "task", tt.n, results, square, p.calls)
			})
		})
	}
}

// TestComputeStopsStartingWhenCancelled cancels ctx at 1.5s, while the
// second round of 10 tasks of 1s runs with GOMAXPROCS=2. The two tasks in
// progress run to their end, at 2s; then Compute must return nil and
// context.Canceled, having started no task after the cancel (4 in all)
// and left none running.
func TestComputeStopsStartingWhenCancelled(t *testing.T) {
	setGOMAXPROCS(t, 2)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1500*time.Millisecond, cancel)
		p := newProbe(10, oneSecond)
		begin := time.Now()
		results, err := Compute(ctx, 10, p.task)
		took := time.Since(begin)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, results, "the results, with an error")
		running := p.tasks.now.Load()
		assert.Zero(t, running, "%d tasks were still running when Compute "+
			"returned; want none", running)
		started := p.started.Load()
		assert.Equal(t, int64(4), started, "Compute started %d tasks; want 4: "+
			"2 at 0s, 2 at 1s, and none after the cancel at 1.5s", started)
		assert.Equal(t, 2*time.Second, took, "Compute returned at %v; want 2s, "+
			"when the tasks in progress at the cancel had finished", took)
	})
}

// TestComputeCancelledBeforeTheStart checks that with ctx already done,
// Compute calls no task and returns ctx.Err() at once.
func TestComputeCancelledBeforeTheStart(t *testing.T) {
	setGOMAXPROCS(t, 2)
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p := newProbe(5, oneSecond)
		begin := time.Now()
		results, err := Compute(ctx, 5, p.task)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, results, "the results, with an error")
		started := p.started.Load()
		assert.Zero(t, started, "Compute started %d tasks with ctx already "+
			"done; want none", started)
		assert.Zero(t, time.Since(begin), "Compute with ctx already done waited")
	})
}

// A fetcher is an instrumented fetch for Fetch. Call i counts its call
// and waits took(i) of fake time (it stands for a network call), unless
// its ctx is done first; then it returns page(i), or errs[i] if that is
// not nil. Once its ctx is done, a call takes stopTakes to return
// (closing a connection, say), and returns ctx.Err(). It records, as
// durations since begin, when each call started and when it saw its ctx
// done (-1: never).
type fetcher struct {
	begin     time.Time
	took      func(i int) time.Duration
	errs      map[int]error // read only, once Fetch is called
	stopTakes time.Duration

	fetches   gauge
	calls     []atomic.Int64 // calls[i]: times fetch i was called
	startedAt []atomic.Int64 // a time.Duration
	doneAt    []atomic.Int64 // a time.Duration
}

func newFetcher(n int, took func(i int) time.Duration) *fetcher {
	f := &fetcher{begin: time.Now(), took: took, calls: make([]atomic.Int64, n),
		startedAt: make([]atomic.Int64, n), doneAt: make([]atomic.Int64, n)}
	for i := range n {
		f.startedAt[i].Store(-1)
		f.doneAt[i].Store(-1)
	}
	return f
}

func (f *fetcher) fetch(ctx context.Context, i int) (string, error) {
	f.calls[i].Add(1)
	f.startedAt[i].Store(int64(time.Since(f.begin)))
	f.fetches.enter()
	defer f.fetches.leave()
	timer := time.NewTimer(f.took(i))
	defer timer.Stop()
	select {
	case <-timer.C: // the answer came
	case <-ctx.Done(): // cancelled: give up, which takes stopTakes
		f.doneAt[i].Store(int64(time.Since(f.begin)))
		time.Sleep(f.stopTakes)
		return "", ctx.Err()
	}
	if err := f.errs[i]; err != nil {
		return "", err
	}
	return page(i), nil
}

// done returns when fetch i saw its ctx done, since begin, or -1 if it
// never did.
func (f *fetcher) done(i int) time.Duration { return time.Duration(f.doneAt[i].Load()) }

// when says a moment that done returned in words: "at 2s", or "never".
func when(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return "at " + d.String()
}

// TestFetchReturnsEveryResultInOrder makes the later fetches quicker, so
// that they finish in reverse order: results[i] must still be fetch i's,
// for any number of fetches.
func TestFetchReturnsEveryResultInOrder(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100} {
		t.Run(fmt.Sprintf("fetches=%d", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFetcher(n, func(i int) time.Duration {
					return time.Duration(n-i) * time.Second
				})
				results, err := Fetch(t.Context(), n, f.fetch)
				require.NoError(t, err)
				checkResults(t, "fetch", n, results, page, f.calls)
			})
		})
	}
}

// TestFetchOverlapsTheWaits gives Fetch 100 fetches that each wait 1s.
// They must all start at once and take exactly 1s in all, not 100s one
// after another, nor 100/GOMAXPROCS seconds a few at a time: a goroutine
// that waits holds no thread, so GOMAXPROCS=1 is no limit on waits.
func TestFetchOverlapsTheWaits(t *testing.T) {
	const n = 100
	for _, procs := range []int{1, 2} {
		t.Run(fmt.Sprintf("GOMAXPROCS=%d", procs), func(t *testing.T) {
			setGOMAXPROCS(t, procs)
			synctest.Test(t, func(t *testing.T) {
				f := newFetcher(n, oneSecond)
				results, err := Fetch(t.Context(), n, f.fetch)
				took := time.Since(f.begin)
				require.NoError(t, err)
				assert.Equal(t, time.Second, took,
					"%d fetches that wait 1s each, with GOMAXPROCS=%d, took %v; "+
						"want 1s, all waiting at the same time", n, procs, took)
				peak := f.fetches.peak.Load()
				assert.Equal(t, int64(n), peak,
					"saw at most %d fetches waiting at once; want all %d", peak, n)
				late := 0
				for i := range n {
					if f.startedAt[i].Load() != 0 {
						late++
					}
				}
				assert.Zero(t, late, "%d fetches started after 0s; "+
					"want all %d to start at once", late, n)
				checkResults(t, "fetch", n, results, page, f.calls)
			})
		})
	}
}

// TestFetchFirstErrorCancelsTheRest gives Fetch a fetch that fails at 2s,
// one that has succeeded at 1s, and two slow ones, one of which takes
// 500ms to stop once cancelled. The slow ones must see their ctx done at
// exactly 2s, and Fetch must return the error at exactly 2.5s, when the
// last fetch has returned: not at 2s, leaving a fetch still running, and
// not at 1h, when the slow fetches would end.
func TestFetchFirstErrorCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errBoom := errors.New("boom")
		f := newFetcher(4, func(i int) time.Duration {
			return []time.Duration{time.Second, time.Hour, 2 * time.Second,
				time.Hour}[i]
		})
		f.errs = map[int]error{2: errBoom}
		f.stopTakes = 500 * time.Millisecond
		results, err := Fetch(t.Context(), 4, f.fetch)
		returned := time.Since(f.begin)

		require.Error(t, err)
		assert.ErrorIs(t, err, errBoom,
			"want the first error, not a cancelled fetch's context.Canceled")
		assert.Contains(t, err.Error(), "fetch 2", "the error names the fetch")
		assert.Nil(t, results, "the results, with an error")
		for _, i := range []int{1, 3} {
			done := f.done(i)
			assert.Equal(t, 2*time.Second, done, "slow fetch %d saw its ctx "+
				"done: %s; want at 2s, the moment fetch 2 failed", i, when(done))
		}
		assert.Equal(t, time.Duration(-1), f.done(0), "fetch 0, which "+
			"succeeds at 1s, saw its ctx done while it was still waiting")
		running := f.fetches.now.Load()
		assert.Zero(t, running, "%d fetches were still running when Fetch "+
			"returned; want none", running)
		assert.Equal(t, 2500*time.Millisecond, returned, "Fetch returned at "+
			"%v; want 2.5s: cancelled at 2s, the slow fetches take 500ms "+
			"to stop, and Fetch waits for them", returned)
	})
}

// TestFetchTwoErrorsAtOnce makes two fetches fail at the same moment, 1s,
// whatever their ctx, while two others wait for an hour unless cancelled.
// Fetch must return one of the two errors, at 1s. Under the race detector
// it also checks that the first error is kept safely: two goroutines that
// both check and set one shared variable, with no lock, race.
func TestFetchTwoErrorsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errs := map[int]error{1: errors.New("disk full"), 3: errors.New("timeout")}
		f := newFetcher(4, func(int) time.Duration { return time.Hour })
		failing := func(ctx context.Context, i int) (string, error) {
			if err := errs[i]; err != nil {
				time.Sleep(time.Second) // fails at 1s, cancelled or not
				return "", err
			}
			return f.fetch(ctx, i)
		}
		results, err := Fetch(t.Context(), 4, failing)
		took := time.Since(f.begin)
		assert.Nil(t, results, "the results, with an error")
		assert.Equal(t, time.Second, took, "Fetch returned at %v; want 1s, "+
			"when the errors came", took)
		switch {
		case errors.Is(err, errs[1]):
			assert.Contains(t, err.Error(), "fetch 1", "the error names the fetch")
		case errors.Is(err, errs[3]):
			assert.Contains(t, err.Error(), "fetch 3", "the error names the fetch")
		default:
			t.Errorf("Fetch returned error %v; want the error of fetch 1 or "+
				"of fetch 3, which both failed at 1s", err)
		}
	})
}

// TestFetchStopsWhenCancelled cancels ctx at 1s, while 10 fetches wait
// for an hour: every fetch must see its ctx done at 1s, and Fetch must
// return nil and context.Canceled at that very moment, with no fetch left
// running.
func TestFetchStopsWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(time.Second, cancel)
		f := newFetcher(10, func(int) time.Duration { return time.Hour })
		results, err := Fetch(ctx, 10, f.fetch)
		took := time.Since(f.begin)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, results, "the results, with an error")
		assert.Equal(t, time.Second, took, "Fetch returned at %v; want 1s, "+
			"the moment ctx was cancelled", took)
		running := f.fetches.now.Load()
		assert.Zero(t, running, "%d fetches were still running when Fetch "+
			"returned; want none", running)
		for i := range 10 {
			done := f.done(i)
			assert.Equal(t, time.Second, done, "fetch %d saw its ctx done: "+
				"%s; want at 1s", i, when(done))
		}
	})
}

// TestFetchCancelledBeforeTheStart checks that with ctx already done,
// Fetch calls no fetch and returns ctx.Err() at once.
func TestFetchCancelledBeforeTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		f := newFetcher(5, oneSecond)
		results, err := Fetch(ctx, 5, f.fetch)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, results, "the results, with an error")
		called := 0
		for i := range 5 {
			called += int(f.calls[i].Load())
		}
		assert.Zero(t, called, "Fetch called fetch %d times with ctx already "+
			"done; want none", called)
		assert.Zero(t, time.Since(f.begin), "Fetch with ctx already done waited")
	})
}

// TestNegativeNPanics checks that a negative number of tasks or fetches
// is reported as the caller's bug.
func TestNegativeNPanics(t *testing.T) {
	assert.PanicsWithValue(t, "parallelism: n is negative", func() {
		_, _ = Compute(t.Context(), -1, square)
	}, "Compute with n = -1")
	assert.PanicsWithValue(t, "parallelism: n is negative", func() {
		_, _ = Fetch(t.Context(), -1, func(context.Context, int) (string, error) {
			return "", nil
		})
	}, "Fetch with n = -1")
}
