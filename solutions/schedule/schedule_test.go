package schedule

import (
	"context"
	"errors"
	"fmt"
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
// run ./cmd/workbook check schedule adds -race).
//
// Every test runs inside synctest.Test, where time is fake and exact: with
// a base of 1s, the calls must start at exactly 0s, 1s, 3s and 7s, and a
// cancel at 2s must end Do at 2s, not a moment later. synctest.Test also
// waits for every goroutine started in it to end, and fails if one is left
// blocked for good.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var errFlaky = errors.New("flaky")

// recorder is an op that fails its first fails calls with errFlaky, then
// succeeds, and records when each call started (as time since begin).
type recorder struct {
	begin time.Time
	fails int
	calls []time.Duration
}

func newRecorder(fails int) *recorder {
	return &recorder{begin: time.Now(), fails: fails}
}

func (r *recorder) op(ctx context.Context) error {
	r.calls = append(r.calls, time.Since(r.begin))
	if len(r.calls) <= r.fails {
		return fmt.Errorf("call %d: %w", len(r.calls), errFlaky)
	}
	return nil
}

// seconds turns whole seconds into durations, for readable wants.
func seconds(s ...int) []time.Duration {
	var ds []time.Duration
	for _, n := range s {
		ds = append(ds, time.Duration(n)*time.Second)
	}
	return ds
}

// TestAttemptsAtDoublingTimes checks an op that always fails: 4 attempts,
// at exactly 0s, 1s, 3s and 7s (waits of 1s, 2s, 4s), and then the last
// error, wrapped, at 7s: there is no wait after the last attempt.
func TestAttemptsAtDoublingTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(100)
		err := Do(t.Context(), 4, time.Second, r.op)
		assert.Equal(t, seconds(0, 1, 3, 7), r.calls, "when op was called")
		assert.Equal(t, 7*time.Second, time.Since(r.begin), "Do returned at")
		require.Error(t, err, "Do's error, when every call failed")
		assert.ErrorIs(t, err, errFlaky, "want op's error wrapped with %w")
		assert.Equal(t, "schedule: after 4 attempts: call 4: flaky", err.Error(),
			"want the last call's error, wrapped")
	})
}

// TestOneAttempt checks that attempts is the number of calls, not of
// retries: with 1, op is called once, and its error comes back at once.
func TestOneAttempt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRecorder(100)
		err := Do(t.Context(), 1, time.Second, r.op)
		assert.Equal(t, seconds(0), r.calls, "when op was called")
		assert.Zero(t, time.Since(r.begin), "Do waited")
		assert.EqualError(t, err, "schedule: after 1 attempts: call 1: flaky")
	})
}

// TestSuccessStopsRetrying checks that Do returns nil at the moment op
// first succeeds, and calls it no more.
func TestSuccessStopsRetrying(t *testing.T) {
	for _, tt := range []struct {
		fails int
		want  []time.Duration
	}{
		{0, seconds(0)},
		{1, seconds(0, 2)},
		{2, seconds(0, 2, 6)},
		{4, seconds(0, 2, 6, 14, 30)},
	} {
		t.Run(fmt.Sprintf("after %d failures", tt.fails), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRecorder(tt.fails)
				require.NoError(t, Do(t.Context(), 5, 2*time.Second, r.op))
				assert.Equal(t, tt.want, r.calls, "when op was called")
				assert.Equal(t, tt.want[len(tt.want)-1], time.Since(r.begin),
					"Do returned at")
			})
		})
	}
}

// TestCancelWhileWaiting cancels ctx during the wait between the second
// and third attempts (1s to 3s). Do must return context.Canceled at the
// very moment of the cancel, and never call op again. The cancel comes a
// quarter of a millisecond after 2s, between the steps of a loop that
// polls the clock every millisecond.
func TestCancelWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		cancelAt := 2*time.Second + 250*time.Microsecond
		time.AfterFunc(cancelAt, cancel)
		r := newRecorder(100)
		err := Do(ctx, 10, time.Second, r.op)
		assert.ErrorIs(t, err, context.Canceled, "Do's error, after a cancel")
		assert.Equal(t, cancelAt, time.Since(r.begin),
			"Do returned late: does its wait ignore ctx?")
		time.Sleep(time.Hour)
		assert.Equal(t, seconds(0, 1), r.calls, "op was called after the cancel")
	})
}

// TestReturnsOnlyAfterOpReturns cancels ctx at 2s, in the middle of the
// second call (at 1s). That op sees the cancel at once, but takes 1s to
// stop (it closes a connection, say). Do calls op in the caller's
// goroutine, so it cannot return before op has: it must return
// context.Canceled at exactly 3s, not at 2s with op still running, and
// call op no more.
func TestReturnsOnlyAfterOpReturns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		begin := time.Now()
		time.AfterFunc(2*time.Second, cancel)
		// Atomics, not plain variables: op may still be running in
		// another goroutine when Do returns, if Do is wrong.
		var calls atomic.Int64
		var opReturned atomic.Int64 // time since begin; -1: not yet
		opReturned.Store(-1)
		op := func(ctx context.Context) error {
			if calls.Add(1) == 1 {
				return errFlaky
			}
			<-ctx.Done()
			time.Sleep(time.Second) // a slow stop, in fake time
			opReturned.Store(int64(time.Since(begin)))
			return ctx.Err()
		}
		err := Do(ctx, 5, time.Second, op)
		returned := time.Since(begin)
		stillRunning := opReturned.Load() == -1
		assert.ErrorIs(t, err, context.Canceled)
		assert.False(t, stillRunning, "Do returned at %v while op was still "+
			"running; want Do to wait for op, which it calls in its own "+
			"goroutine, and return at 3s", returned)
		assert.Equal(t, 3*time.Second, returned, "Do returned at; want 3s: "+
			"the cancel came at 2s and op took 1s to stop")
		time.Sleep(time.Hour)
		assert.Equal(t, int64(2), calls.Load(), "calls of op, an hour "+
			"after the cancel; want 2: none after the cancel")
	})
}

// TestDeadlineWhileWaiting gives Do a 5s deadline: the calls at 0s, 1s
// and 3s fail, and the wait until 7s is cut short at exactly 5s with
// context.DeadlineExceeded, itself (not wrapped with op's error).
func TestDeadlineWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		r := newRecorder(100)
		err := Do(ctx, 10, time.Second, r.op)
		assert.Equal(t, context.DeadlineExceeded, err,
			"want ctx.Err() itself, not wrapped, and not op's error")
		assert.Equal(t, 5*time.Second, time.Since(r.begin), "Do returned at")
		assert.Equal(t, seconds(0, 1, 3), r.calls, "when op was called")
	})
}

// TestAlreadyCancelled checks that a ctx done before Do is called makes no
// call at all, and Do returns at once.
func TestAlreadyCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		r := newRecorder(100)
		err := Do(ctx, 3, time.Second, r.op)
		assert.Equal(t, context.Canceled, err, "want ctx.Err() itself")
		assert.Empty(t, r.calls, "op was called with a done ctx")
		assert.Zero(t, time.Since(r.begin), "Do waited")
	})
}

// key is the type of the context key TestOpReceivesCtx looks for.
type key struct{}

// TestOpReceivesCtx checks that op gets the caller's ctx (or one derived
// from it), so that it sees its values and its cancellation.
func TestOpReceivesCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.WithValue(t.Context(), key{}, "request 7")
		calls := 0
		err := Do(ctx, 3, time.Second, func(ctx context.Context) error {
			calls++
			assert.Equal(t, "request 7", ctx.Value(key{}), "the ctx op got")
			return errFlaky
		})
		assert.ErrorIs(t, err, errFlaky, "want op's error wrapped with %w")
		assert.Equal(t, 3, calls, "calls of op, with 3 attempts")
	})
}

// TestBadAttemptsPanics checks that fewer than one attempt is a programming
// error.
func TestBadAttemptsPanics(t *testing.T) {
	for _, n := range []int{0, -1} {
		assert.PanicsWithValue(t,
			fmt.Sprintf("schedule: attempts must be at least 1, got %d", n),
			func() { _ = Do(t.Context(), n, time.Second, newRecorder(0).op) })
	}
}
