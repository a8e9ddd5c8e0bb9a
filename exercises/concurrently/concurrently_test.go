package poll

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

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

// TestAllAtOnce checks that the readers run at the same time: readers of
// 1, 2 and 3 s are all running at once, and take exactly 3 s in all, the
// longest, not 6 s, the sum.
func TestAllAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		readers := map[string]Reader{
			"power": meter(1*time.Second, -12, nil, &running),
			"freq":  meter(2*time.Second, 2400, nil, &running),
			"temp":  meter(3*time.Second, 21, nil, &running),
		}
		begin := time.Now()
		done := make(chan struct{})
		var got map[string]int
		var err error
		go func() {
			defer close(done)
			got, err = All(t.Context(), readers)
		}()
		synctest.Wait()
		assert.Equal(t, int64(3), running.Load(),
			"readers running at the start; want all 3")
		<-done
		require.NoError(t, err)
		assert.Equal(t, 3*time.Second, time.Since(begin),
			"took the sum, not the longest: the readers ran one at a time")
		assert.Equal(t, map[string]int{"power": -12, "freq": 2400, "temp": 21},
			got)
	})
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
	got, err := All(t.Context(), readers)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// TestNoReaders checks that no readers give no readings and no error.
func TestNoReaders(t *testing.T) {
	got, err := All(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestOneErrorNamed checks that one failure is reported with the reader's
// name, wraps its error, and leaves the other readings.
func TestOneErrorNamed(t *testing.T) {
	var running atomic.Int64
	got, err := All(t.Context(), map[string]Reader{
		"power": meter(0, 0, errOverload, &running),
		"freq":  meter(0, 2400, nil, &running),
	})
	require.Error(t, err)
	assert.Equal(t, "power: overload", err.Error())
	assert.ErrorIs(t, err, errOverload)
	assert.Equal(t, map[string]int{"freq": 2400}, got)
}

// TestEveryErrorNamed checks that when several readers fail, at different
// times, every failure is reported, named, sorted by name, and reachable
// with errors.Is.
func TestEveryErrorNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		got, err := All(t.Context(), map[string]Reader{
			"scope":  meter(1*time.Second, 0, errNoSignal, &running),
			"power":  meter(2*time.Second, 0, errOverload, &running),
			"freq":   meter(3*time.Second, 2400, nil, &running),
			"analyz": meter(4*time.Second, 0, errNoSignal, &running),
		})
		require.Error(t, err)
		assert.Equal(t, "analyz: no signal\npower: overload\nscope: no signal",
			err.Error())
		assert.ErrorIs(t, err, errNoSignal)
		assert.ErrorIs(t, err, errOverload)
		assert.Equal(t, map[string]int{"freq": 2400}, got)
	})
}

// TestPanicBecomesAnError checks that a reader that panics fails with an
// error naming it and the panic's value, while the others still complete.
func TestPanicBecomesAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		begin := time.Now()
		got, err := All(t.Context(), map[string]Reader{
			"broken": func(context.Context) (int, error) {
				panic("driver bug")
			},
			"freq": meter(2*time.Second, 2400, nil, &running),
		})
		require.Error(t, err)
		assert.Equal(t, "broken: panic: driver bug", err.Error())
		assert.Equal(t, map[string]int{"freq": 2400}, got)
		assert.Equal(t, 2*time.Second, time.Since(begin),
			"All returned before the other reader finished")
	})
}

// TestCancelReachesTheReaders checks that All passes ctx to every reader:
// a cancel at 1 s ends readers of 1 h at 1 s, each with its error named.
func TestCancelReachesTheReaders(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		var running atomic.Int64
		begin := time.Now()
		_, err := All(ctx, map[string]Reader{
			"a": meter(time.Hour, 1, nil, &running),
			"b": meter(time.Hour, 2, nil, &running),
		})
		assert.Equal(t, time.Second, time.Since(begin))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		require.Error(t, err)
		assert.Equal(t, "a: context deadline exceeded\n"+
			"b: context deadline exceeded", err.Error())
	})
}
