package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with every duration zero, so that it is instant.
// The merge's values, and the calls stopped by the deadline, come in a
// different order on every run; every stuck call still loses to its
// timeout, because it would take an hour.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-timeout", "0", "-tick", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// random: 1000 rounds with both cases ready: both cases were chosen: true
	//
	// default: tryReceive on an empty channel: 0, false
	// default: trySend(1) on a channel with a free slot: true
	// default: trySend(2) on a full channel: false
	// default: tryReceive: 1, true
	//
	// time.After: a call that hangs; we wait at most 0s
	// time.After: gave up after 0s
	// time.After: cancelled the call; it returned at 0s: context canceled
	//
	// timer: read until the inbox is quiet for 0s
	// timer: got "hello" at 0s; Reset(0s)
	// timer: got "how are you" at 0s; Reset(0s)
	// timer: got "bye" at 0s; Reset(0s)
	// timer: quiet for 0s: stopped reading at 0s
	//
	// nil channel: merge a and b until both are closed
	// nil channel: a1 at 0s
	// nil channel: a2 at 0s
	// nil channel: a3 at 0s
	// nil channel: b1 at 0s
	// nil channel: b2 at 0s
	// nil channel: a closed at 0s: a = nil
	// nil channel: b closed at 0s: b = nil
	// nil channel: both closed; 5 values
	//
	// context: WithTimeout(0s): the deadline is 0s away; 3 calls that hang
	// context: call 1 stopped at 0s: context deadline exceeded
	// context: call 2 stopped at 0s: context deadline exceeded
	// context: call 3 stopped at 0s: context deadline exceeded
	// context: every call has returned; ctx.Err() = context deadline exceeded
	//
	// cause: a call that hangs; we cancel it after 0s
	// cause: the call returned at 0s: context canceled; cause: replica 2 answered first
	//
	// afterfunc: registered f; now we cancel
	// afterfunc: f runs: context canceled
	// afterfunc: stop() after f ran: false
	// afterfunc: stop() before the cancel: true; f will never run
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, except that lines printed at the same moment by concurrent calls
// may come in any order.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 3600*time.Millisecond, time.Since(begin),
			"want 1s time.After + 1s idle + 500ms merge + 1s deadline + 100ms cause")
		assert.Equal(t, readme.Canonical(readme.Lines(block)), readme.Canonical(readme.Lines(out.String())))
	})
}

// TestSelectPicksAtRandom checks that a select with two ready cases picks
// each about half of the time, not the first in source order. Over 1000
// rounds each count lies within 400..600 except with a chance of about
// 3 in 10^10.
func TestSelectPicksAtRandom(t *testing.T) {
	a, b := pick(1000)
	assert.Equal(t, 1000, a+b, "rounds counted")
	assert.InDelta(t, 500, a, 100, "times the first case was chosen")
	assert.InDelta(t, 500, b, 100, "times the second case was chosen")
}

// TestTryReceiveAndTrySendNeverWait checks the default case: on an empty
// channel a receive, and on a full one a send, gives up at once.
func TestTryReceiveAndTrySendNeverWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		ch := make(chan int, 1)
		v, ok := tryReceive(ch)
		assert.Equal(t, 0, v)
		assert.False(t, ok, "tryReceive on an empty channel")
		assert.True(t, trySend(ch, 7), "trySend with a free slot")
		assert.False(t, trySend(ch, 8), "trySend on a full channel")
		v, ok = tryReceive(ch)
		assert.True(t, ok, "tryReceive with a value waiting")
		assert.Equal(t, 7, v, "the value tryReceive got")

		var unbuffered chan int = make(chan int)
		assert.False(t, trySend(unbuffered, 1),
			"trySend on an unbuffered channel with no receiver waiting")
		var nilCh chan int
		assert.False(t, trySend(nilCh, 1), "trySend on a nil channel")
		_, ok = tryReceive(nilCh)
		assert.False(t, ok, "tryReceive on a nil channel")
		assert.Zero(t, time.Since(begin), "none of them may wait")
	})
}

// TestTimeoutAfterGivesUpAtTheTimeout checks that the time.After demo
// stops waiting at exactly -timeout, and that the call it gave up on sees
// the cancel at that same moment and returns (synctest.Test panics if a
// goroutine it started is still blocked at the end).
func TestTimeoutAfterGivesUpAtTheTimeout(t *testing.T) {
	for _, timeout := range []time.Duration{0, 250 * time.Millisecond, 3 * time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				begin := time.Now()
				err := timeoutAfter(t.Context(), log.New(&out, "", 0),
					config{timeout: timeout})
				require.NoError(t, err)
				assert.Equal(t, timeout, time.Since(begin), "returned after")
				assert.Contains(t, out.String(), fmt.Sprintf(
					"time.After: cancelled the call; it returned at %v: context canceled\n",
					timeout))
			})
		})
	}
}

// TestSlowCall checks the simulated call: it answers after exactly d, or
// returns ctx.Err() the moment ctx is done, or at once if it already is.
func TestSlowCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		answer, err := slowCall(t.Context(), 2*time.Second)
		require.NoError(t, err)
		assert.Equal(t, "the answer", answer)
		assert.Equal(t, 2*time.Second, time.Since(begin), "an uninterrupted call")

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		begin = time.Now()
		_, err = slowCall(ctx, hang)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(begin), "a call cut short at 1s")

		begin = time.Now()
		_, err = slowCall(ctx, 0)
		assert.ErrorIs(t, err, context.DeadlineExceeded,
			"a zero-length call with ctx already done must fail, every time")
		assert.Zero(t, time.Since(begin))
	})
}

// TestIdleTimerStopsAfterSilence checks that the loop reads every message
// waiting in the inbox, even with a zero timeout, and stops reading at
// exactly -timeout after the last one.
func TestIdleTimerStopsAfterSilence(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			for range 50 { // with a zero timeout, a bare select would drop messages
				synctest.Test(t, func(t *testing.T) {
					var out bytes.Buffer
					begin := time.Now()
					err := idleTimer(t.Context(), log.New(&out, "", 0),
						config{timeout: timeout})
					require.NoError(t, err)
					assert.Equal(t, timeout, time.Since(begin), "returned after")
					assert.Equal(t, 3, strings.Count(out.String(), "timer: got "),
						"messages read:\n%s", &out)
				})
			}
		})
	}
}

// TestTimerResetLeavesNoStaleValue checks the Go 1.23 timer semantics the
// idle loop relies on: after Reset (or Stop) no value sent for the old
// expiry is left in timer.C, even if the timer had already fired and
// nobody received it. Before Go 1.23 that stale value was still in the
// channel, and code had to drain it first.
func TestTimerResetLeavesNoStaleValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		timer := time.NewTimer(time.Second)
		time.Sleep(2 * time.Second) // it fired at 1s; nobody received
		timer.Reset(time.Second)
		select {
		case <-timer.C: // a stale value from the first expiry
			t.Fatal("timer.C held a value right after Reset")
		default: // nothing yet: good
		}
		begin := time.Now()
		<-timer.C
		assert.Equal(t, time.Second, time.Since(begin),
			"the reset timer fired after")
		assert.False(t, timer.Stop(), "Stop after the timer fired")
	})
}

// TestMergeDisablesClosedChannels checks the for-select loop with nil
// channels: it gets every value at the moment it is sent, sees each
// channel close once, and returns when the last one closes.
func TestMergeDisablesClosedChannels(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		err := merge(t.Context(), log.New(&out, "", 0),
			config{tick: time.Second})
		require.NoError(t, err)
		assert.Equal(t, 5*time.Second, time.Since(begin), "returned after")
		assert.Equal(t, []string{
			"nil channel: merge a and b until both are closed",
			"nil channel: a1 at 1s",
			"nil channel: b1 at 2s",
			"nil channel: a2 at 3s",
			"nil channel: b2 at 4s",
			"nil channel: b closed at 4s: b = nil",
			"nil channel: a3 at 5s",
			"nil channel: a closed at 5s: a = nil",
			"nil channel: both closed; 5 values",
		}, readme.Lines(out.String()))
	})
}

// TestDeadlineStopsEveryCall checks that one context deadline stops every
// call that waits on it, at exactly the deadline.
func TestDeadlineStopsEveryCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		err := deadline(t.Context(), log.New(&out, "", 0),
			config{timeout: 2 * time.Second})
		require.NoError(t, err)
		assert.Equal(t, 2*time.Second, time.Since(begin), "returned after")
		for i := range workers {
			assert.Contains(t, out.String(), fmt.Sprintf(
				"context: call %d stopped at 2s: context deadline exceeded\n", i+1))
		}
	})
}

// TestCauseIsReported checks that the cancelled call returns at the moment
// of the cancel with context.Canceled, and that context.Cause gives the
// reason.
func TestCauseIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		err := cause(t.Context(), log.New(&out, "", 0), config{tick: time.Second})
		require.NoError(t, err)
		assert.Equal(t, time.Second, time.Since(begin), "returned after")
		assert.Contains(t, out.String(), "cause: the call returned at 1s: "+
			"context canceled; cause: replica 2 answered first\n")
	})
}

// TestAfterFuncRunsOnceCtxIsDone checks the AfterFunc demo: f runs once
// the context is cancelled, stop reports false after that, and a stop in
// time keeps f from ever running. With the parent already done (Ctrl-C),
// f still runs and is joined, and the demo returns ctx.Err().
func TestAfterFuncRunsOnceCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, afterFunc(t.Context(), log.New(&out, "", 0), config{}))
		assert.Equal(t, []string{
			"afterfunc: registered f; now we cancel",
			"afterfunc: f runs: context canceled",
			"afterfunc: stop() after f ran: false",
			"afterfunc: stop() before the cancel: true; f will never run",
		}, readme.Lines(out.String()))

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		out.Reset()
		err := afterFunc(ctx, log.New(&out, "", 0), config{})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, out.String(), "afterfunc: f runs: context canceled\n")
		assert.NotContains(t, out.String(), "never printed")
	})
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) during each
// demo that waits. run must return ctx.Err() at that very moment, with
// none of its goroutines left running: synctest.Test checks that last
// part itself, and panics if one is still blocked at the end.
func TestCtrlCStopsPromptly(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
	}{
		{"while waiting with time.After", 500 * time.Millisecond},
		{"while the idle timer runs", 1500 * time.Millisecond},
		{"while merging", 2250 * time.Millisecond},
		{"before the deadline", 3 * time.Second},
		{"before the cancel with a cause", 3550 * time.Millisecond},
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
		{[]string{"-rounds", "0"}, "-rounds must be from 1 to 1000000, got 0"},
		{[]string{"-rounds", "1000001"}, "-rounds must be from 1 to 1000000, got 1000001"},
		{[]string{"-timeout", "-1ms"}, "-timeout must be from 0s to 1m0s, got -1ms"},
		{[]string{"-timeout", "2m"}, "-timeout must be from 0s to 1m0s, got 2m0s"},
		{[]string{"-tick", "-1s"}, "-tick must be from 0s to 1m0s, got -1s"},
		{[]string{"-tick", "3"}, `invalid value "3" for flag -tick`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
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

// TestFlagLimitsAreAccepted checks the edges of the flags' ranges, and the
// defaults.
func TestFlagLimitsAreAccepted(t *testing.T) {
	cfg, err := parseFlags(nil, []string{"-rounds", "1000000", "-timeout", "1m",
		"-tick", "0"})
	require.NoError(t, err)
	assert.Equal(t, config{rounds: 1_000_000, timeout: time.Minute}, cfg)
	cfg, err = parseFlags(nil, []string{"-rounds", "1", "-tick", "1m"})
	require.NoError(t, err)
	assert.Equal(t, config{rounds: 1, timeout: time.Second, tick: time.Minute}, cfg)
	cfg, err = parseFlags(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, config{rounds: 1000, timeout: time.Second,
		tick: 100 * time.Millisecond}, cfg)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-rounds", "-timeout", "-tick"} {
		assert.Contains(t, out.String(), name)
	}
}
