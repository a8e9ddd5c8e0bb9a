package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Tests that measure time run inside synctest.Test, where time is fake and
// exact. The tests that look for data races run outside it, with real
// goroutines and no sleeps. No goroutine here waits for a sync.Mutex for
// long (the event and barrier hold theirs only to swap a channel), so
// synctest sees every wait as durable.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with every duration zero, so that it is instant.
// The lines of each demo come in a different order on every run.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-workers", "3",
		"-open", "0", "-timeout", "0", "-work", "0", "-stop", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// start gate: 3 workers wait until we open it
	// worker 1: waiting at the gate
	// worker 2: waiting at the gate
	// worker 3: waiting at the gate
	// opening the gate at 0s
	// worker 1: through the gate at 0s
	// worker 2: through the gate at 0s
	// worker 3: through the gate at 0s
	// opening it again: nothing happens (sync.OnceFunc)
	// a bare close, twice: panic: close of closed channel
	// latecomer: gate open: true
	// latecomer: through the gate at 0s
	//
	// event: is_set: false
	// event: wait(0s) returned false after 0s: nobody set it
	// event: set; is_set: true
	// event: wait(0s) returned true after 0s: it was set
	// event: clear; is_set: false
	// waiter: waiting for the event
	// event: set again after 0s
	// waiter: released after 0s
	//
	// barrier: 3 workers, 2 rounds; none leaves a round until all 3 have arrived
	// round 1: worker 1 arrives at 0s
	// round 1: worker 2 arrives at 0s
	// round 1: worker 3 arrives at 0s
	// round 1: worker 1 leaves at 0s
	// round 1: worker 2 leaves at 0s
	// round 1: worker 3 leaves at 0s
	// round 2: worker 1 arrives at 0s
	// round 2: worker 2 arrives at 0s
	// round 2: worker 3 arrives at 0s
	// round 2: worker 1 leaves at 0s
	// round 2: worker 2 leaves at 0s
	// round 2: worker 3 leaves at 0s
	//
	// stop: 3 workers start a 1h0m0s job; we stop them after 0s
	// worker 1: working
	// worker 2: working
	// worker 3: working
	// stopping at 0s: cancel(shutdown requested)
	// worker 1: stopped at 0s: context canceled; cause: shutdown requested
	// worker 2: stopped at 0s: context canceled; cause: shutdown requested
	// worker 3: stopped at 0s: context canceled; cause: shutdown requested
	// stop: every worker has returned
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, except that lines printed at the same moment by concurrent workers
// may come in any order.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 5500*time.Millisecond, time.Since(begin),
			"want 1s gate + 0.5s timeout + 0.5s work + 3s barrier + 0.5s stop")
		assert.Equal(t, readme.Canonical(readme.Lines(block)), readme.Canonical(readme.Lines(out.String())))
	})
}

// TestGateReleasesEveryWorkerAtOnce checks the start gate: every worker
// waits until the gate opens, and one close lets all of them through at
// that very moment.
func TestGateReleasesEveryWorkerAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		err := run(t.Context(), &out, []string{"-workers", "50", "-open", "2s",
			"-timeout", "0", "-work", "0", "-stop", "0"})
		require.NoError(t, err)
		got := readme.Lines(out.String())
		opening := slices.Index(got, "opening the gate at 2s")
		require.NotEqual(t, -1, opening, "no opening line at 2s:\n%s", &out)
		for id := 1; id <= 50; id++ {
			waiting := slices.Index(got, fmt.Sprintf("worker %d: waiting at the gate", id))
			through := slices.Index(got, fmt.Sprintf("worker %d: through the gate at 2s", id))
			assert.True(t, waiting >= 0 && waiting < opening,
				"worker %d was not waiting at the gate before it opened", id)
			assert.Greater(t, through, opening,
				"worker %d did not go through at 2s, after the opening", id)
		}
	})
}

// TestCloseTwicePanics checks the claim that closing a closed channel
// panics, which is why the gate's close is wrapped in sync.OnceFunc.
func TestCloseTwicePanics(t *testing.T) {
	rerr, ok := closeTwice().(runtime.Error)
	require.True(t, ok, "closeTwice did not return a runtime.Error")
	assert.Equal(t, "close of closed channel", rerr.Error())
}

// TestEventSetReleasesEveryWaiter checks that waiters block until the
// event is set, and that one Set releases every one of them at once.
func TestEventSetReleasesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEvent()
		begin := time.Now()
		waiters := make([]*waiter, 10)
		for i := range waiters {
			waiters[i] = startWaiter(begin, func() error { return ev.Wait(t.Context()) })
		}
		time.Sleep(2 * time.Second)
		synctest.Wait() // every waiter is blocked, or has returned
		for i, w := range waiters {
			assert.False(t, w.returned(), "waiter %d returned before Set", i)
		}

		ev.Set()
		for i, w := range waiters {
			<-w.done
			assert.NoError(t, w.err, "waiter %d", i)
			assert.Equal(t, 2*time.Second, w.at, "waiter %d returned after", i)
		}
	})
}

// never is a set time that means "nobody sets the event".
const never = time.Duration(-1)

// TestEventWaitTimeout checks that WaitTimeout reports false at exactly the
// timeout when nobody sets the event, true at the moment of the Set when
// it comes first, and true at once when the event is already set.
func TestEventWaitTimeout(t *testing.T) {
	tests := []struct {
		name   string
		setAt  time.Duration // 0: set before the wait; never: not set
		d      time.Duration
		want   bool
		wantAt time.Duration
	}{
		{"never set", never, 2 * time.Second, false, 2 * time.Second},
		{"set before the timeout", time.Second, 5 * time.Second, true, time.Second},
		{"set after the timeout", 3 * time.Second, 2 * time.Second, false, 2 * time.Second},
		{"zero timeout", never, 0, false, 0},
		{"already set", 0, 5 * time.Second, true, 0},
		{"already set, zero timeout", 0, 0, true, 0},
		{"already set, negative timeout", 0, -time.Second, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ev := newEvent()
				var setter sync.WaitGroup
				switch tt.setAt {
				case 0:
					ev.Set()
				case never:
				default:
					setter.Go(func() {
						time.Sleep(tt.setAt)
						ev.Set()
					})
				}
				begin := time.Now()
				got := ev.WaitTimeout(t.Context(), tt.d)
				assert.Equal(t, tt.want, got, "WaitTimeout(%v)", tt.d)
				assert.Equal(t, tt.wantAt, time.Since(begin), "WaitTimeout(%v) returned after", tt.d)
				setter.Wait()
			})
		})
	}
}

// TestEventWaitWhenSetIsCertain checks that a set event is reported as set
// even with a zero timeout or a done ctx, when a bare select would pick
// the timer or ctx.Done() half of the time.
func TestEventWaitWhenSetIsCertain(t *testing.T) {
	ev := newEvent()
	ev.Set()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for range 100 {
		require.True(t, ev.WaitTimeout(t.Context(), 0),
			"WaitTimeout(0) on a set event")
		require.True(t, ev.WaitTimeout(ctx, time.Hour),
			"WaitTimeout with a done ctx on a set event")
		require.NoError(t, ev.Wait(ctx), "Wait with a done ctx on a set event")
	}
}

// TestEventWaitHonoursCtx checks that Wait and WaitTimeout return at the
// moment ctx is done, with ctx.Err() from Wait, and leave the event as it
// was.
func TestEventWaitHonoursCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEvent()
		ctx, cancel := context.WithCancelCause(t.Context())
		cause := errors.New("test over")
		time.AfterFunc(2*time.Second, func() { cancel(cause) })
		begin := time.Now()
		err := ev.Wait(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, cause, context.Cause(ctx))
		assert.Equal(t, 2*time.Second, time.Since(begin), "Wait returned after")
		assert.False(t, ev.IsSet(), "the event after a cancelled Wait")

		ctx, stop := context.WithTimeout(t.Context(), 3*time.Second)
		defer stop()
		begin = time.Now()
		assert.False(t, ev.WaitTimeout(ctx, time.Hour), "WaitTimeout with a 3s deadline")
		assert.Equal(t, 3*time.Second, time.Since(begin), "WaitTimeout returned after")
		assert.ErrorIs(t, ev.Wait(ctx), context.DeadlineExceeded)
	})
}

// TestEventSetAndClear checks IsSet through a sequence of Sets and Clears,
// each done twice.
func TestEventSetAndClear(t *testing.T) {
	ev := newEvent()
	assert.False(t, ev.IsSet(), "a new event")
	ev.Clear()
	assert.False(t, ev.IsSet(), "after Clear on a clear event")
	ev.Set()
	assert.True(t, ev.IsSet(), "after Set")
	ev.Set()
	assert.True(t, ev.IsSet(), "after a second Set")
	ev.Clear()
	assert.False(t, ev.IsSet(), "after Clear")
	ev.Clear()
	assert.False(t, ev.IsSet(), "after a second Clear")
	ev.Set()
	assert.True(t, ev.IsSet(), "after Set again")
}

// TestEventClearThenSetAgain checks that after a Clear, waiters block
// again, and the next Set releases them.
func TestEventClearThenSetAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEvent()
		ev.Set()
		ev.Clear()
		begin := time.Now()
		w := startWaiter(begin, func() error { return ev.Wait(t.Context()) })
		time.Sleep(3 * time.Second)
		synctest.Wait()
		assert.False(t, w.returned(), "the waiter returned from a cleared event")

		ev.Set()
		<-w.done
		assert.NoError(t, w.err)
		assert.Equal(t, 3*time.Second, w.at, "the waiter returned after")
	})
}

// TestEventPulseWakesEveryWaiter checks that a Set followed at once by a
// Clear still wakes every goroutine that was waiting: each took the
// channel that the Set closed. A waiter that looked at the event's channel
// only after the Clear would miss the Set (the lost wake-up) and wait for
// the next one.
func TestEventPulseWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ev := newEvent()
		begin := time.Now()
		waiters := make([]*waiter, 5)
		for i := range waiters {
			waiters[i] = startWaiter(begin, func() error { return ev.Wait(t.Context()) })
		}
		time.Sleep(time.Second)
		synctest.Wait() // every waiter holds the channel and is blocked on it

		ev.Set()
		ev.Clear()
		for i, w := range waiters {
			<-w.done
			assert.NoError(t, w.err, "waiter %d", i)
			assert.Equal(t, time.Second, w.at, "waiter %d returned after", i)
		}
		assert.False(t, ev.IsSet(), "the event after the pulse")

		// A waiter that comes after the pulse waits for the next Set.
		late := startWaiter(begin, func() error { return ev.Wait(t.Context()) })
		synctest.Wait()
		assert.False(t, late.returned(), "a waiter after the pulse returned")
		ev.Set()
		<-late.done
	})
}

// TestEventIsRaceFree calls every method from several goroutines at once.
// The race detector reports any access to the event's fields that the
// mutex does not order. (Run with -race.)
func TestEventIsRaceFree(t *testing.T) {
	ev := newEvent()
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // so that no Wait blocks
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 1000 {
				switch i % 4 {
				case 0:
					ev.Set()
				case 1:
					ev.Clear()
				case 2:
					ev.IsSet()
				case 3:
					ev.WaitTimeout(ctx, 0)
					_ = ev.Wait(ctx)
				}
			}
		})
	}
	wg.Wait()
}

// TestSetMakesWritesVisible checks the memory-model promise: what a
// goroutine wrote before Set can be read, with no other synchronization,
// once Wait returns. If the event did not synchronize, the race detector
// would report the read. (Run with -race.)
func TestSetMakesWritesVisible(t *testing.T) {
	ev := newEvent()
	var config string // written before Set, read after Wait
	var wg sync.WaitGroup
	wg.Go(func() {
		config = "loaded"
		ev.Set()
	})
	require.NoError(t, ev.Wait(t.Context()))
	assert.Equal(t, "loaded", config)
	wg.Wait()
}

// TestBarrierReleasesOnlyWhenLastArrives checks that no party passes the
// barrier before the last one arrives, and that all of them pass at that
// moment.
func TestBarrierReleasesOnlyWhenLastArrives(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const parties = 4
		b := newBarrier(parties)
		begin := time.Now()
		waiters := make([]*waiter, parties)
		for i := range parties - 1 {
			waiters[i] = startWaiter(begin, func() error {
				time.Sleep(time.Duration(i+1) * time.Second) // arrives at 1s, 2s, 3s
				return b.Wait(t.Context())
			})
		}
		time.Sleep(4 * time.Second)
		synctest.Wait() // the first three are blocked in Wait
		for i := range parties - 1 {
			assert.False(t, waiters[i].returned(),
				"party %d passed the barrier with only %d of %d there", i, parties-1, parties)
		}

		time.Sleep(time.Second)
		waiters[parties-1] = startWaiter(begin, func() error { return b.Wait(t.Context()) })
		for i, w := range waiters {
			<-w.done
			assert.NoError(t, w.err, "party %d", i)
			assert.Equal(t, 5*time.Second, w.at,
				"party %d passed after; want when the last arrived", i)
		}
	})
}

// TestBarrierIsReusable runs three rounds through one barrier. Party 0 has
// no work, so it arrives for the next round as soon as it is released,
// while the others are still leaving the last one. Every round must
// release everyone at the moment its last party arrives.
func TestBarrierIsReusable(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const parties, rounds = 3, 3
		b := newBarrier(parties)
		begin := time.Now()
		left := make([][]time.Duration, parties) // left[i][r]: when party i passed round r
		var wg sync.WaitGroup
		for i := range parties {
			left[i] = make([]time.Duration, rounds)
			wg.Go(func() {
				for r := range rounds {
					time.Sleep(time.Duration(i) * time.Second) // party 2 is always last
					if b.Wait(t.Context()) != nil {
						return
					}
					left[i][r] = time.Since(begin)
				}
			})
		}
		wg.Wait()
		for i := range parties {
			assert.Equal(t, []time.Duration{2 * time.Second, 4 * time.Second, 6 * time.Second},
				left[i], "when party %d passed each round", i)
		}
	})
}

// TestBarrierWaitHonoursCtx checks that a party waiting at the barrier
// returns ctx.Err() at the moment ctx is done.
func TestBarrierWaitHonoursCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBarrier(2)
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		begin := time.Now()
		assert.ErrorIs(t, b.Wait(ctx), context.DeadlineExceeded)
		assert.Equal(t, 3*time.Second, time.Since(begin), "Wait returned after")
	})
}

// TestBarrierOfOne checks that a barrier for one party never waits, and
// that a barrier for none is refused.
func TestBarrierOfOne(t *testing.T) {
	b := newBarrier(1)
	for range 3 {
		require.NoError(t, b.Wait(t.Context()))
	}
	assert.PanicsWithValue(t, "event: a barrier needs at least 1 party",
		func() { newBarrier(0) })
}

// TestStopReachesEveryWorkerAtOnce checks the stop demo: one cancel stops
// every worker at that moment, and each sees the cause.
func TestStopReachesEveryWorkerAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		err := run(t.Context(), &out, []string{"-workers", "5", "-open", "0",
			"-timeout", "0", "-work", "0", "-stop", "2s"})
		require.NoError(t, err)
		assert.Equal(t, 2*time.Second, time.Since(begin),
			"want the stop demo's 2s, and no wait for the workers' hour-long jobs")
		got := readme.Lines(out.String())
		stopping := slices.Index(got, "stopping at 2s: cancel(shutdown requested)")
		require.NotEqual(t, -1, stopping, "no stopping line:\n%s", &out)
		for id := 1; id <= 5; id++ {
			stopped := slices.Index(got, fmt.Sprintf(
				"worker %d: stopped at 2s: context canceled; cause: shutdown requested", id))
			assert.Greater(t, stopped, stopping, "worker %d's stopped line", id)
		}
		assert.NotContains(t, out.String(), "job done")
	})
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) during each
// demo. run must return ctx.Err() at that very moment, with none of its
// goroutines left running: synctest.Test checks that last part itself.
func TestCtrlCStopsPromptly(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		wantLine string // printed by a goroutine that saw the cancel, or ""
	}{
		{"while the workers wait at the gate", 500 * time.Millisecond, ""},
		{"while waiting with a timeout", 1200 * time.Millisecond, ""},
		{"while the waiter waits for the event", 1700 * time.Millisecond, ""},
		{"while workers wait at the barrier", 3200 * time.Millisecond, ""},
		{"while the workers do their long jobs", 5200 * time.Millisecond,
			"worker 1: stopped at 200ms: context canceled; cause: context canceled"},
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
				if tt.wantLine != "" {
					assert.Contains(t, readme.Lines(out.String()), tt.wantLine)
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
		{[]string{"-workers", "0"}, "-workers must be from 1 to 100, got 0"},
		{[]string{"-workers", "101"}, "-workers must be from 1 to 100, got 101"},
		{[]string{"-open", "-1s"}, "-open must be from 0s to 1m0s, got -1s"},
		{[]string{"-timeout", "-1ms"}, "-timeout must be from 0s to 1m0s, got -1ms"},
		{[]string{"-work", "2m"}, "-work must be from 0s to 1m0s, got 2m0s"},
		{[]string{"-stop", "1h"}, "-stop must be from 0s to 1m0s, got 1h0m0s"},
		{[]string{"-stop", "3"}, `invalid value "3" for flag -stop`},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
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

// TestFlagLimitsAreAccepted checks the edges of the flags' ranges.
func TestFlagLimitsAreAccepted(t *testing.T) {
	cfg, err := parseFlags(nil, []string{"-workers", "100", "-open", "1m",
		"-timeout", "0", "-work", "1m", "-stop", "0s"})
	require.NoError(t, err)
	assert.Equal(t, config{workers: 100, open: time.Minute, work: time.Minute}, cfg)
	cfg, err = parseFlags(nil, []string{"-workers", "1"})
	require.NoError(t, err)
	assert.Equal(t, config{workers: 1, open: time.Second, timeout: 500 * time.Millisecond,
		work: 500 * time.Millisecond, stop: 500 * time.Millisecond}, cfg)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-workers", "-open", "-timeout", "-work", "-stop"} {
		assert.Contains(t, out.String(), name)
	}
}

// A waiter runs a wait in its own goroutine and records how it ended.
type waiter struct {
	done chan struct{} // closed when the wait has returned
	err  error         // what it returned; read after done is closed
	at   time.Duration // when it returned, since begin; read after done
}

// startWaiter starts wait in a new goroutine. The test joins it by
// receiving from done.
func startWaiter(begin time.Time, wait func() error) *waiter {
	w := &waiter{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = wait()
		w.at = time.Since(begin)
	}()
	return w
}

// returned reports, without blocking, whether the wait has returned.
func (w *waiter) returned() bool {
	return isClosed(w.done)
}
