package event

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Tests that measure time run inside synctest.Test, where time is fake and
// exact: a gate opened at 3s releases its waiters at exactly 3s. The tests
// that look for data races run outside it, with real goroutines and no
// sleeps, so that the race detector sees only the synchronization the Gate
// provides.
//
// A test whose waiters may never be released (because Open woke only one
// of them, say) ends them itself, by cancelling their ctx or letting their
// timeout pass, so that it fails with a message instead of a deadlock.
// The one exception is a goroutine that WaitTimeout leaves blocked behind
// it: synctest then panics ("blocked goroutines remain"), which ends the
// test binary. TestWaitTimeoutLeavesNothingBehind runs first, to report
// such a goroutine with a message.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// justAfter is how long after a round time the tests open their gates. A
// gate that polls a flag with time.Sleep looks at round times (every 1ms,
// 10ms or 1s after it starts waiting): it looks just before the gate
// opens, and sees it open only one interval later. A gate that wakes its
// waiters releases them at exactly the moment it opens.
const justAfter = time.Nanosecond

// TestWaitTimeoutLeavesNothingBehind checks that Wait and WaitTimeout
// leave no goroutine running when they give up.
func TestWaitTimeoutLeavesNothingBehind(t *testing.T) {
	g := mustNewGate(t)
	for range 10 {
		assert.False(t, g.WaitTimeout(0), "WaitTimeout(0) on a closed gate")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.ErrorIs(t, g.Wait(ctx), context.Canceled, "Wait with a cancelled ctx")
	goleak.VerifyNone(t)
}

// TestWaitsLeaveNothingBehindWhenTheyGiveUp checks that a Wait whose ctx
// is cancelled while it waits, and a WaitTimeout whose time runs out,
// leave no goroutine behind: one left waiting for the gate would wait
// until it opens, and for good if it never does. We open the gate once we
// have looked, which ends such a goroutine, if it only waits for the
// gate, so that the test reports it rather than synctest panicking.
func TestWaitsLeaveNothingBehindWhenTheyGiveUp(t *testing.T) {
	waits := []struct {
		name string
		wait func(ctx context.Context, g *Gate) bool // reports the gate open
	}{
		{"Wait cancelled at 1s", func(ctx context.Context, g *Gate) bool {
			return g.Wait(ctx) == nil
		}},
		{"WaitTimeout(1s)", func(_ context.Context, g *Gate) bool {
			return g.WaitTimeout(time.Second)
		}},
	}
	for _, w := range waits {
		t.Run(w.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := mustNewGate(t)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(time.Second, cancel)
				before := goleak.IgnoreCurrent()
				opened := w.wait(ctx, g)
				synctest.Wait() // what the wait left behind has done all it can
				leaked := goleak.Find(before)
				g.Open()
				synctest.Wait()
				assert.False(t, opened, "%s on a gate that stays closed "+
					"reported it open", w.name)
				assert.NoError(t, leaked, "goroutines left behind by %s, "+
					"still waiting for a gate that may never open; a wait "+
					"that gives up must leave nothing running (select on the "+
					"gate's channel in the calling goroutine)", w.name)
			})
		})
	}
}

// TestOpenReleasesEveryWaiterAtOnce checks that waiters block until Open,
// and that one Open releases every one of them, Wait and WaitTimeout
// alike, at the very moment it is called.
func TestOpenReleasesEveryWaiterAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustNewGate(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		begin := time.Now()
		waiters := make([]*waiter, 10)
		for i := range waiters {
			if i%2 == 0 {
				waiters[i] = startWaiter(begin, "Wait",
					func() bool { return g.Wait(ctx) == nil })
			} else {
				waiters[i] = startWaiter(begin, "WaitTimeout(1h)",
					func() bool { return g.WaitTimeout(time.Hour) })
			}
		}

		openAt := 3*time.Second + justAfter
		time.Sleep(openAt)
		synctest.Wait() // every waiter is blocked, or has returned
		for i, w := range waiters {
			assert.False(t, w.returned(), "waiter %d (%s) returned before Open", i, w.how)
		}

		g.Open()
		time.Sleep(time.Second)
		synctest.Wait()
		blocked := 0
		for i, w := range waiters {
			if !w.returned() {
				blocked++
				continue
			}
			assert.True(t, w.ok, "waiter %d (%s) did not report the gate open", i, w.how)
			assert.Equal(t, openAt, w.at,
				"waiter %d (%s) returned after; want the moment of Open", i, w.how)
		}
		assert.Zero(t, blocked, "%d of %d waiters still blocked 1s after Open: "+
			"Open must release every waiter, not only one", blocked, len(waiters))

		// We end any wait still blocked: Wait by its ctx, WaitTimeout by
		// its hour.
		cancel()
		time.Sleep(time.Hour)
		for _, w := range waiters {
			<-w.done
		}
	})
}

// TestWaitersAfterOpenPassAtOnce checks that once the gate is open, every
// wait returns at once, again and again.
func TestWaitersAfterOpenPassAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := mustNewGate(t)
		g.Open()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		begin := time.Now()
		for i := range 3 {
			require.NoError(t, g.Wait(ctx), "Wait number %d after Open", i+1)
			require.True(t, g.WaitTimeout(time.Hour), "WaitTimeout number %d after Open", i+1)
		}
		assert.Equal(t, time.Duration(0), time.Since(begin),
			"waits on an open gate took this long; want no wait at all")
	})
}

// TestWaitTimeout checks that WaitTimeout reports false at exactly d when
// the gate stays closed, and true at exactly the moment of Open when Open
// comes first.
func TestWaitTimeout(t *testing.T) {
	const before = time.Duration(0) // opened before WaitTimeout is called
	const never = time.Duration(-1) // not opened
	tests := []struct {
		name   string
		openAt time.Duration
		d      time.Duration
		want   bool          // what WaitTimeout reports
		wantAt time.Duration // when it returns
	}{
		{"never opened", never, 2 * time.Second, false, 2 * time.Second},
		{"opened before d", time.Second + justAfter, 5 * time.Second,
			true, time.Second + justAfter},
		{"opened after d", 3*time.Second + justAfter, 2 * time.Second,
			false, 2 * time.Second},
		{"d is zero", never, 0, false, 0},
		{"d is negative", never, -time.Second, false, 0},
		{"already open", before, 5 * time.Second, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := mustNewGate(t)
				var opener sync.WaitGroup
				switch tt.openAt {
				case before:
					g.Open()
				case never:
				default:
					opener.Go(func() {
						time.Sleep(tt.openAt)
						g.Open()
					})
				}
				begin := time.Now()
				got := g.WaitTimeout(tt.d)
				assert.Equal(t, tt.want, got, "WaitTimeout(%v)", tt.d)
				assert.Equal(t, tt.wantAt, time.Since(begin),
					"WaitTimeout(%v) returned after", tt.d)
				opener.Wait()
			})
		})
	}
}

// TestOpenGateAnswersAtOnce checks that an open gate is reported open even
// with a zero timeout or a done ctx. A select on the gate and a timer (or
// ctx.Done()) that are both ready picks one of the two at random, so we
// ask many times.
func TestOpenGateAnswersAtOnce(t *testing.T) {
	g := mustNewGate(t)
	g.Open()
	done, cancel := context.WithCancel(t.Context())
	cancel()
	for range 100 {
		require.True(t, g.WaitTimeout(0), "WaitTimeout(0) on an open gate: when "+
			"several select cases are ready, select picks one at random; "+
			"check whether the gate is open first")
		require.True(t, g.WaitTimeout(-time.Second), "WaitTimeout(-1s) on an open gate")
		require.NoError(t, g.Wait(done), "Wait with a done ctx on an open gate")
	}
}

// TestWaitHonoursContext checks that Wait returns ctx.Err() at the moment
// ctx is done, and leaves the gate closed and usable.
func TestWaitHonoursContext(t *testing.T) {
	tests := []struct {
		name     string
		deadline bool          // ctx has a deadline at stopAt; else a cancel
		stopAt   time.Duration // 0: cancelled before Wait is called
		wantErr  error
	}{
		{"cancelled", false, 2*time.Second + justAfter, context.Canceled},
		{"deadline", true, 3*time.Second + justAfter, context.DeadlineExceeded},
		{"already cancelled", false, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := mustNewGate(t)
				var ctx context.Context
				var cancel context.CancelFunc
				switch {
				case tt.deadline:
					ctx, cancel = context.WithTimeout(t.Context(), tt.stopAt)
				case tt.stopAt == 0:
					ctx, cancel = context.WithCancel(t.Context())
					cancel()
				default:
					ctx, cancel = context.WithCancel(t.Context())
					time.AfterFunc(tt.stopAt, cancel)
				}
				defer cancel()
				begin := time.Now()
				var err error
				w := startWaiter(begin, "Wait", func() bool {
					err = g.Wait(ctx)
					return err == nil
				})
				time.Sleep(tt.stopAt + time.Second)
				synctest.Wait()
				if assert.True(t, w.returned(), "Wait still blocked 1s after ctx was done") {
					assert.ErrorIs(t, err, tt.wantErr, "Wait's error")
					assert.Equal(t, tt.stopAt, w.at, "Wait returned after")
				}
				assert.False(t, g.IsOpen(), "IsOpen after a Wait that gave up")

				g.Open() // also ends a Wait that ignored ctx
				<-w.done
				assert.NoError(t, g.Wait(t.Context()), "Wait after Open")
			})
		})
	}
}

// TestIsOpen checks that IsOpen is false until Open and true from then on.
func TestIsOpen(t *testing.T) {
	g := mustNewGate(t)
	assert.False(t, g.IsOpen(), "IsOpen on a new gate")
	assert.False(t, g.IsOpen(), "IsOpen asked again")
	g.Open()
	assert.True(t, g.IsOpen(), "IsOpen after Open")
	assert.True(t, g.IsOpen(), "IsOpen asked again after Open")
}

// TestIsOpenIsRaceFree polls IsOpen while another goroutine opens the gate.
// An IsOpen that reads a plain variable that Open writes is a data race,
// which the race detector reports whenever the two accesses are not
// ordered, however they happen to interleave. (Run with -race.)
func TestIsOpenIsRaceFree(t *testing.T) {
	g := mustNewGate(t)
	var opener sync.WaitGroup
	opener.Go(func() {
		for range 10 {
			runtime.Gosched() // let the polling below run first
		}
		g.Open()
	})
	hangcheck.Within(t, "polling IsOpen until the gate opens", func() {
		for !g.IsOpen() {
			runtime.Gosched()
		}
	})
	opener.Wait()
}

// TestOpenMakesWritesVisible checks the memory-model promise: what a
// goroutine wrote before Open can be read, with no other synchronization,
// after Wait returns, after WaitTimeout reports true, and after IsOpen
// reports true. If the Gate does not synchronize, the race detector
// reports the read. (Run with -race.)
func TestOpenMakesWritesVisible(t *testing.T) {
	waits := []struct {
		name string
		wait func(*Gate)
	}{
		{"Wait", func(g *Gate) { _ = g.Wait(context.Background()) }},
		{"WaitTimeout", func(g *Gate) {
			for !g.WaitTimeout(time.Hour) {
			}
		}},
		{"IsOpen", func(g *Gate) {
			for !g.IsOpen() {
				runtime.Gosched()
			}
		}},
	}
	for _, w := range waits {
		t.Run(w.name, func(t *testing.T) {
			g := mustNewGate(t)
			var config []string // written before Open, read after the wait
			var opener sync.WaitGroup
			opener.Go(func() {
				config = []string{"written", "before", "Open"}
				g.Open()
			})
			hangcheck.Within(t, "waiting with "+w.name, func() { w.wait(g) })
			assert.Equal(t, []string{"written", "before", "Open"}, config,
				"what the opener wrote, read after waiting with %s", w.name)
			opener.Wait()
		})
	}
}

// TestStartGateAndShutdownSignal is the scenario the Gate is for: workers
// wait at a start gate, then do one job a second until a second gate, the
// shutdown signal, opens (Python's `while not stop.wait(1): work()`).
// Every worker must start when the start gate opens, do the same number of
// jobs, and stop when the shutdown gate opens.
func TestStartGateAndShutdownSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start, shutdown := mustNewGate(t), mustNewGate(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		type report struct {
			startErr  error
			startedAt time.Duration
			jobs      int
			stoppedAt time.Duration
		}
		const workers, maxJobs = 4, 10
		reports := make([]report, workers)
		begin := time.Now()
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				r := &reports[i]
				if r.startErr = start.Wait(ctx); r.startErr != nil {
					return
				}
				r.startedAt = time.Since(begin)
				// The cap on jobs stops a WaitTimeout that returns false at
				// once from spinning here forever: fake time would never
				// move.
				for r.jobs < maxJobs && ctx.Err() == nil && !shutdown.WaitTimeout(time.Second) {
					r.jobs++
				}
				r.stoppedAt = time.Since(begin)
			})
		}

		startAt := 2*time.Second + justAfter
		stopAt := 5*time.Second + time.Second/2
		time.Sleep(startAt)
		start.Open()
		time.Sleep(stopAt - startAt)
		shutdown.Open()
		time.Sleep(2 * time.Second)
		cancel() // ends any worker still waiting
		wg.Wait()

		want := report{startedAt: startAt, jobs: 3, stoppedAt: stopAt}
		for i, got := range reports {
			assert.Equal(t, want, got, "worker %d: want it to start at %v, finish a job "+
				"every second, and stop at %v", i, startAt, stopAt)
		}
	})
}

// TestOpenTwice checks that a second Open does nothing: it must not panic,
// as a second close of a channel does.
func TestOpenTwice(t *testing.T) {
	g := mustNewGate(t)
	assert.NotPanics(t, g.Open, "first Open")
	assert.NotPanics(t, g.Open, "second Open: closing a closed channel panics")
	assert.True(t, g.IsOpen(), "IsOpen after two Opens")
	assert.NoError(t, g.Wait(t.Context()), "Wait after two Opens")
}

// TestOpenFromManyGoroutines opens the gate from 50 goroutines at once,
// while 50 others wait. No Open may panic, and every waiter must be
// released. (Run with -race.)
func TestOpenFromManyGoroutines(t *testing.T) {
	g := mustNewGate(t)
	const openers, waiters = 50, 50
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var panics atomic.Int32
	waitErrs := make([]error, waiters)
	ready := make(chan struct{}) // closed to let every opener go at once
	var wg sync.WaitGroup
	for i := range waiters {
		wg.Go(func() { waitErrs[i] = g.Wait(ctx) })
	}
	for range openers {
		wg.Go(func() {
			// A test must not fail from a goroutine it started, so we count
			// the panics here and report them below.
			defer func() {
				if recover() != nil {
					panics.Add(1)
				}
			}()
			<-ready
			g.Open()
		})
	}
	close(ready)
	hangcheck.Within(t, "50 Opens and 50 Waits", func() {
		// We give the waiters a bound of their own, so that a Gate that
		// releases only one of them fails with a message below instead of
		// leaving them blocked.
		timer := time.AfterFunc(hangcheck.Bound/2, cancel)
		defer timer.Stop()
		wg.Wait()
	})
	assert.Zero(t, panics.Load(), "%d of %d concurrent Opens panicked; want none",
		panics.Load(), openers)
	for i, err := range waitErrs {
		assert.NoError(t, err, "waiter %d", i)
	}
	assert.True(t, g.IsOpen(), "IsOpen after the Opens")
}

// A waiter runs a wait in its own goroutine and records how it ended.
type waiter struct {
	how  string        // which wait, for messages
	done chan struct{} // closed when the wait has returned
	ok   bool          // whether it reported the gate open; read after done
	at   time.Duration // when it returned, since begin; read after done
}

// startWaiter starts wait in a new goroutine. The test joins it by
// receiving from done.
func startWaiter(begin time.Time, how string, wait func() bool) *waiter {
	w := &waiter{how: how, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.ok = wait()
		w.at = time.Since(begin)
	}()
	return w
}

// returned reports, without blocking, whether the wait has returned.
func (w *waiter) returned() bool {
	select {
	case <-w.done: // closed: the wait returned
		return true
	default: // still waiting
		return false
	}
}

// mustNewGate calls NewGate and stops the test if it returns nil.
func mustNewGate(t *testing.T) *Gate {
	t.Helper()
	g := NewGate()
	require.NotNil(t, g, "NewGate returned nil")
	return g
}
