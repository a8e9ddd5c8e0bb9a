package semaphore

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check semaphore adds -race).
//
// Every test runs inside synctest.Test, where time is fake and exact: a
// session that sleeps 1s takes exactly 1s, and an Acquire whose ctx ends
// at 2s must return at exactly 2s. A goroutine left blocked for good makes
// synctest panic ("deadlock"), which ends the whole test binary, so the
// tests free every slot they hold, and a test that finds a broken Limiter
// stops before it calls a release that could block on it.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNewPanicsBelowOne checks that New refuses a limit that would admit
// no one.
func TestNewPanicsBelowOne(t *testing.T) {
	for _, n := range []int{0, -1} {
		assert.PanicsWithValue(t, "semaphore: n must be at least 1",
			func() { New(n) }, "New(%d)", n)
	}
}

// TestAcquireUpToNAtOnce checks that n sessions get a slot at once, without
// waiting, and that InUse counts them in and out.
func TestAcquireUpToNAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 3)
		assert.Equal(t, 0, l.InUse(), "InUse of a new Limiter")
		begin := time.Now()
		var releases []func()
		for i := range 3 {
			releases = append(releases, mustAcquire(t, l))
			assert.Equal(t, i+1, l.InUse(), "InUse after %d Acquires", i+1)
		}
		assert.Equal(t, time.Duration(0), time.Since(begin),
			"3 Acquires on a Limiter of 3 took this long: none should wait")
		for i, release := range releases {
			release()
			assert.Equal(t, 2-i, l.InUse(), "InUse after %d releases", i+1)
		}
	})
}

// TestNeverMoreThanNSessionsAtOnce starts 10 sessions of 1s on a Limiter
// of 3. Never more than 3 may run at once, and 3 must: so they take exactly
// ceil(10/3) = 4 rounds, 4s of fake time. Each session also calls InUse
// while the others acquire and release, as a monitoring page would: it
// must count the caller's own slot and no more than 3, and, under -race,
// read the count with the synchronization that its writers use.
func TestNeverMoreThanNSessionsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n, sessions = 3, 10
		l := mustNew(t, n)
		var inSession, peak, failed atomic.Int64
		var badInUse atomic.Int64 // an InUse a session saw out of 1..n; 0 if none
		begin := time.Now()
		var wg sync.WaitGroup
		for range sessions {
			wg.Go(func() {
				release, err := l.Acquire(t.Context())
				if err != nil || release == nil {
					failed.Add(1)
					return
				}
				now := inSession.Add(1)
				for p := peak.Load(); now > p; p = peak.Load() {
					if peak.CompareAndSwap(p, now) {
						break
					}
				}
				if u := l.InUse(); u < 1 || u > n {
					badInUse.CompareAndSwap(0, int64(u)+1) // +1: InUse may be 0
				}
				time.Sleep(time.Second) // the session's work
				inSession.Add(-1)
				release()
			})
		}
		wg.Wait()
		assert.Zero(t, failed.Load(), "Acquires that failed or returned a nil release")
		if bad := badInUse.Load(); bad != 0 {
			t.Errorf("a session that held a slot called InUse and got %d; "+
				"want 1 to %d: its own slot, and at most %d in all", bad-1, n, n)
		}
		assert.Equal(t, int64(n), peak.Load(), "most sessions in progress at once")
		assert.Equal(t, 4*time.Second, time.Since(begin),
			"%d sessions of 1s, at most %d at once: want 4 rounds", sessions, n)
		assert.Equal(t, 0, l.InUse(), "InUse once every session has released")
	})
}

// TestAcquireWaitsUntilASlotFrees checks that an Acquire on a full Limiter
// waits, and returns at the very moment a slot is released.
func TestAcquireWaitsUntilASlotFrees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		l := mustNew(t, 2)
		a, b := mustAcquire(t, l), mustAcquire(t, l)
		w := startAcquire(t.Context(), l)

		time.Sleep(time.Second)
		synctest.Wait()
		assert.False(t, w.finished(), "Acquire returned while every slot was held")
		time.Sleep(2 * time.Second)
		a() // at 3s
		<-w.done
		require.NoError(t, w.err, "the waiting Acquire")
		require.NotNil(t, w.release, "the release the waiting Acquire returned")
		assert.Equal(t, 3*time.Second, w.returned.Sub(begin),
			"the waiting Acquire returned after; want the moment a slot was released")
		assert.Equal(t, 2, l.InUse(), "InUse: b and the waiter")
		b()
		w.release()
		assert.Equal(t, 0, l.InUse(), "InUse once everyone released")
	})
}

// TestReleaseFreesExactlyOneSlot checks that each release lets exactly one
// waiting Acquire in.
func TestReleaseFreesExactlyOneSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 2)
		a, b := mustAcquire(t, l), mustAcquire(t, l)
		waiters := make([]*attempt, 3)
		for i := range waiters {
			waiters[i] = startAcquire(t.Context(), l)
		}
		synctest.Wait()
		assert.Zero(t, finished(waiters), "waiters that got in while both slots were held")

		a()
		synctest.Wait()
		assert.Equal(t, 1, finished(waiters), "waiters that got in after one release")
		assert.Equal(t, 2, l.InUse(), "InUse after one release let one waiter in")
		b()
		synctest.Wait()
		assert.Equal(t, 2, finished(waiters), "waiters that got in after two releases")
		assert.Equal(t, 2, l.InUse(), "InUse after two releases let two waiters in")
		releaseAll(t, waiters)
		assert.Equal(t, 0, l.InUse(), "InUse once everyone released")
	})
}

// TestAcquireWithDoneContextTakesNoSlot calls Acquire with a ctx that is
// already cancelled, on a Limiter with a free slot: it must return
// ctx.Err() and take nothing. A select on the slot and ctx.Done() finds
// both ready and picks one at random, so we ask 100 times: a Limiter that
// goes straight to such a select gets the slot about half of the time.
func TestAcquireWithDoneContextTakesNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 1)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for i := range 100 {
			release, err := l.Acquire(ctx)
			if release != nil {
				release() // it took the slot: give it back before we fail
			}
			require.ErrorIs(t, err, context.Canceled,
				"call %d: Acquire with a done ctx and a free slot", i+1)
			require.Nil(t, release, "call %d: the release returned with the error", i+1)
			require.Zero(t, l.InUse(),
				"call %d: InUse after an Acquire that returned an error", i+1)
		}
	})
}

// TestCancelledWaitTakesNoSlot checks that an Acquire waiting on a full
// Limiter returns ctx.Err() at the very moment its ctx is done, however
// long the slot stays held, and that it takes no slot, then or later: once
// the holder releases, the slot is free for the next Acquire at once.
func TestCancelledWaitTakesNoSlot(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"cancelled at 2s", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(2*time.Second, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline at 2s", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 2*time.Second)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				begin := time.Now()
				l := mustNew(t, 1)
				hold := mustAcquire(t, l)
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				w := startAcquire(ctx, l)

				// The holder keeps the slot until 5s; the waiter's ctx ends
				// at 2s.
				time.Sleep(5 * time.Second)
				hold()
				<-w.done
				if w.release != nil {
					w.release() // it got the slot after all: free it, so that we can go on
				}
				assert.Equal(t, 2*time.Second, w.returned.Sub(begin),
					"the waiting Acquire returned after; want the moment its ctx "+
						"was done (the slot was held until 5s)")
				assert.ErrorIs(t, w.err, tt.wantErr, "the waiting Acquire's error")
				assert.Nil(t, w.release, "the release returned with the error")

				synctest.Wait()
				if !assert.Equal(t, 0, l.InUse(), "InUse once the holder released: "+
					"the cancelled Acquire must not take the slot, then or later") {
					return // the slot is gone for good: an Acquire now would wait forever
				}
				later, cancelLater := context.WithTimeout(t.Context(), time.Second)
				defer cancelLater()
				asked := time.Now()
				release, err := l.Acquire(later)
				require.NoError(t, err, "an Acquire after the only slot was released")
				assert.Equal(t, time.Duration(0), time.Since(asked),
					"an Acquire after the only slot was released waited")
				release()
			})
		})
	}
}

// TestCancelledWaitLeavesNoGoroutine checks that an Acquire that gave up
// leaves nothing running behind it. A Limiter that waits for the slot in a
// helper goroutine, and selects on that goroutine and ctx.Done(), returns
// in time but leaves the helper waiting; when a slot frees, the helper
// takes it, and nobody ever releases it.
func TestCancelledWaitLeavesNoGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 1)
		hold := mustAcquire(t, l)
		before := goleak.IgnoreCurrent() // the goroutines running before the Acquire
		ctx, cancel := context.WithCancel(t.Context())
		w := startAcquire(ctx, l)

		time.Sleep(time.Second)
		cancel()
		synctest.Wait() // the waiter's goroutine has returned, or is stuck
		if assert.True(t, w.finished(), "Acquire still waiting after its ctx was cancelled") {
			assert.NoError(t, goleak.Find(before),
				"goroutines left behind by an Acquire that gave up, while the slot is still held")
		}
		hold() // anything left behind may take the slot now, and end
		<-w.done
		if w.release != nil {
			w.release()
		}
	})
}

// TestReleaseTwiceFreesOneSlot checks the release policy: only the first
// call frees the slot, and later calls do nothing. A release that frees a
// slot each time it is called would free b's slot too, and let two more
// sessions in.
func TestReleaseTwiceFreesOneSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 2)
		a, b := mustAcquire(t, l), mustAcquire(t, l)
		a()
		a()
		assert.Equal(t, 1, l.InUse(),
			"InUse after a released twice: b still holds its slot")

		waiters := []*attempt{startAcquire(t.Context(), l), startAcquire(t.Context(), l)}
		synctest.Wait()
		if !assert.Equal(t, 1, finished(waiters),
			"waiters that got in after a released twice: want 1, for a's slot") {
			return // the Limiter is broken: more releases could block forever
		}
		b()
		synctest.Wait()
		assert.Equal(t, 2, finished(waiters), "waiters that got in after b released")
		releaseAll(t, waiters)
		a() // a third time, long after: still nothing
		b()
		assert.Equal(t, 0, l.InUse(), "InUse once everyone released, some twice")
	})
}

// TestConcurrentReleaseFreesOneSlot calls the same release from two
// goroutines at once. Only one call may free the slot, and deciding which
// one needs synchronization: a plain bool that says "released" is a data
// race, which the race detector reports. (Run with -race.)
func TestConcurrentReleaseFreesOneSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 2)
		a, b := mustAcquire(t, l), mustAcquire(t, l)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(a)
		}
		wg.Wait()
		if assert.Equal(t, 1, l.InUse(), "InUse after two goroutines released a at once") {
			b()
		}
	})
}

// TestReleaseSynchronizesWithTheNextAcquire checks the memory-model
// promise: what a session wrote before its release can be read, with no
// other synchronization, by the session whose Acquire got its slot. If the
// Limiter does not synchronize the two, the race detector reports the
// read. (Run with -race.)
func TestReleaseSynchronizesWithTheNextAcquire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, 1)
		first := mustAcquire(t, l)
		var shared []string // written by the first session, read by the second

		var seen []string // what the second session read
		var err error
		done := make(chan struct{}) // closed when the second session has ended
		go func() {
			defer close(done)
			var release func()
			if release, err = l.Acquire(t.Context()); err != nil {
				return
			}
			seen = slices.Clone(shared)
			if release != nil {
				release()
			}
		}()

		time.Sleep(time.Second)
		shared = []string{"written", "by", "the", "first", "session"}
		first()
		<-done
		require.NoError(t, err, "the second session's Acquire")
		assert.Equal(t, []string{"written", "by", "the", "first", "session"}, seen,
			"what the first session wrote before it released, "+
				"read by the second after its Acquire")
	})
}

// An attempt is a call of Acquire running in its own goroutine.
type attempt struct {
	done chan struct{} // closed when Acquire has returned

	// Set when Acquire returns: read them only once done is closed.
	release  func()
	err      error
	returned time.Time
}

// startAcquire calls l.Acquire(ctx) in a new goroutine and returns at once.
func startAcquire(ctx context.Context, l *Limiter) *attempt {
	a := &attempt{done: make(chan struct{})}
	go func() {
		defer close(a.done)
		a.release, a.err = l.Acquire(ctx)
		a.returned = time.Now()
	}()
	return a
}

// finished reports, without waiting, whether Acquire has returned.
func (a *attempt) finished() bool {
	select {
	case <-a.done: // Acquire has returned
		return true
	default: // still waiting
		return false
	}
}

// finished counts the attempts whose Acquire has returned.
func finished(attempts []*attempt) int {
	n := 0
	for _, a := range attempts {
		if a.finished() {
			n++
		}
	}
	return n
}

// releaseAll releases the slot of each attempt as its Acquire returns,
// which lets the next one in. It stops the test if none of the attempts
// left gets in, or if one of them fails.
func releaseAll(t *testing.T, attempts []*attempt) {
	t.Helper()
	pending := slices.Clone(attempts)
	for len(pending) > 0 {
		synctest.Wait()
		i := slices.IndexFunc(pending, (*attempt).finished)
		require.NotEqual(t, -1, i, "%d Acquires still waiting, with every "+
			"other slot the test held released", len(pending))
		a := pending[i]
		require.NoError(t, a.err, "a waiting Acquire")
		require.NotNil(t, a.release, "the release a waiting Acquire returned")
		a.release()
		pending = slices.Delete(pending, i, i+1)
	}
}

// mustNew calls New and stops the test if it returns nil.
func mustNew(t *testing.T, n int) *Limiter {
	t.Helper()
	l := New(n)
	require.NotNil(t, l, "New(%d) returned nil", n)
	return l
}

// mustAcquire calls l.Acquire, expecting a free slot, and stops the test
// if Acquire fails or returns a nil release.
func mustAcquire(t *testing.T, l *Limiter) func() {
	t.Helper()
	release, err := l.Acquire(t.Context())
	require.NoError(t, err, "Acquire with a free slot")
	require.NotNil(t, release, "the release Acquire returned")
	return release
}
