package async

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check async adds -race).
//
// Every test runs inside synctest.Test, where time is fake and exact: a fn
// that takes 1s returns at exactly 1s, and Gather must return at that very
// moment. Every fn the tests pass ends by itself, at the latest after an
// hour of fake time, so that a Gather that forgets to cancel is slow, not
// stuck. A fn that Gather leaves running is waited out at the end of each
// test (outlastFns): a goroutine still blocked when the test function
// returns makes synctest panic, which ends the whole test binary before
// the other tests can report.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNoFns checks that Gather with nothing to run returns an empty result
// and no error, at once.
func TestNoFns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		got, err := Gather[string](t.Context())
		require.NoError(t, err)
		assert.NotNil(t, got, "want an empty slice, not nil")
		assert.Empty(t, got)
		assert.Zero(t, time.Since(begin), "Gather with no fns waited")
	})
}

// TestRunsConcurrently gives Gather five fns that each take 1s. It must
// call them all at once, so that together they take exactly 1s, not 5s.
func TestRunsConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastFns()
		begin := time.Now()
		fakes := make([]*fake, 5)
		for i := range fakes {
			fakes[i] = succeeds(begin, time.Second, fmt.Sprint(i))
		}
		got, err := Gather(t.Context(), fns(fakes)...)
		require.NoError(t, err)
		assert.Equal(t, []string{"0", "1", "2", "3", "4"}, got)
		assert.Equal(t, time.Second, time.Since(begin),
			"5 fns of 1s each: Gather returned after; want 1s, "+
				"because they must run at the same time")
		for i, f := range fakes {
			s := f.snapshot()
			assert.Equal(t, 1, s.calls, "fn %d: calls", i)
			assert.Equal(t, time.Duration(0), s.calledAt, "fn %d: called at", i)
		}
	})
}

// TestResultsInArgumentOrder gives Gather fns that finish in the order 2,
// 0, 1: the results must still come in the order of the fns.
func TestResultsInArgumentOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastFns()
		begin := time.Now()
		got, err := Gather(t.Context(), fns([]*fake{
			succeeds(begin, 2*time.Second, "first"),
			succeeds(begin, 3*time.Second, "second"),
			succeeds(begin, time.Second, "third"),
		})...)
		require.NoError(t, err)
		assert.Equal(t, []string{"first", "second", "third"}, got,
			"want the results in the order of the fns, not of completion")
		assert.Equal(t, 3*time.Second, time.Since(begin),
			"Gather returned after; want the moment the slowest fn returned")
	})
}

// TestFirstErrorCancelsTheRest gives Gather a fn that fails at 2s, one
// that has succeeded at 1s, and two slow ones, one of which takes 500ms to
// stop once cancelled (it closes a connection, say). The slow ones must
// see their ctx done at exactly 2s, with context.Canceled, and Gather must
// return the error at exactly 2.5s, when the last fn has returned: not at
// 2s, leaving a fn still running, and not at 1h, when the slow fns would
// finish.
func TestFirstErrorCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastFns()
		begin := time.Now()
		errBoom := errors.New("boom")
		slow := succeeds(begin, time.Hour, "slow")
		slowToStop := succeeds(begin, time.Hour, "slow to stop")
		slowToStop.stopTakes = 500 * time.Millisecond
		fast := succeeds(begin, time.Second, "fast")
		got, err := Gather(t.Context(), fns([]*fake{
			fast, slow, fails(begin, 2*time.Second, errBoom), slowToStop,
		})...)
		returned := time.Since(begin)

		require.Error(t, err)
		assert.ErrorIs(t, err, errBoom,
			"want the first error, not the cancelled fns' context.Canceled")
		assert.EqualError(t, err, "fn 2: boom", "want the first error alone, "+
			"wrapped with its fn's index; the cancelled fns' errors, which "+
			"came after it, are dropped, not joined to it")
		assert.Nil(t, got, "the results, with an error")
		for name, f := range map[string]*fake{"slow": slow, "slow to stop": slowToStop} {
			s := f.snapshot()
			assert.Equal(t, 2*time.Second, s.doneAt,
				"%s fn: its ctx was done at (-1ns: never); want the moment "+
					"the error came", name)
			assert.ErrorIs(t, s.ctxErr, context.Canceled, "%s fn: its ctx.Err()", name)
		}
		assert.Equal(t, 2500*time.Millisecond, slowToStop.snapshot().returnedAt,
			"the slow-to-stop fn returned at (-1ns: not yet when Gather returned); "+
				"want 2.5s: cancelled at 2s, it takes 500ms to stop")
		assert.Equal(t, 2500*time.Millisecond, returned,
			"Gather returned after; want the moment the last fn returned")
		assert.Equal(t, time.Duration(-1), fast.snapshot().doneAt,
			"the fast fn saw its ctx done while it was still working")
	})
}

// TestCallerContextIsHonoured checks that the fns see the caller's ctx:
// when its deadline passes at 1s, every fn sees its ctx done then, and
// Gather returns their error at 1s. With ctx cancelled before the call,
// the fns see it done at once.
func TestCallerContextIsHonoured(t *testing.T) {
	t.Run("deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			defer outlastFns()
			begin := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			fakes := []*fake{
				succeeds(begin, time.Hour, "a"), succeeds(begin, time.Hour, "b"),
			}
			got, err := Gather(ctx, fns(fakes)...)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			if err != nil {
				assert.Contains(t, []string{
					"fn 0: context deadline exceeded",
					"fn 1: context deadline exceeded",
				}, err.Error(), "want the first fn's error alone, with its index")
			}
			assert.Nil(t, got)
			assert.Equal(t, time.Second, time.Since(begin),
				"Gather returned after; want the caller's 1s deadline")
			for i, f := range fakes {
				assert.Equal(t, time.Second, f.snapshot().doneAt,
					"fn %d: its ctx was done at (-1ns: never)", i)
			}
		})
	})
	t.Run("cancelled before the call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			defer outlastFns()
			begin := time.Now()
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := Gather(ctx, fns([]*fake{succeeds(begin, time.Hour, "a")})...)
			assert.ErrorIs(t, err, context.Canceled)
			assert.Zero(t, time.Since(begin), "Gather with a cancelled ctx waited")
		})
	})
}

// TestNoGoroutineLeftBehind runs Gather with a fn that fails at once and
// a fn that, once cancelled, takes 1s to stop (if it is never cancelled,
// it gives up after an hour). Gather must return after
// that fn, at exactly 1s; and once the bubble is gone, goleak must find no
// goroutine left.
func TestNoGoroutineLeftBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastFns()
		begin := time.Now()
		stopped := make(chan struct{}) // closed when the slow fn returns
		_, err := Gather(t.Context(),
			func(context.Context) (int, error) { return 0, errors.New("fails") },
			func(ctx context.Context) (int, error) {
				defer close(stopped)
				select {
				case <-ctx.Done(): // cancelled: stop slowly
				case <-time.After(time.Hour): // not cancelled: give up
				}
				time.Sleep(time.Second) // a slow stop, in fake time
				return 0, ctx.Err()
			},
		)
		require.Error(t, err)
		select {
		case <-stopped: // the slow fn has returned
		default:
			t.Error("Gather returned before the cancelled fn did")
		}
		assert.Equal(t, time.Second, time.Since(begin),
			"Gather returned after; want the moment the slow fn returned")
	})
	goleak.VerifyNone(t)
}

// outlastFns lets every fn a test started run to its end, however wrong
// Gather is: the slowest takes an hour, plus its time to stop.
func outlastFns() { time.Sleep(2 * time.Hour) }

// A fake is a fn that succeeds or fails after a given time, unless its ctx
// is done first, and records what happened to it, as durations since
// begin (-1: never).
type fake struct {
	begin     time.Time
	takes     time.Duration // until it returns value or err
	value     string
	err       error
	stopTakes time.Duration // from its ctx being done to its return

	mu sync.Mutex // protects the fields below
	record
}

// record is what a fake saw.
type record struct {
	calls                        int
	calledAt, doneAt, returnedAt time.Duration
	ctxErr                       error
}

func succeeds(begin time.Time, takes time.Duration, value string) *fake {
	return &fake{begin: begin, takes: takes, value: value,
		record: record{calledAt: -1, doneAt: -1, returnedAt: -1}}
}

func fails(begin time.Time, takes time.Duration, err error) *fake {
	f := succeeds(begin, takes, "")
	f.err = err
	return f
}

// call is the fn: it waits f.takes or until ctx is done.
func (f *fake) call(ctx context.Context) (string, error) {
	f.mu.Lock()
	f.calls++
	f.calledAt = time.Since(f.begin)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.returnedAt = time.Since(f.begin)
		f.mu.Unlock()
	}()
	timer := time.NewTimer(f.takes)
	defer timer.Stop()
	select {
	case <-timer.C: // done with the work
		return f.value, f.err
	case <-ctx.Done(): // cancelled: stop, which takes f.stopTakes
		f.mu.Lock()
		f.doneAt = time.Since(f.begin)
		f.ctxErr = ctx.Err()
		f.mu.Unlock()
		time.Sleep(f.stopTakes)
		return "", ctx.Err()
	}
}

// snapshot returns what f has recorded so far.
func (f *fake) snapshot() record {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.record
}

// fns returns the fakes' fns, in order.
func fns(fakes []*fake) []func(context.Context) (string, error) {
	out := make([]func(context.Context) (string, error), len(fakes))
	for i, f := range fakes {
		out[i] = f.call
	}
	return out
}
