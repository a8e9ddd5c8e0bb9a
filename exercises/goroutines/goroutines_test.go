package goroutines

import (
	"runtime"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests run in source order, and the order matters: a goroutine blocked
// forever (in a Join that never returns, or left behind by JoinTimeout)
// makes synctest panic, which ends the whole test binary. The test likeliest
// to find one, TestJoinFromManyGoroutines, comes last, so that every other
// test has reported first.
//
// Tests that measure time run inside synctest.Test, where time is fake and
// exact: a function that sleeps 3s returns after exactly 3s. The tests that
// look for data races run outside it, with real goroutines and no sleeps,
// so that the race detector sees only the synchronization Thread provides.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestStartReturnsAtOnce checks that Start runs fn in a new goroutine and
// does not wait for it, and that Join waits for exactly as long as fn runs.
func TestStartReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		var finished atomic.Bool
		th := mustStart(t, func() {
			time.Sleep(3 * time.Second)
			finished.Store(true)
		})
		assert.Equal(t, time.Duration(0), time.Since(begin),
			"Start took this long: it must return at once, not wait for fn")
		th.Join()
		assert.True(t, finished.Load(), "Join returned before fn did")
		assert.Equal(t, 3*time.Second, time.Since(begin),
			"Join must return when fn (a 3s sleep) returns")
	})
}

// TestThreadsRunAtTheSameTime is the Python note's demo: five threads that
// each sleep 3s, joined one after another, take 3s in all, not 15s.
func TestThreadsRunAtTheSameTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		var ran atomic.Int32
		threads := make([]*Thread, 5)
		for i := range threads {
			threads[i] = mustStart(t, func() {
				time.Sleep(3 * time.Second)
				ran.Add(1)
			})
		}
		for _, th := range threads {
			th.Join()
		}
		assert.Equal(t, int32(5), ran.Load(),
			"functions that had returned after every Join")
		assert.Equal(t, 3*time.Second, time.Since(begin),
			"5 threads that sleep 3s: want 3s in all, because they sleep at the same time")
	})
}

// TestJoinTimeout checks that JoinTimeout returns at exactly d when fn is
// slower, at exactly fn's end when fn is faster (not at d), and that it
// leaves no goroutine of its own behind. For that last part, once
// JoinTimeout has returned and every goroutine in the bubble has run as
// far as it can (synctest.Wait), we look for goroutines that were not
// there before the call: a helper still waiting for fn is one, even if it
// would end when fn does.
func TestJoinTimeout(t *testing.T) {
	tests := []struct {
		name    string
		fnTakes time.Duration
		d       time.Duration
		want    bool          // what JoinTimeout reports
		wantAt  time.Duration // when it returns
	}{
		{"fn slower than d", 5 * time.Second, time.Second, false, time.Second},
		{"fn faster than d", time.Second, 5 * time.Second, true, time.Second},
		{"d is zero", time.Second, 0, false, 0},
		{"d is negative", time.Second, -time.Second, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				th := mustStart(t, func() { time.Sleep(tt.fnTakes) })
				before := goleak.IgnoreCurrent() // fn's goroutine, and the test's
				begin := time.Now()
				got := th.JoinTimeout(tt.d)
				assert.Equal(t, tt.want, got,
					"JoinTimeout(%v) while fn sleeps %v", tt.d, tt.fnTakes)
				assert.Equal(t, tt.wantAt, time.Since(begin),
					"JoinTimeout(%v) while fn sleeps %v returned after", tt.d, tt.fnTakes)
				assert.Equal(t, !got, th.Alive(),
					"Alive right after JoinTimeout reported %t", got)
				synctest.Wait()
				assert.NoError(t, goleak.Find(before),
					"goroutines that JoinTimeout(%v) left running after it "+
						"returned: it must leave nothing behind (is a helper "+
						"goroutine still waiting for fn?)", tt.d)

				// We let fn, and any timer or goroutine JoinTimeout started,
				// run to their end before the bubble closes.
				time.Sleep(10 * time.Second)
			})
		})
	}
}

// TestJoinTimeoutAfterReturn checks that once fn has returned, JoinTimeout
// reports true even when d <= 0. A select on the done signal and a timer
// that has already fired picks one of the two at random, so we ask many
// times.
func TestJoinTimeoutAfterReturn(t *testing.T) {
	th := mustStart(t, func() {})
	th.Join()
	for range 100 {
		require.True(t, th.JoinTimeout(0),
			"JoinTimeout(0) after fn returned: when several select cases are ready, "+
				"select picks one at random; check whether fn has returned first")
		require.True(t, th.JoinTimeout(-time.Second),
			"JoinTimeout(-1s) after fn returned")
	}
}

// TestAlive checks that Alive is true while fn runs and false once it has
// returned, whether or not anyone has joined it.
func TestAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		th := mustStart(t, func() { time.Sleep(time.Second) })
		assert.True(t, th.Alive(), "Alive right after Start")
		time.Sleep(time.Second / 2)
		assert.True(t, th.Alive(), "Alive while fn sleeps")
		th.Join()
		assert.False(t, th.Alive(), "Alive after Join")
		assert.False(t, th.Alive(), "Alive asked a second time after Join")

		unjoined := mustStart(t, func() { time.Sleep(time.Second) })
		time.Sleep(2 * time.Second)
		synctest.Wait()
		assert.False(t, unjoined.Alive(), "Alive after fn returned, with no Join")
	})
}

// TestAliveIsSafeConcurrently polls Alive while fn returns. An Alive that
// reads a plain variable the goroutine writes is a data race, which the
// race detector reports whenever the two accesses are not ordered, however
// they happen to interleave. (Run the tests with -race.)
func TestAliveIsSafeConcurrently(t *testing.T) {
	th := mustStart(t, func() {
		for range 10 {
			runtime.Gosched() // let the polling below run while fn does
		}
	})
	hangcheck.Within(t, "polling Alive until fn returns", func() {
		for th.Alive() {
			runtime.Gosched()
		}
	})
}

// TestJoinMakesWritesVisible checks the memory-model promise: what fn wrote
// can be read, with no other synchronization, after Join returns, after
// JoinTimeout reports true, and after Alive reports false. If Thread does
// not synchronize, the race detector reports the read. (Run with -race.)
func TestJoinMakesWritesVisible(t *testing.T) {
	waits := []struct {
		name string
		wait func(*Thread)
	}{
		{"Join", func(th *Thread) { th.Join() }},
		{"JoinTimeout", func(th *Thread) {
			for !th.JoinTimeout(0) {
				runtime.Gosched()
			}
		}},
		{"Alive", func(th *Thread) {
			for th.Alive() {
				runtime.Gosched()
			}
		}},
	}
	for _, w := range waits {
		t.Run(w.name, func(t *testing.T) {
			var result []string // written by fn, read by the test
			th := mustStart(t, func() { result = []string{"written", "by", "fn"} })
			hangcheck.Within(t, "waiting with "+w.name, func() { w.wait(th) })
			assert.Equal(t, []string{"written", "by", "fn"}, result,
				"what fn wrote, read after waiting with %s", w.name)
		})
	}
}

// TestJoinFromManyGoroutines checks that Join returns for every caller:
// three goroutines that join once and one that joins twice all return when
// fn does. A Thread that hands out a single "done" value (a send on a
// channel) wakes one Join and leaves the others blocked forever, which
// synctest reports as a deadlock.
func TestJoinFromManyGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		th := mustStart(t, func() { time.Sleep(time.Second) })

		const joiners = 4 // the last one joins twice
		returnedAt := make([]time.Duration, joiners)
		returned := make([]chan struct{}, joiners) // closed when joiner i has returned
		for i := range joiners {
			returned[i] = make(chan struct{})
			go func() {
				defer close(returned[i])
				th.Join()
				if i == joiners-1 {
					th.Join()
				}
				returnedAt[i] = time.Since(begin)
			}()
		}

		time.Sleep(2 * time.Second) // fn returned 1s ago
		blocked := 0
		for i := range joiners {
			select {
			case <-returned[i]: // this joiner's Join calls have returned
				assert.Equal(t, time.Second, returnedAt[i],
					"joiner %d returned after; want the moment fn returned", i)
			default: // still blocked in Join
				blocked++
			}
		}
		assert.Zero(t, blocked,
			"of %d goroutines calling Join (the last one twice), %d are still "+
				"blocked 1s after fn returned: every Join must return, not only "+
				"the first", joiners, blocked)
	})
}

// mustStart calls Start and stops the test if it returns nil.
func mustStart(t *testing.T, fn func()) *Thread {
	t.Helper()
	th := Start(fn)
	require.NotNil(t, th, "Start returned nil")
	return th
}
