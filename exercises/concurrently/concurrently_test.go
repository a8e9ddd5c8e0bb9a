package concurrently

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// meter returns a Reader that answers v after d of fake time (or returns
// ctx.Err() if ctx is done first), counting itself in running while it
// waits.
func meter(d time.Duration, v int, err error, running *atomic.Int64) Reader {
	return func(ctx context.Context) (int, error) {
		running.Add(1)
		defer running.Add(-1)
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C: // the instrument answered
			return v, err
		case <-ctx.Done(): // cancelled
			return 0, ctx.Err()
		}
	}
}

var (
	errNoSignal = errors.New("no signal")
	errOverload = errors.New("overload")
)

// inBubble runs fn in a synctest bubble, where time is fake: the readers'
// waits take no real time, and time.Since measures them exactly. fn only
// computes; the test asserts afterwards, outside the bubble.
//
// Two wrong answers would otherwise crash or hang the test binary instead
// of failing a test. An All that returns without waiting leaves goroutines
// asleep in the readers, and a bubble may not end while it has goroutines:
// so after fn we sleep an hour of fake time (no real time at all), which
// lets every such straggler finish. (fn's contexts derive from
// context.Background, not t.Context: a context made outside the bubble
// must not be first waited on inside it.) And a goroutine waiting for a
// sync.Mutex is not durably blocked, so fake time cannot advance while one
// waits: code that holds a lock while a reader waits, or that never
// releases it, hangs the bubble for good. hangcheck.Within turns that hang
// into a failure of the test after hangcheck.Bound of real time.
func inBubble(t *testing.T, what string, fn func()) {
	t.Helper()
	what += " (the readers wait in fake time, which cannot pass while a" +
		" goroutine waits for a sync.Mutex: is a reader called with the lock" +
		" held, or is the lock not released on some path?)"
	hangcheck.Within(t, what, func() {
		synctest.Test(t, func(*testing.T) {
			fn()
			time.Sleep(time.Hour) // stragglers finish; see above
		})
	})
}

// TestAllAtOnce checks that the readers run at the same time: readers of
// 1, 2 and 3 s are all running at once, and take exactly 3 s in all, the
// longest, not 6 s, the sum.
func TestAllAtOnce(t *testing.T) {
	var running atomic.Int64
	readers := map[string]Reader{
		"power": meter(1*time.Second, -12, nil, &running),
		"freq":  meter(2*time.Second, 2400, nil, &running),
		"temp":  meter(3*time.Second, 21, nil, &running),
	}
	var (
		got     map[string]int
		err     error
		atStart int64
		took    time.Duration
	)
	inBubble(t, "All of readers of 1, 2 and 3 s", func() {
		begin := time.Now()
		done := make(chan struct{})
		go func() {
			defer close(done)
			got, err = All(context.Background(), readers)
		}()
		synctest.Wait() // every reader has started, or is blocked
		atStart = running.Load()
		<-done
		took = time.Since(begin)
	})
	assert.Equal(t, int64(3), atStart,
		"readers running at the start; want all 3, at once")
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, took, "All took this long; want 3s, "+
		"the longest reader: the readers must run at the same time, not "+
		"one after the other (6s)")
	assert.Equal(t, map[string]int{"power": -12, "freq": 2400, "temp": 21},
		got, "the readings, by name")
}

// TestReadingsByName checks that each reading is under its reader's name,
// with many readers that answer at once.
func TestReadingsByName(t *testing.T) {
	var running atomic.Int64
	readers := make(map[string]Reader)
	want := make(map[string]int)
	for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		readers[name] = meter(0, i*10, nil, &running)
		want[name] = i * 10
	}
	var got map[string]int
	var err error
	hangcheck.Within(t, "All of 8 readers that answer at once", func() {
		got, err = All(t.Context(), readers)
	})
	require.NoError(t, err)
	assert.Equal(t, want, got, "the readings, by name")
}

// TestNoReaders checks that no readers give no readings and no error.
func TestNoReaders(t *testing.T) {
	got, err := All(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestOneErrorNamed checks that one failure is reported with the reader's
// name, wraps its error, and leaves the other readings. The failure comes
// first, at once; the good reading at 1 s.
func TestOneErrorNamed(t *testing.T) {
	var running atomic.Int64
	var got map[string]int
	var err error
	inBubble(t, "All of a reader that fails at once and one that answers at 1s", func() {
		got, err = All(context.Background(), map[string]Reader{
			"power": meter(0, 0, errOverload, &running),
			"freq":  meter(time.Second, 2400, nil, &running),
		})
	})
	require.Error(t, err, "All's error, when the power reader failed")
	assert.Equal(t, "power: overload", err.Error(),
		"want the reader's error, named")
	assert.ErrorIs(t, err, errOverload, "want the reader's error wrapped with %w")
	assert.Equal(t, map[string]int{"freq": 2400}, got,
		"want the good reading, even though another reader failed")
}

// TestEveryErrorNamed checks that when several readers fail, at different
// times, every failure is reported, named, sorted by name, and reachable
// with errors.Is.
func TestEveryErrorNamed(t *testing.T) {
	var running atomic.Int64
	var got map[string]int
	var err error
	inBubble(t, "All of four readers, three of which fail", func() {
		got, err = All(context.Background(), map[string]Reader{
			"scope":  meter(1*time.Second, 0, errNoSignal, &running),
			"power":  meter(2*time.Second, 0, errOverload, &running),
			"freq":   meter(3*time.Second, 2400, nil, &running),
			"analyz": meter(4*time.Second, 0, errNoSignal, &running),
		})
	})
	require.Error(t, err, "All's error, when three readers failed")
	assert.Equal(t, "analyz: no signal\npower: overload\nscope: no signal",
		err.Error(), "want every failure, named, one a line, sorted by name")
	assert.ErrorIs(t, err, errNoSignal, "want each reader's error wrapped with %w")
	assert.ErrorIs(t, err, errOverload, "want each reader's error wrapped with %w")
	assert.Equal(t, map[string]int{"freq": 2400}, got,
		"want the good reading, even though others failed")
}

// TestPanicBecomesAnError checks that a reader that panics fails with an
// error naming it and the panic's value, while the others still complete.
func TestPanicBecomesAnError(t *testing.T) {
	var running atomic.Int64
	var got map[string]int
	var err error
	var took time.Duration
	inBubble(t, "All of a reader that panics and one that answers at 2s", func() {
		begin := time.Now()
		got, err = All(context.Background(), map[string]Reader{
			"broken": func(context.Context) (int, error) {
				panic("driver bug")
			},
			"freq": meter(2*time.Second, 2400, nil, &running),
		})
		took = time.Since(begin)
	})
	require.Error(t, err, "All's error, when a reader panicked")
	assert.Equal(t, "broken: panic: driver bug", err.Error(),
		"want the panic as an error, named")
	assert.Equal(t, map[string]int{"freq": 2400}, got,
		"want the other reader's reading")
	assert.Equal(t, 2*time.Second, took,
		"All returned after this long; want 2s, when the other reader finished")
}

// TestCancelReachesTheReaders checks that All passes ctx to every reader:
// a cancel at 1 s ends readers of 1 h at 1 s, each with its error named.
func TestCancelReachesTheReaders(t *testing.T) {
	var running atomic.Int64
	var err error
	var took time.Duration
	inBubble(t, "All of two readers of 1h, with a deadline at 1s", func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		begin := time.Now()
		_, err = All(ctx, map[string]Reader{
			"a": meter(time.Hour, 1, nil, &running),
			"b": meter(time.Hour, 2, nil, &running),
		})
		took = time.Since(begin)
	})
	assert.Equal(t, time.Second, took,
		"All returned after this long; want 1s, the deadline of its ctx")
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	require.Error(t, err)
	assert.Equal(t, "a: context deadline exceeded\n"+
		"b: context deadline exceeded", err.Error(),
		"want both readers' errors, named")
}
