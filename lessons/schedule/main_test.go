package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// Example runs the lesson with -unit 0, so that it is instant. With no
// time to pass, the two ticker demos are skipped, and so is the goroutine
// that enters an event while Run sleeps; every event is due at once, in
// the order it was entered. f's line may come before or after the line
// that says AfterFunc returned.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-unit", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Unordered output:
	// afterfunc: AfterFunc(0s, f) returned at once
	// afterfunc: f runs at 0s
	// afterfunc: Stop() after f ran: false
	// afterfunc: Stop() before it fired: true; f will never run
	// afterfunc: Stop() again: false
	//
	// ticker: skipped with -unit 0: a Ticker's period must be > 0
	//
	// rate: skipped with -unit 0: a Ticker's period must be > 0
	//
	// sched: entered 3 events; Cancel(cleanup): true
	// sched: Cancel(cleanup) again: false
	// sched: report at 0s
	// sched: first at 0s
	// sched: Cancel(first) while it runs: false
	// sched: follow-up at 0s
	// sched: Run returned at 0s: no event left
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, and takes exactly as long as the README says.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 2*time.Second, time.Since(begin),
			"want 100ms afterfunc + 400ms ticker + 500ms rate + 1s sched")
		assert.Equal(t, block, out.String())
	})
}

// TestAfterFuncRunsLaterInItsOwnGoroutine checks that AfterFunc returns at
// once, that f runs at exactly d in another goroutine, and what Stop
// returns before and after.
func TestAfterFuncRunsLaterInItsOwnGoroutine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		ran := make(chan time.Duration, 1)
		timer := time.AfterFunc(3*time.Second, func() { ran <- time.Since(begin) })
		assert.Zero(t, time.Since(begin), "AfterFunc waited")
		synctest.Wait()
		select {
		case <-ran:
			t.Fatal("f ran before its time")
		default:
		}
		assert.Equal(t, 3*time.Second, <-ran, "f ran at")
		assert.False(t, timer.Stop(), "Stop after f ran")

		stopped := time.AfterFunc(time.Second, func() { t.Error("a stopped f ran") })
		time.Sleep(500 * time.Millisecond)
		assert.True(t, stopped.Stop(), "Stop before it fired")
		time.Sleep(time.Hour) // long past the time it would have run
		assert.False(t, stopped.Stop(), "Stop again")
	})
}

// TestTickerDropsMissedTicks checks, exactly, that a ticker holds one tick
// for a late reader and drops the rest: with a 250ms handler on the first
// of 100ms ticks, the reader gets the 200ms tick at 350ms, and then the
// 400ms tick; the 300ms tick is never delivered.
func TestTickerDropsMissedTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, missedTicks(t.Context(), newLogger(&out),
			100*time.Millisecond))
		assert.Equal(t, 400*time.Millisecond, time.Since(begin))
		assert.Equal(t, []string{
			"ticker: every 100ms; the first tick's handler takes 250ms",
			"ticker: the tick of 100ms received at 100ms",
			"ticker: the tick of 200ms received at 350ms",
			"ticker: the tick of 400ms received at 400ms",
			"ticker: the tick of 300ms was dropped",
		}, lines(out.String()))
	})
}

// TestRateLimitSpacesCalls checks that the ticker lets exactly one call
// through per period: 4 calls per second are at 250ms, 500ms, ...
func TestRateLimitSpacesCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, rateLimit(t.Context(), newLogger(&out),
			250*time.Millisecond))
		assert.Equal(t, calls*250*time.Millisecond, time.Since(begin))
		got := lines(out.String())
		require.Len(t, got, calls+1)
		assert.Equal(t, "rate: 5 calls, one every 250ms (4 per second)", got[0])
		for i := range calls {
			assert.Equal(t, fmt.Sprintf("rate: call %d at %v", i+1,
				time.Duration(i+1)*250*time.Millisecond), got[i+1])
		}
	})
}

// TestSchedulerRunsInTimeOrder enters events out of order, with a tie, and
// checks that Run calls each at exactly its time, ties in entry order, in
// the calling goroutine, and returns when none is left.
func TestSchedulerRunsInTimeOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		begin := time.Now()
		var got []string // written only by Run's goroutine: this one
		at := func(name string) func() {
			return func() { got = append(got, fmt.Sprint(name, "@", time.Since(begin))) }
		}
		s.Enter(3*time.Second, at("c"))
		s.Enter(time.Second, at("a"))
		s.Enter(2*time.Second, at("b1"))
		s.Enter(2*time.Second, at("b2"))
		s.Enter(0, at("now"))
		require.NoError(t, s.Run(t.Context()))
		assert.Equal(t, []string{"now@0s", "a@1s", "b1@2s", "b2@2s", "c@3s"}, got)
		assert.Equal(t, 3*time.Second, time.Since(begin), "Run returned at")
		require.NoError(t, s.Run(t.Context()), "Run with no events")
		assert.Equal(t, 3*time.Second, time.Since(begin), "an empty Run waited")
	})
}

// TestSchedulerCancel checks Cancel's result, and that a cancelled event
// never runs, whether it was first in the queue or not.
func TestSchedulerCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		begin := time.Now()
		var got []string
		first := s.Enter(time.Second, func() { t.Error("cancelled event ran") })
		middle := s.Enter(2*time.Second, func() { t.Error("cancelled event ran") })
		var last int
		last = s.Enter(3*time.Second, func() {
			got = append(got, "last")
			assert.False(t, s.Cancel(last), "Cancel of the running event")
		})
		assert.True(t, s.Cancel(middle), "Cancel of a waiting event")
		assert.True(t, s.Cancel(first), "Cancel of the earliest event")
		assert.False(t, s.Cancel(first), "Cancel twice")
		assert.False(t, s.Cancel(12345), "Cancel of an unknown id")
		require.NoError(t, s.Run(t.Context()))
		assert.Equal(t, []string{"last"}, got)
		assert.Equal(t, 3*time.Second, time.Since(begin))
		assert.False(t, s.Cancel(last), "Cancel after it ran")
	})
}

// TestEnterWakesRunEarly checks that an event entered by another goroutine
// while Run sleeps until a later one runs at its own time, not after the
// later one; and that cancelling the only event makes Run return at once.
func TestEnterWakesRunEarly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		begin := time.Now()
		var got []string
		at := func(name string) func() {
			return func() { got = append(got, fmt.Sprint(name, "@", time.Since(begin))) }
		}
		late := s.Enter(10*time.Second, at("late"))
		done := make(chan error, 1)
		go func() { done <- s.Run(t.Context()) }()
		time.Sleep(time.Second)
		s.Enter(time.Second, at("early"))
		time.Sleep(2 * time.Second)
		assert.True(t, s.Cancel(late))
		require.NoError(t, <-done) // joins Run's goroutine
		assert.Equal(t, 3*time.Second, time.Since(begin), "Run returned at")
		assert.Equal(t, []string{"early@2s"}, got)
	})
}

// TestRunStopsWhenCtxIsDone checks that Run returns ctx.Err() at the very
// moment ctx is done, and leaves the events it did not run in the queue.
func TestRunStopsWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := NewScheduler()
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		begin := time.Now()
		ran := 0
		s.Enter(time.Second, func() { ran++ })
		pending := s.Enter(2*time.Second, func() { ran++ })
		assert.ErrorIs(t, s.Run(ctx), context.DeadlineExceeded)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin))
		assert.Equal(t, 1, ran)
		assert.True(t, s.Cancel(pending), "the event left in the queue")
	})
}

// TestSchedulerDemo checks the scheduler demo's times with a 1s unit,
// including the event entered by another goroutine.
func TestSchedulerDemo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, scheduler(t.Context(), newLogger(&out), time.Second))
		s := out.String()
		for _, want := range []string{"first at 1s", "follow-up at 3s",
			"at 4s another goroutine enters urgent", "urgent at 5s",
			"report at 10s", "Run returned at 10s: no event left"} {
			assert.Contains(t, s, "sched: "+want+"\n")
		}
		assert.NotContains(t, s, "never printed")
	})
}

// TestCtrlCStopsPromptly cancels the context during each demo that waits.
// run must return ctx.Err() at that very moment, with none of its
// goroutines or scheduled functions left running: synctest.Test panics if
// one is still blocked at the end.
func TestCtrlCStopsPromptly(t *testing.T) {
	for _, cancelAt := range []time.Duration{
		50 * time.Millisecond,   // waiting for AfterFunc's f
		300 * time.Millisecond,  // in the slow tick handler
		450 * time.Millisecond,  // waiting for a tick
		800 * time.Millisecond,  // rate limited
		1300 * time.Millisecond, // the scheduler, before urgent is entered
		1800 * time.Millisecond, // the scheduler, waiting for report
	} {
		t.Run(cancelAt.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(cancelAt, cancel)
				var out bytes.Buffer
				begin := time.Now()
				assert.ErrorIs(t, run(ctx, &out, nil), context.Canceled)
				assert.Equal(t, cancelAt, time.Since(begin),
					"run returned late: does something ignore ctx?")
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
		{[]string{"-unit", "-1ms"}, "-unit must be from 0s to 10s, got -1ms"},
		{[]string{"-unit", "11s"}, "-unit must be from 0s to 10s, got 11s"},
		{[]string{"-unit", "3"}, `invalid value "3" for flag -unit`},
		{[]string{"-rate", "4"}, "flag provided but not defined: -rate"},
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

// TestFlagLimitsAreAccepted checks the edges of -unit, and its default.
func TestFlagLimitsAreAccepted(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 100 * time.Millisecond},
		{[]string{"-unit", "0"}, 0},
		{[]string{"-unit", "10s"}, 10 * time.Second},
	} {
		cfg, err := parseFlags(nil, tt.args)
		require.NoError(t, err)
		assert.Equal(t, config{unit: tt.want}, cfg)
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	assert.Contains(t, out.String(), "-unit")
}

// newLogger returns a Logger like run's, writing to w.
func newLogger(w io.Writer) *log.Logger { return log.New(w, "", 0) }

// lines splits s into lines, without their newlines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
