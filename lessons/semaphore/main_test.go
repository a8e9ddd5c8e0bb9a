package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/sync/semaphore"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no sleep, so that it is instant: with
// nothing to wait for, every download starts and is done within the first
// tenth of a second, and the timeline is a single moment. Every line is
// always the same.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-downloads", "5", "-limit", "2", "-sleep", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 5 downloads, at most 2 at once; each one waits 0s (simulated I/O)
	//
	// 1. a channel of 2 tokens: sem <- struct{}{} acquires, <-sem releases
	//   0s: start 1 2 3 4 5; done 1 2 3 4 5; 0 in flight
	//   5 downloads in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 2. semaphore.NewWeighted(2): Acquire(ctx, 1), then Release(1)
	//   0s: start 1 2 3 4 5; done 1 2 3 4 5; 0 in flight
	//   5 downloads in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 3. errgroup.Group with SetLimit(2): Go waits for a free slot
	//   0s: start 1 2 3 4 5; done 1 2 3 4 5; 0 in flight
	//   5 downloads in 0s, never more than 2 at once (one at a time: 0s)
	//
	// 4. semaphore.NewWeighted(3): weights, TryAcquire, and an Acquire that gives up
	//   Acquire(ctx, 2): ok, 2 of 3 held
	//   TryAcquire(2): false at once, only 1 free
	//   Acquire(ctx, 2) with a 0s timeout: context deadline exceeded after 0s
	//   TryAcquire(1): true, so the failed Acquire took nothing; 3 of 3 held
	//   Release(3): 0 of 3 held
	//
	// 5. One release too many (Python's BoundedSemaphore raises ValueError)
	//   channel, nothing held: no token to take, so <-sem would block forever
	//   Weighted, nothing held: Release(1) panics: semaphore: released more than held
	//
	// 6. errgroup.Group with SetLimit(3): TryGo
	//   3 running: TryGo: false, it never waits
	//   after Wait: TryGo: true
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line: each way takes 4 rounds of 1s, and the Acquire that gives up waits
// 1s more.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 3*4*time.Second+time.Second, time.Since(begin),
			"want 4s for each of the three ways, then the 1s timeout")
		assert.Equal(t, want, out.String())
	})
}

// ways are the three limiters, as the tests name them.
var ways = []struct {
	name  string
	limit limiter
}{
	{"channel", withChannel},
	{"weighted", withWeighted},
	{"errgroup", withErrgroup},
}

// A probe is a task that sleeps for its download and records, with
// atomics, how many tasks run at once (and the most there ever were) and
// how many times each id ran.
type probe struct {
	sleep    time.Duration
	inFlight atomic.Int64
	peak     atomic.Int64
	ran      []atomic.Int64 // ran[id-1]: how many times task id ran
}

func newProbe(n int, sleep time.Duration) *probe {
	return &probe{sleep: sleep, ran: make([]atomic.Int64, n)}
}

func (p *probe) task(ctx context.Context, id int) {
	p.ran[id-1].Add(1)
	now := p.inFlight.Add(1)
	for peak := p.peak.Load(); now > peak; peak = p.peak.Load() {
		if p.peak.CompareAndSwap(peak, now) {
			break
		}
	}
	_ = sleep(ctx, p.sleep)
	p.inFlight.Add(-1)
}

// started counts the tasks that ran at least once.
func (p *probe) started() int {
	n := 0
	for i := range p.ran {
		if p.ran[i].Load() > 0 {
			n++
		}
	}
	return n
}

// TestEachWayLimitsConcurrency checks the lesson's main claim for each of
// the three ways: never more than limit downloads at once, and all the
// limit allows, so that n downloads of 1s take exactly ceil(n/limit)
// seconds of fake time, each download running exactly once.
func TestEachWayLimitsConcurrency(t *testing.T) {
	tests := []struct {
		n, limit int
		want     time.Duration // ceil(n/limit) rounds of 1s
	}{
		{10, 3, 4 * time.Second},
		{9, 3, 3 * time.Second},
		{10, 1, 10 * time.Second},
		{3, 5, time.Second},
		{100, 100, time.Second},
	}
	for _, way := range ways {
		for _, tt := range tests {
			name := fmt.Sprintf("%s/n=%d/limit=%d", way.name, tt.n, tt.limit)
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := newProbe(tt.n, time.Second)
					begin := time.Now()
					require.NoError(t, way.limit(t.Context(), tt.n, tt.limit, p.task))
					assert.Equal(t, tt.want, time.Since(begin),
						"%d downloads of 1s, at most %d at once", tt.n, tt.limit)
					assert.Equal(t, int64(min(tt.n, tt.limit)), p.peak.Load(),
						"most downloads in flight at once")
					for id := 1; id <= tt.n; id++ {
						assert.Equal(t, int64(1), p.ran[id-1].Load(),
							"times download %d ran", id)
					}
				})
			})
		}
	}
}

// TestEachWayStopsWaitingWhenCtxIsDone cancels ctx while the fourth to
// sixth downloads run and the loop waits for a slot for the seventh. Each
// way must return ctx.Err() at that very moment, having joined every
// download. The channel's select and Acquire give up their wait when ctx
// is done; errgroup's Go cannot, so it starts download 7 as soon as a
// cancelled download frees a slot, and download 7 returns at once.
func TestEachWayStopsWaitingWhenCtxIsDone(t *testing.T) {
	wantStarted := map[string]int{"channel": 6, "weighted": 6, "errgroup": 7}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				const cancelAt = 1500 * time.Millisecond
				time.AfterFunc(cancelAt, cancel)
				p := newProbe(10, time.Second)
				begin := time.Now()
				err := way.limit(ctx, 10, 3, p.task)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, cancelAt, time.Since(begin),
					"returned after; want the moment ctx was cancelled")
				assert.Equal(t, wantStarted[way.name], p.started(),
					"downloads started")
				assert.Zero(t, p.inFlight.Load(), "downloads still in flight")
			})
		})
	}
}

// TestRunStopsWhenCtxIsDone cancels the context (as Ctrl-C does) while the
// first way's downloads run, and while the Acquire with a timeout waits.
// run must return ctx.Err() at that very moment, and print nothing after.
func TestRunStopsWhenCtxIsDone(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		lastLine string // the last line printed
	}{
		{"during the downloads", 1500 * time.Millisecond,
			"1. a channel of 3 tokens: sem <- struct{}{} acquires, <-sem releases"},
		{"during the Acquire that gives up", 12*time.Second + 500*time.Millisecond,
			"  TryAcquire(2): false at once, only 1 free"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(tt.cancelAt, cancel)
				var out bytes.Buffer
				begin := time.Now()
				err := run(ctx, &out, nil)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(begin),
					"run returned late: does something ignore ctx?")
				lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
				assert.Equal(t, tt.lastLine, lines[len(lines)-1], "last line printed")
			})
		})
	}
}

// TestWeightedAcquireThatGivesUpTakesNothing checks what section 4 shows:
// an Acquire that cannot get its units returns ctx.Err() at the moment ctx
// is done, and leaves the semaphore as it was.
func TestWeightedAcquireThatGivesUpTakesNothing(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"timeout", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, time.Second)
		}, context.DeadlineExceeded},
		{"cancel", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(time.Second, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				sem := semaphore.NewWeighted(3)
				require.NoError(t, sem.Acquire(t.Context(), 2))
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				begin := time.Now()
				err := sem.Acquire(ctx, 2)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, time.Second, time.Since(begin), "Acquire gave up after")
				assert.True(t, sem.TryAcquire(1), "the unit left free before the Acquire")
				assert.False(t, sem.TryAcquire(1), "a unit more than the size")
				sem.Release(3)
			})
		})
	}
}

// TestWeightedServesWaitersInOrder checks the claim that a waiting Acquire
// holds up the requests behind it: while Acquire(ctx, 2) waits, a free
// unit does not go to TryAcquire(1).
func TestWeightedServesWaitersInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sem := semaphore.NewWeighted(3)
		require.NoError(t, sem.Acquire(t.Context(), 2))
		acquired := make(chan error, 1) // the waiter's result; buffered so it never waits
		go func() { acquired <- sem.Acquire(t.Context(), 2) }()
		synctest.Wait() // the waiter is now waiting in Acquire
		assert.False(t, sem.TryAcquire(1),
			"TryAcquire(1) with 1 of 3 free while Acquire(ctx, 2) waits")
		sem.Release(2)
		require.NoError(t, <-acquired, "the waiter, once 2 units were released")
		assert.True(t, sem.TryAcquire(1), "the unit left after the waiter took 2")
		sem.Release(3)
	})
}

// TestWeightedAcquireOfMoreThanTheSizeWaitsForCtx checks the pitfall: an
// Acquire of more than the size can never succeed, so it waits until ctx
// is done, even on an idle semaphore.
func TestWeightedAcquireOfMoreThanTheSizeWaitsForCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sem := semaphore.NewWeighted(3)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		begin := time.Now()
		assert.ErrorIs(t, sem.Acquire(ctx, 4), context.DeadlineExceeded)
		assert.Equal(t, time.Minute, time.Since(begin), "Acquire(ctx, 4) of 3 gave up after")
		assert.True(t, sem.TryAcquire(3), "the whole semaphore, after that")
	})
}

// TestSecondSlotWhileHoldingOneDeadlocks checks the pitfall: with a limit
// of 2, two tasks that each hold a slot and then ask for a second one wait
// for each other, here until their ctx gives up after a minute.
func TestSecondSlotWhileHoldingOneDeadlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sem := semaphore.NewWeighted(2)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		begin := time.Now()
		var holding sync.WaitGroup // both tasks hold a slot before either asks again
		holding.Add(2)
		errs := make([]error, 2) // errs[i]: task i's second Acquire
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				if err := sem.Acquire(ctx, 1); err != nil {
					holding.Done()
					errs[i] = fmt.Errorf("first Acquire: %w", err)
					return
				}
				defer sem.Release(1)
				holding.Done()
				holding.Wait()
				if errs[i] = sem.Acquire(ctx, 1); errs[i] == nil {
					sem.Release(1)
				}
			})
		}
		wg.Wait()
		for i, err := range errs {
			assert.ErrorIs(t, err, context.DeadlineExceeded, "task %d", i)
		}
		assert.Equal(t, time.Minute, time.Since(begin), "the tasks gave up after")
	})
}

// TestOneReleaseTooMany checks section 5 without hanging: a release with
// nothing held finds no token in the channel, and makes Weighted panic.
func TestOneReleaseTooMany(t *testing.T) {
	tokens := make(chan struct{}, 3)
	assert.False(t, tryRelease(tokens), "tryRelease with nothing held")
	tokens <- struct{}{}
	assert.True(t, tryRelease(tokens), "tryRelease with one token held")
	assert.Zero(t, len(tokens), "tokens left after releasing the one held")

	err := releaseOneTooMany(semaphore.NewWeighted(3))
	assert.EqualError(t, err, "semaphore: released more than held")
	sem := semaphore.NewWeighted(3)
	require.NoError(t, sem.Acquire(t.Context(), 1))
	assert.NoError(t, releaseOneTooMany(sem), "releasing the one unit held")
}

// TestExtraReleaseShowsUpElsewhere checks the pitfall that a semaphore is
// a count and knows nothing of who holds it: when a holds one slot and b
// another, a releasing twice goes unnoticed, and the trouble falls on b.
func TestExtraReleaseShowsUpElsewhere(t *testing.T) {
	t.Run("channel", func(t *testing.T) {
		tokens := make(chan struct{}, 3)
		tokens <- struct{}{} // a acquires
		tokens <- struct{}{} // b acquires
		assert.True(t, tryRelease(tokens), "a releases")
		assert.True(t, tryRelease(tokens), "a releases again: it takes b's token")
		assert.False(t, tryRelease(tokens), "b releases: <-sem would block forever")
	})
	t.Run("weighted", func(t *testing.T) {
		sem := semaphore.NewWeighted(3)
		require.NoError(t, sem.Acquire(t.Context(), 1)) // a
		require.NoError(t, sem.Acquire(t.Context(), 1)) // b
		assert.NoError(t, releaseOneTooMany(sem), "a releases")
		assert.NoError(t, releaseOneTooMany(sem), "a releases again: no panic")
		assert.EqualError(t, releaseOneTooMany(sem),
			"semaphore: released more than held", "b releases")
	})
}

// TestTryGo checks section 6: TryGo reports false at once while the group
// is full, and true once a slot is free.
func TestTryGo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, tryGo(t.Context(), &out, 2))
		assert.Equal(t, time.Duration(0), time.Since(begin), "tryGo took")
		assert.Equal(t, "  2 running: TryGo: false, it never waits\n"+
			"  after Wait: TryGo: true\n", out.String())
	})
}

// TestTrackerReportsABrokenLimit checks that the summary line would not
// claim a limit that did not hold.
func TestTrackerReportsABrokenLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tr := newTracker(100 * time.Millisecond)
		tr.start(1)
		tr.start(2)
		time.Sleep(time.Second)
		tr.done(1)
		tr.done(2)
		var out bytes.Buffer
		tr.print(&out, 2, 1, time.Second)
		assert.Equal(t, "  0s: start 1 2; 2 in flight\n"+
			"  1s: done 1 2; 0 in flight\n"+
			"  2 downloads in 1s, but 2 at once: the limit of 1 did not hold!\n",
			out.String())
	})
}

// TestTrackerCountsConcurrentEvents records from many goroutines at once:
// the tracker's lock must keep every event and the count exact. (Run with
// -race.)
func TestTrackerCountsConcurrentEvents(t *testing.T) {
	tr := newTracker(time.Hour) // every event in one moment
	var wg sync.WaitGroup
	for id := 1; id <= 50; id++ {
		wg.Go(func() {
			tr.start(id)
			tr.done(id)
		})
	}
	wg.Wait()
	var out bytes.Buffer
	tr.print(&out, 50, 50, 0)
	assert.Contains(t, out.String(), "; 0 in flight\n")
	assert.Len(t, tr.events, 0, "print consumes the events")
	assert.Contains(t, out.String(), "50 downloads in 0s, never more than 50 at once")
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-downloads", "0"}, "-downloads must be from 1 to 1000, got 0"},
		{[]string{"-downloads", "1001"}, "-downloads must be from 1 to 1000, got 1001"},
		{[]string{"-limit", "0"}, "-limit must be at least 1, got 0"},
		{[]string{"-limit", "-2"}, "-limit must be at least 1, got -2"},
		{[]string{"-sleep", "-1s"}, "-sleep must not be negative, got -1s"},
		{[]string{"-sleep", "3"}, `invalid value "3" for flag -sleep`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
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
	for _, name := range []string{"-downloads", "-limit", "-sleep"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart, which never has more bars at once than -limit, and whose
// work/wall ratio is the speedup over one download at a time. With the
// default flags the chart is also compared with
// testdata/semaphore-timeline.golden (go test -update rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		args       []string
		wantAtOnce string
		wantWall   string
	}{
		{nil, "at most 3 at once (first at 0s)",
			"wall 12s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 2.50x"},
		{[]string{"-limit", "1"}, "at most 1 at once (first at 0s)",
			"wall 30s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 1.00x"},
		{[]string{"-limit", "10"}, "at most 10 at once (first at 0s)",
			"wall 3s (first start to last end), work 30s (30 spans)\n" +
				"work/wall 10.00x"},
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
				for id := 1; id <= 10; id++ {
					assert.Contains(t, chart, fmt.Sprintf("\ndownload %d ", id))
				}
				if tt.args == nil {
					timelinetest.Golden(t, "semaphore-timeline", chart)
				}
			})
		})
	}
}

// TestTraceFlag runs the lesson with -trace (and no sleep, so that it
// takes no time) and checks the file: a Go execution trace in which, as
// go tool trace -d=parsed shows, the run is a task named semaphore and
// each download a region of that task named after its row, with the way
// logged as its label. The lesson's output is unchanged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-downloads", "4", "-limit", "2", "-sleep", "0"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, plain.String(), out.String(), "-trace alone prints nothing more")
	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "semaphore")
	for n := 1; n <= 4; n++ {
		tr.AssertRegions(t, id, fmt.Sprintf("download %d", n))
	}
	tr.AssertLabels(t, id, "channel", "weighted", "errgroup")
}
