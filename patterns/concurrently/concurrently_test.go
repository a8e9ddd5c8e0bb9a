package concurrently_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/panictest"
	"github.com/concurrency-workbook/workbook/patterns/concurrently"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// after returns a call that waits d of fake time (or until ctx is done,
// returning ctx.Err()) and then returns v and err. It counts itself in
// running.
func after(d time.Duration, v int, err error, running *atomic.Int64) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if running != nil {
			running.Add(1)
			defer running.Add(-1)
		}
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C: // the work is done
			return v, err
		case <-ctx.Done(): // stopped early
			return 0, ctx.Err()
		}
	}
}

var (
	errA = errors.New("a broke")
	errB = errors.New("b broke")
)

// TestRunRunsAllAtOnce checks that Run starts every call at once: calls of
// 1, 2 and 3 s take 3 s in all, not 6, and all three run together.
func TestRunRunsAllAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running atomic.Int64
		begin := time.Now()
		done := make(chan struct{})
		var out map[string]int
		var err error
		go func() {
			defer close(done)
			out, err = concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
				"one":   after(1*time.Second, 1, nil, &running),
				"two":   after(2*time.Second, 2, nil, &running),
				"three": after(3*time.Second, 3, nil, &running),
			})
		}()
		synctest.Wait()
		assert.Equal(t, int64(3), running.Load(), "calls running at the start")
		<-done
		require.NoError(t, err)
		assert.Equal(t, 3*time.Second, time.Since(begin), "the longest call, not the sum")
		assert.Equal(t, map[string]int{"one": 1, "two": 2, "three": 3}, out)
	})
}

// TestRunNoCalls checks that no calls give an empty map and no error.
func TestRunNoCalls(t *testing.T) {
	out, err := concurrently.Run[int](t.Context(), nil)
	require.NoError(t, err)
	assert.NotNil(t, out)
	assert.Empty(t, out)
}

// TestRunOneFailure checks that a single failure comes back as a
// *CallError that names the call and wraps its error, with a nil map.
func TestRunOneFailure(t *testing.T) {
	out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"a": after(0, 0, errA, nil),
		"b": after(0, 2, nil, nil),
	})
	assert.Nil(t, out)
	require.ErrorIs(t, err, errA)
	var ce *concurrently.CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "a", ce.Name)
	assert.Equal(t, "a: a broke", err.Error())
	var many *concurrently.ConcurrentError
	assert.False(t, errors.As(err, &many), "one failure is not a ConcurrentError")
}

// TestRunSeveralFailures checks that several failures come back as a
// *ConcurrentError listing each, sorted by name, reachable by errors.Is.
func TestRunSeveralFailures(t *testing.T) {
	out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"b": after(0, 0, errB, nil),
		"c": after(0, 3, nil, nil),
		"a": after(0, 0, errA, nil),
	})
	assert.Nil(t, out)
	var many *concurrently.ConcurrentError
	require.ErrorAs(t, err, &many)
	require.Len(t, many.Failures, 2)
	assert.Equal(t, "a", many.Failures[0].Name)
	assert.Equal(t, "b", many.Failures[1].Name)
	assert.ErrorIs(t, err, errA)
	assert.ErrorIs(t, err, errB)
	assert.Equal(t, "2 calls failed: a: a broke; b: b broke", err.Error())
}

// TestRunCatch checks that Catch keeps the successful results beside the
// error.
func TestRunCatch(t *testing.T) {
	out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"a": after(0, 0, errA, nil),
		"b": after(0, 2, nil, nil),
		"c": after(0, 3, nil, nil),
	}, concurrently.Catch())
	assert.Equal(t, map[string]int{"b": 2, "c": 3}, out)
	assert.ErrorIs(t, err, errA)
}

// TestRunWithoutFailFastRunsAll checks that, without FailFast, a failure at
// 1 s leaves a 5 s call to finish: Run returns at 5 s with its result.
func TestRunWithoutFailFastRunsAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
			"a":    after(time.Second, 0, errA, nil),
			"slow": after(5*time.Second, 5, nil, nil),
		}, concurrently.Catch())
		assert.Equal(t, 5*time.Second, time.Since(begin))
		assert.Equal(t, map[string]int{"slow": 5}, out)
		assert.Equal(t, "a: a broke", err.Error())
	})
}

// TestRunFailFast checks that with FailFast a failure at 1 s cancels the
// other calls at exactly 1 s, with the failure as the ctx's cause, and that
// the calls it stopped are left out of the error.
func TestRunFailFast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var cause error
		begin := time.Now()
		out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
			"a":     after(time.Second, 0, errA, nil),
			"quick": after(time.Second/2, 7, nil, nil),
			"slow1": after(5*time.Second, 5, nil, nil),
			"slow2": func(ctx context.Context) (int, error) {
				<-ctx.Done()
				cause = context.Cause(ctx)
				return 0, fmt.Errorf("stopped: %w", ctx.Err())
			},
		}, concurrently.FailFast(), concurrently.Catch())
		assert.Equal(t, time.Second, time.Since(begin))
		assert.Equal(t, map[string]int{"quick": 7}, out)
		var ce *concurrently.CallError
		require.ErrorAs(t, err, &ce, "the only failure, not a ConcurrentError")
		assert.Equal(t, "a: a broke", err.Error())
		assert.ErrorIs(t, cause, errA)
	})
}

// TestRunFailFastKeepsOtherFailures checks that with FailFast a call that
// fails on its own after the cancel is still reported.
func TestRunFailFastKeepsOtherFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
			"a": after(time.Second, 0, errA, nil),
			"b": func(ctx context.Context) (int, error) {
				<-ctx.Done()
				return 0, errB // ignores why it was stopped
			},
		}, concurrently.FailFast())
		assert.Nil(t, out)
		assert.Equal(t, "2 calls failed: a: a broke; b: b broke", err.Error())
	})
}

// TestRunCallerCancel checks that a cancel of the caller's ctx reaches the
// calls, and that their ctx.Err() is a failure even with FailFast.
func TestRunCallerCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		begin := time.Now()
		_, err := concurrently.Run(ctx, map[string]func(context.Context) (int, error){
			"a": after(time.Hour, 1, nil, nil),
			"b": after(time.Hour, 2, nil, nil),
		}, concurrently.FailFast())
		assert.Equal(t, time.Second, time.Since(begin))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, "2 calls failed: a: context deadline exceeded;"+
			" b: context deadline exceeded", err.Error())
	})
}

// explode panics: the test looks for its name in the stack.
func explode() { panic("boom") }

// TestRunPanicBecomesAnError checks that a panicking call fails with a
// *PanicError holding the value and a stack naming the function, while the
// other calls complete.
func TestRunPanicBecomesAnError(t *testing.T) {
	out, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"bad": func(context.Context) (int, error) { explode(); return 0, nil },
		"ok":  after(0, 1, nil, nil),
	}, concurrently.Catch())
	assert.Equal(t, map[string]int{"ok": 1}, out)
	var pe *concurrently.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "concurrently_test.explode(")
	assert.Equal(t, "bad: concurrently: panic: boom", err.Error())
}

// TestPanicErrorUnwrapsAnErrorValue checks that a runtime error panic is
// reachable with errors.As.
func TestPanicErrorUnwrapsAnErrorValue(t *testing.T) {
	_, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"index": func(context.Context) (int, error) {
			var s []int
			return s[len(s)], nil // index out of range
		},
	})
	var re interface{ RuntimeError() }
	require.ErrorAs(t, err, &re)
	assert.True(t, strings.HasPrefix(err.Error(), "index: concurrently: panic: runtime error: index out of range"))
}

// TestPanicErrorShape checks that PanicError has the workbook's one
// panic-error shape (docs/concepts.md, "A panic turned into an error"):
// its message, and what Unwrap, errors.Is and errors.As reach through it.
func TestPanicErrorShape(t *testing.T) {
	panictest.CheckShape(t, "concurrently",
		func(v any) *concurrently.PanicError {
			return &concurrently.PanicError{Value: v, Stack: []byte("stack")}
		},
		func(err error) error { return &concurrently.CallError{Name: "x", Err: err} })
}

// TestPanicWithAnErrorIsReachable checks that a call that panics with an
// error value fails with an error that errors.Is matches, through its
// CallError and its PanicError.
func TestPanicWithAnErrorIsReachable(t *testing.T) {
	_, err := concurrently.Run(t.Context(), map[string]func(context.Context) (int, error){
		"bad": func(context.Context) (int, error) { panic(errA) },
	})
	assert.ErrorIs(t, err, errA)
	var pe *concurrently.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Same(t, errA, pe.Unwrap())
	assert.Equal(t, "bad: concurrently: panic: a broke", err.Error())
}

// TestNilCallPanics checks that a nil function is a bug reported before
// any call starts.
func TestNilCallPanics(t *testing.T) {
	var called atomic.Bool
	calls := map[string]func(context.Context) (int, error){
		"a": func(context.Context) (int, error) { called.Store(true); return 0, nil },
		"b": nil,
	}
	assert.PanicsWithValue(t, `concurrently: call "b" is nil`, func() {
		_, _ = concurrently.Run(t.Context(), calls)
	})
	assert.PanicsWithValue(t, `concurrently: call "b" is nil`, func() {
		_, _ = concurrently.Sequentially(t.Context(), calls)
	})
	assert.False(t, called.Load())
}

// TestSequentiallyInNameOrder checks that Sequentially calls one at a time
// in sorted order: calls of 1, 2 and 3 s take 6 s.
func TestSequentiallyInNameOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var order []string
		var running atomic.Int64
		step := func(name string, d time.Duration, v int) func(context.Context) (int, error) {
			f := after(d, v, nil, &running)
			return func(ctx context.Context) (int, error) {
				order = append(order, name) // one at a time: no lock
				assert.Zero(t, running.Load(), "another call is running")
				return f(ctx)
			}
		}
		begin := time.Now()
		out, err := concurrently.Sequentially(t.Context(), map[string]func(context.Context) (int, error){
			"c": step("c", 3*time.Second, 3),
			"a": step("a", 1*time.Second, 1),
			"b": step("b", 2*time.Second, 2),
		})
		require.NoError(t, err)
		assert.Equal(t, 6*time.Second, time.Since(begin))
		assert.Equal(t, []string{"a", "b", "c"}, order)
		assert.Equal(t, map[string]int{"a": 1, "b": 2, "c": 3}, out)
	})
}

// TestSequentiallyStopsAtFirstError checks that no call follows a failure,
// at exactly the failure's time, and what Catch returns.
func TestSequentiallyStopsAtFirstError(t *testing.T) {
	for _, catch := range []bool{false, true} {
		t.Run(fmt.Sprintf("catch=%t", catch), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var opts []concurrently.Option
				if catch {
					opts = append(opts, concurrently.Catch())
				}
				var calledC atomic.Bool
				begin := time.Now()
				out, err := concurrently.Sequentially(t.Context(), map[string]func(context.Context) (int, error){
					"a": after(time.Second, 1, nil, nil),
					"b": after(2*time.Second, 0, errB, nil),
					"c": func(context.Context) (int, error) { calledC.Store(true); return 3, nil },
				}, opts...)
				assert.Equal(t, 3*time.Second, time.Since(begin))
				assert.False(t, calledC.Load(), "c was called after b failed")
				assert.ErrorIs(t, err, errB)
				assert.Equal(t, "b: b broke", err.Error())
				if catch {
					assert.Equal(t, map[string]int{"a": 1}, out)
				} else {
					assert.Nil(t, out)
				}
			})
		})
	}
}

// TestSequentiallyPanic checks that a panic in Sequentially is a
// *PanicError too.
func TestSequentiallyPanic(t *testing.T) {
	_, err := concurrently.Sequentially(t.Context(), map[string]func(context.Context) (int, error){
		"bad": func(context.Context) (int, error) { explode(); return 0, nil },
	})
	var pe *concurrently.PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "bad: concurrently: panic: boom", err.Error())
}

// TestSequentiallyStopsWhenCtxIsDone checks that a cancel between calls
// stops Sequentially with the ctx's cause.
func TestSequentiallyStopsWhenCtxIsDone(t *testing.T) {
	ctx, cancel := context.WithCancelCause(t.Context())
	errStop := errors.New("operator stop")
	var calledB atomic.Bool
	out, err := concurrently.Sequentially(ctx, map[string]func(context.Context) (int, error){
		"a": func(context.Context) (int, error) { cancel(errStop); return 1, nil },
		"b": func(context.Context) (int, error) { calledB.Store(true); return 2, nil },
	}, concurrently.Catch())
	assert.Same(t, errStop, err)
	assert.Equal(t, map[string]int{"a": 1}, out)
	assert.False(t, calledB.Load())
}
