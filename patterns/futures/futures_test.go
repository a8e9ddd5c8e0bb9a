package futures

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/internal/panictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sleep is a task that takes d of (fake) time and returns v.
func sleep[T any](d time.Duration, v T) func(context.Context) (T, error) {
	return func(context.Context) (T, error) {
		time.Sleep(d)
		return v, nil
	}
}

// gate returns a task that waits until release is closed, and the channel.
func gate(v int) (func(context.Context) (int, error), chan struct{}) {
	release := make(chan struct{})
	return func(context.Context) (int, error) {
		<-release
		return v, nil
	}, release
}

// newExecutor makes an Executor that the test shuts down at its end.
func newExecutor(t *testing.T, workers int) *Executor {
	e := NewExecutor(workers)
	t.Cleanup(func() { e.ShutdownNow() })
	return e
}

func TestResultReturnsValueAndError(t *testing.T) {
	e := newExecutor(t, 2)
	errBad := errors.New("bad")
	ok := Submit(e, func(context.Context) (string, error) { return "hi", nil })
	bad := Submit(e, func(context.Context) (string, error) { return "", errBad })
	v, err := ok.Result(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "hi", v)
	_, err = bad.Result(t.Context())
	assert.ErrorIs(t, err, errBad)
	// Result may be called again, and gives the same answer.
	v, err = ok.Result(t.Context())
	assert.NoError(t, err)
	assert.Equal(t, "hi", v)
}

func TestResultBlocksUntilDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		begin := time.Now()
		f := Submit(e, sleep(3*time.Second, 7))
		v, err := f.Result(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 7, v)
		assert.Equal(t, 3*time.Second, time.Since(begin))
	})
}

func TestResultHonoursCtxAndLeavesFutureUnchanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		task, release := gate(5)
		f := Submit(e, task)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		begin := time.Now()
		_, err := f.Result(ctx)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(begin))
		assert.True(t, f.Running(), "the task goes on after Result gives up")
		assert.False(t, f.Done())
		assert.False(t, f.Cancelled())
		close(release)
		v, err := f.Result(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 5, v)
	})
}

func TestManyGoroutinesWaitOnOneFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		f := Submit(e, sleep(time.Second, 42))
		var wg sync.WaitGroup
		var got [10]int
		for i := range got {
			wg.Go(func() { got[i], _ = f.Result(context.Background()) })
		}
		wg.Wait()
		for i, v := range got {
			assert.Equal(t, 42, v, "waiter %d", i)
		}
	})
}

func TestAtMostWorkersTasksAtOnce(t *testing.T) {
	for _, tt := range []struct{ workers, tasks int }{{1, 3}, {3, 10}, {4, 4}, {8, 3}} {
		synctest.Test(t, func(t *testing.T) {
			e := NewExecutor(tt.workers)
			var inFlight, peak, ran atomic.Int64
			task := func(context.Context) (int, error) {
				now := inFlight.Add(1)
				defer inFlight.Add(-1)
				for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); {
					p = peak.Load()
				}
				ran.Add(1)
				time.Sleep(time.Second)
				return 0, nil
			}
			begin := time.Now()
			for range tt.tasks {
				Submit(e, task)
			}
			e.Shutdown()
			rounds := (tt.tasks + tt.workers - 1) / tt.workers
			assert.Equal(t, time.Duration(rounds)*time.Second, time.Since(begin),
				"%d tasks on %d workers", tt.tasks, tt.workers)
			assert.Equal(t, int64(min(tt.workers, tt.tasks)), peak.Load(), "most tasks at once")
			assert.Equal(t, int64(tt.tasks), ran.Load(), "tasks run")
		})
	}
}

func TestTasksStartInSubmissionOrder(t *testing.T) {
	e := newExecutor(t, 1)
	var order []int // written by the one worker, read after Shutdown
	for i := range 5 {
		Submit(e, func(context.Context) (int, error) {
			order = append(order, i)
			return i, nil
		})
	}
	e.Shutdown()
	assert.Equal(t, []int{0, 1, 2, 3, 4}, order)
}

func TestStatesPendingRunningFinished(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		first, release := gate(1)
		a := Submit(e, first)
		b := Submit(e, sleep(time.Second, 2))
		synctest.Wait()
		assert.True(t, a.Running(), "a running")
		assert.False(t, a.Done(), "a done")
		assert.False(t, b.Running(), "b running: it waits for the one worker")
		assert.False(t, b.Done(), "b done")
		close(release)
		_, err := b.Result(t.Context())
		require.NoError(t, err)
		for _, f := range []*Future[int]{a, b} {
			assert.False(t, f.Running())
			assert.True(t, f.Done())
			assert.False(t, f.Cancelled())
		}
	})
}

func TestCancelPendingFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		first, release := gate(1)
		Submit(e, first)
		var ran atomic.Bool
		f := Submit(e, func(context.Context) (int, error) { ran.Store(true); return 2, nil })
		var calls atomic.Int64
		f.AddDoneCallback(func(*Future[int]) { calls.Add(1) })
		assert.True(t, f.Cancel(), "Cancel of a pending future")
		assert.Equal(t, int64(1), calls.Load(), "callbacks run in Cancel's goroutine, before it returns")
		assert.True(t, f.Cancelled())
		assert.True(t, f.Done())
		assert.False(t, f.Running())
		assert.True(t, f.Cancel(), "Cancel of a cancelled future")
		_, err := f.Result(t.Context())
		assert.ErrorIs(t, err, ErrCancelled)
		close(release)
		e.Shutdown()
		assert.False(t, ran.Load(), "a cancelled task ran")
		assert.Equal(t, int64(1), calls.Load(), "callback calls")
	})
}

func TestCancelRunningOrFinishedFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		task, release := gate(1)
		f := Submit(e, task)
		synctest.Wait()
		assert.False(t, f.Cancel(), "Cancel of a running future")
		assert.False(t, f.Cancelled())
		close(release)
		v, err := f.Result(t.Context())
		require.NoError(t, err)
		assert.Equal(t, 1, v)
		assert.False(t, f.Cancel(), "Cancel of a finished future")
		assert.False(t, f.Cancelled())
	})
}

func TestTaskPanicBecomesPanicError(t *testing.T) {
	e := newExecutor(t, 1)
	f := Submit(e, func(context.Context) (int, error) { explode(); return 0, nil })
	g := Submit(e, func(context.Context) (int, error) { return 2, nil })
	_, err := f.Result(t.Context())
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "boom", pe.Value)
	assert.Contains(t, string(pe.Stack), "futures.explode(")
	assert.Equal(t, "futures: panic: boom", err.Error())
	v, err := g.Result(t.Context())
	require.NoError(t, err, "the worker goes on after a panic")
	assert.Equal(t, 2, v)
}

// TestPanicErrorShape checks that PanicError has the workbook's one
// panic-error shape (docs/concepts.md, "A panic turned into an error"):
// its message, and what Unwrap, errors.Is and errors.As reach through it.
func TestPanicErrorShape(t *testing.T) {
	panictest.CheckShape(t, "futures",
		func(v any) *PanicError { return &PanicError{Value: v, Stack: []byte("stack")} },
		func(err error) error { return fmt.Errorf("item 3: %w", err) })
}

// TestTaskRuntimeErrorIsReachable checks that a runtime error panic is
// reachable with errors.As through the future's *PanicError.
func TestTaskRuntimeErrorIsReachable(t *testing.T) {
	e := newExecutor(t, 1)
	f := Submit(e, func(context.Context) (int, error) {
		var s []int
		return s[len(s)], nil // index out of range
	})
	_, err := f.Result(t.Context())
	var re runtime.Error
	require.ErrorAs(t, err, &re)
	assert.True(t, strings.HasPrefix(err.Error(),
		"futures: panic: runtime error: index out of range"), err.Error())
}

// explode panics: tests look for its name in a stack.
func explode() { panic("boom") }

func TestShutdownWaitsForPendingAndRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(2)
		var ctxDone atomic.Int64
		var fs []*Future[int]
		for i := range 5 {
			fs = append(fs, Submit(e, func(ctx context.Context) (int, error) {
				time.Sleep(time.Second)
				if ctx.Err() != nil {
					ctxDone.Add(1)
				}
				return i, nil
			}))
		}
		begin := time.Now()
		e.Shutdown()
		assert.Equal(t, 3*time.Second, time.Since(begin), "5 tasks of 1s on 2 workers")
		assert.Zero(t, ctxDone.Load(), "Shutdown cancelled a task's ctx")
		for i, f := range fs {
			assert.True(t, f.Done(), "future %d", i)
			v, err := f.Result(t.Context())
			assert.NoError(t, err)
			assert.Equal(t, i, v)
		}
	})
}

func TestShutdownNowCancelsPendingAndStopsRunning(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		running := Submit(e, func(ctx context.Context) (int, error) {
			<-ctx.Done() // only ShutdownNow ends this task
			return 0, ctx.Err()
		})
		var ran, calls atomic.Int64
		var pending []*Future[int]
		for range 3 {
			f := Submit(e, func(context.Context) (int, error) { ran.Add(1); return 1, nil })
			f.AddDoneCallback(func(*Future[int]) { calls.Add(1) })
			pending = append(pending, f)
		}
		synctest.Wait()
		begin := time.Now()
		e.ShutdownNow()
		assert.Zero(t, time.Since(begin))
		assert.Equal(t, int64(3), calls.Load(), "callbacks of cancelled futures, when Shutdown returns")
		assert.Zero(t, ran.Load(), "pending tasks that ran")
		for _, f := range pending {
			assert.True(t, f.Cancelled())
			_, err := f.Result(t.Context())
			assert.ErrorIs(t, err, ErrCancelled)
		}
		_, err := running.Result(t.Context())
		assert.ErrorIs(t, err, context.Canceled, "the running task saw its ctx cancelled")
		assert.False(t, running.Cancelled(), "a running task is finished, not cancelled")
	})
}

func TestSubmitAfterShutdownFails(t *testing.T) {
	shutdowns := map[string]func(*Executor){
		"Shutdown":    (*Executor).Shutdown,
		"ShutdownNow": (*Executor).ShutdownNow,
	}
	for name, shutdown := range shutdowns {
		t.Run(name, func(t *testing.T) {
			e := NewExecutor(2)
			shutdown(e)
			var ran atomic.Bool
			f := Submit(e, func(context.Context) (int, error) { ran.Store(true); return 1, nil })
			assert.True(t, f.Done())
			_, err := f.Result(t.Context())
			assert.ErrorIs(t, err, ErrShutdown)
			called := false
			f.AddDoneCallback(func(*Future[int]) { called = true })
			assert.True(t, called, "callback on a done future runs at once")
			e.Shutdown() // a second call, of either kind, is fine
			e.ShutdownNow()
			assert.False(t, ran.Load())
			goleak.VerifyNone(t)
		})
	}
}

func TestConcurrentShutdowns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(2)
		for range 4 {
			Submit(e, sleep(time.Second, 0))
		}
		var wg sync.WaitGroup
		var returned [3]time.Duration
		begin := time.Now()
		for i := range returned {
			wg.Go(func() {
				e.Shutdown()
				returned[i] = time.Since(begin)
			})
		}
		wg.Wait()
		for i, d := range returned {
			assert.Equal(t, 2*time.Second, d, "Shutdown %d returned before the tasks finished", i)
		}
	})
}

func TestNewExecutorPanicsOnBadWorkers(t *testing.T) {
	assert.PanicsWithValue(t, "futures: workers must be at least 1", func() { NewExecutor(0) })
}

func TestCallbacksRunOnceInOrderWhenTaskFinishes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		task, release := gate(9)
		f := Submit(e, task)
		got := make(chan string, 10) // room for every callback: none blocks
		for _, name := range []string{"a", "b", "c"} {
			f.AddDoneCallback(func(f *Future[int]) {
				v, err := f.Result(context.Background()) // returns at once
				assert.NoError(t, err)
				assert.Equal(t, 9, v)
				got <- name
			})
		}
		synctest.Wait()
		assert.Empty(t, got, "callbacks before the task finished")
		close(release)
		e.Shutdown()
		close(got)
		var order []string
		for name := range got {
			order = append(order, name)
		}
		assert.Equal(t, []string{"a", "b", "c"}, order)
	})
}

func TestCallbackAddedAfterDoneRunsAtOnce(t *testing.T) {
	e := newExecutor(t, 1)
	f := Submit(e, func(context.Context) (int, error) { return 3, nil })
	_, err := f.Result(t.Context())
	require.NoError(t, err)
	calls := 0 // no lock: the callback must run in this goroutine
	f.AddDoneCallback(func(*Future[int]) { calls++ })
	assert.Equal(t, 1, calls, "callback calls when AddDoneCallback returns")
}

func TestCallbackMayUseItsFuture(t *testing.T) {
	hangcheck.Within(t, "a callback calling its future's methods", func() {
		e := NewExecutor(1)
		defer e.Shutdown()
		f := Submit(e, func(context.Context) (int, error) { return 4, nil })
		inner := make(chan int, 1)
		f.AddDoneCallback(func(f *Future[int]) {
			v, _ := f.Result(context.Background())
			_ = f.Running()
			_ = f.Cancelled()
			_ = f.Cancel()
			f.AddDoneCallback(func(*Future[int]) { inner <- v })
		})
		assert.Equal(t, 4, <-inner)
	})
}

// syncBuffer is a bytes.Buffer the test reads after the writers are done;
// the log.Logger serializes the writes.
func newLogger() (*log.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return log.New(&buf, "", 0), &buf
}

func TestPanickingCallbackIsReportedAndOthersRun(t *testing.T) {
	e := newExecutor(t, 1)
	logger, buf := newLogger()
	e.SetLogger(logger)
	task, release := gate(1)
	f := Submit(e, task)
	var calls atomic.Int64
	f.AddDoneCallback(func(*Future[int]) { calls.Add(1) })
	f.AddDoneCallback(func(*Future[int]) { explode() })
	f.AddDoneCallback(func(*Future[int]) { calls.Add(1) })
	close(release)
	e.Shutdown() // the worker ran the callbacks before it returned
	assert.Equal(t, int64(2), calls.Load(), "callbacks after the panic ran")
	// And a callback added after done panics in our goroutine, caught too.
	f.AddDoneCallback(func(*Future[int]) { explode() })
	out := buf.String()
	assert.Equal(t, 2, strings.Count(out, "futures: done callback panicked: boom"), out)
	assert.Contains(t, out, "futures.explode(", "the report has the stack")
}

func TestMapResultsInInputOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(3)
		defer e.Shutdown()
		// Item x takes 7-x seconds: the last items finish first.
		items := []int{1, 2, 3, 4, 5, 6}
		begin := time.Now()
		out, err := Map(t.Context(), e, func(_ context.Context, x int) (string, error) {
			time.Sleep(time.Duration(7-x) * time.Second)
			return strings.Repeat("x", x), nil
		}, items)
		require.NoError(t, err)
		assert.Equal(t, []string{"x", "xx", "xxx", "xxxx", "xxxxx", "xxxxxx"}, out)
		// Workers take 6,5,4 s; then 3 (at 4s), 2 (at 5s), 1 (at 6s): 7 s.
		assert.Equal(t, 7*time.Second, time.Since(begin))
	})
}

func TestMapEmpty(t *testing.T) {
	e := newExecutor(t, 2)
	out, err := Map(t.Context(), e, func(context.Context, int) (int, error) { return 0, nil }, nil)
	require.NoError(t, err)
	assert.Empty(t, out)
}

func TestMapFirstErrorCancelsTheRest(t *testing.T) {
	errBad := errors.New("bad")
	for _, panics := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			e := NewExecutor(2)
			defer e.Shutdown()
			var started, sawCancel atomic.Int64
			// Item 3 fails half a second after it starts (at 1s); item 2,
			// running beside it, sees its ctx cancelled at 1.5s.
			f := func(ctx context.Context, x int) (int, error) {
				started.Add(1)
				if x == 3 {
					time.Sleep(time.Second / 2)
					if panics {
						explode()
					}
					return 0, errBad
				}
				select {
				case <-time.After(time.Second): // done
					return x, nil
				case <-ctx.Done(): // cancelled by the error
					sawCancel.Add(1)
					return 0, ctx.Err()
				}
			}
			begin := time.Now()
			out, err := Map(t.Context(), e, f, []int{0, 1, 2, 3, 4, 5, 6})
			assert.Equal(t, 1500*time.Millisecond, time.Since(begin))
			assert.Nil(t, out)
			if panics {
				var pe *PanicError
				require.ErrorAs(t, err, &pe)
				assert.Contains(t, string(pe.Stack), "futures.explode(")
			} else {
				assert.ErrorIs(t, err, errBad)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "futures: item 3: "), err.Error())
			assert.Equal(t, int64(4), started.Load(), "calls started (none after the error)")
			assert.Equal(t, int64(1), sawCancel.Load(), "calls that saw the cancel")
		})
	}
}

func TestMapStopsWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(2)
		defer e.Shutdown()
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		var started, inFlight atomic.Int64
		f := func(ctx context.Context, x int) (int, error) {
			started.Add(1)
			inFlight.Add(1)
			defer inFlight.Add(-1)
			select {
			case <-time.After(time.Second): // done
				return x, nil
			case <-ctx.Done(): // cancelled
				return 0, ctx.Err()
			}
		}
		begin := time.Now()
		out, err := Map(ctx, e, f, make([]int, 10))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Nil(t, out)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin))
		assert.Equal(t, int64(4), started.Load(), "calls started")
		assert.Zero(t, inFlight.Load(), "calls still running when Map returned")
	})
}

func TestMapStopsOnShutdownNow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(2)
		var started atomic.Int64
		f := func(ctx context.Context, x int) (int, error) {
			started.Add(1)
			select {
			case <-time.After(time.Second): // done
				return x, nil
			case <-ctx.Done(): // ShutdownNow
				return 0, ctx.Err()
			}
		}
		begin := time.Now()
		var out []int
		var err error
		var returned time.Duration
		var wg sync.WaitGroup
		wg.Go(func() {
			out, err = Map(t.Context(), e, f, make([]int, 6))
			returned = time.Since(begin)
		})
		time.Sleep(time.Second / 2)
		e.ShutdownNow()
		wg.Wait()
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, out)
		assert.Equal(t, time.Second/2, returned)
		assert.Equal(t, int64(2), started.Load(), "calls started")
	})
}

func TestMapAfterShutdownFails(t *testing.T) {
	e := NewExecutor(2)
	e.Shutdown()
	_, err := Map(t.Context(), e, func(_ context.Context, x int) (int, error) { return x, nil }, []int{1})
	assert.ErrorIs(t, err, ErrShutdown)
}

// TestStress submits 10,000 tasks from 20 goroutines and cancels every
// other one as soon as it is submitted, while the workers run the rest.
// Every future must end in exactly one terminal state, consistent with
// what Cancel said and whether its task ran, and every callback must run
// exactly once.
func TestStress(t *testing.T) {
	const submitters, each = 20, 500
	e := NewExecutor(4)
	type record struct {
		f         *Future[int]
		cancelled bool // what Cancel returned
		ran       atomic.Bool
		callbacks atomic.Int64
	}
	records := make([]record, submitters*each)
	var wg sync.WaitGroup
	for s := range submitters {
		wg.Go(func() {
			for j := range each {
				i := s*each + j
				r := &records[i]
				r.f = Submit(e, func(context.Context) (int, error) {
					r.ran.Store(true)
					return i, nil
				})
				r.f.AddDoneCallback(func(*Future[int]) { r.callbacks.Add(1) })
				if i%2 == 0 {
					r.cancelled = r.f.Cancel()
				}
			}
		})
	}
	wg.Wait()
	e.Shutdown()
	var nCancelled int
	for i := range records {
		r := &records[i]
		require.True(t, r.f.Done(), "future %d not done", i)
		require.Equal(t, int64(1), r.callbacks.Load(), "future %d: callback calls", i)
		require.False(t, r.f.Running(), "future %d", i)
		v, err := r.f.Result(t.Context())
		if r.f.Cancelled() {
			nCancelled++
			require.True(t, r.cancelled, "future %d cancelled, but Cancel said false", i)
			require.False(t, r.ran.Load(), "future %d cancelled, but its task ran", i)
			require.ErrorIs(t, err, ErrCancelled, "future %d", i)
		} else {
			require.False(t, r.cancelled, "future %d: Cancel said true, but it is not cancelled", i)
			require.True(t, r.ran.Load(), "future %d finished, but its task never ran", i)
			require.NoError(t, err, "future %d", i)
			require.Equal(t, i, v, "future %d", i)
		}
	}
	t.Logf("%d of %d cancelled before they ran", nCancelled, len(records)/2)
}

// staggered submits tasks that take 3s, 1s and 2s on enough workers,
// the middle one failing with err if err is not nil.
func staggered(e *Executor, err error) []*Future[int] {
	return []*Future[int]{
		Submit(e, sleep(3*time.Second, 3)),
		Submit(e, func(context.Context) (int, error) {
			time.Sleep(time.Second)
			return 1, err
		}),
		Submit(e, sleep(2*time.Second, 2)),
	}
}

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(3)
		defer e.Shutdown()
		fs := staggered(e, nil)
		begin := time.Now()
		var got []int
		var when []time.Duration
		for f := range AsCompleted(t.Context(), fs...) {
			v, err := f.Result(t.Context())
			require.NoError(t, err)
			got = append(got, v)
			when = append(when, time.Since(begin))
		}
		assert.Equal(t, []int{1, 2, 3}, got)
		assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}, when)
		// Done futures come first, in the order given.
		got = got[:0]
		for f := range AsCompleted(t.Context(), fs[2], fs[0]) {
			v, _ := f.Result(t.Context())
			got = append(got, v)
		}
		assert.Equal(t, []int{2, 3}, got)
	})
}

func TestAsCompletedStopsWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(3)
		defer e.Shutdown()
		fs := staggered(e, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		begin := time.Now()
		n := 0
		for range AsCompleted(ctx, fs...) {
			n++
		}
		assert.Equal(t, 1, n, "futures yielded before the deadline")
		assert.ErrorIs(t, ctx.Err(), context.DeadlineExceeded)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin), "the loop ended")
	})
}

func TestAsCompletedBreakLeavesNothingBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(3)
		fs := staggered(e, nil)
		for range AsCompleted(t.Context(), fs...) {
			break
		}
		e.Shutdown() // the remaining callbacks do not block the workers
		for _, f := range fs {
			assert.True(t, f.Done())
		}
	})
}

func TestWait(t *testing.T) {
	errBad := errors.New("bad")
	tests := []struct {
		name     string
		cond     Condition
		err      error // of the 1s task
		want     time.Duration
		wantDone []int // indexes of fs
	}{
		{"AllCompleted", AllCompleted, nil, 3 * time.Second, []int{0, 1, 2}},
		{"FirstCompleted", FirstCompleted, nil, time.Second, []int{1}},
		{"FirstError", FirstError, errBad, time.Second, []int{1}},
		{"FirstError with no error", FirstError, nil, 3 * time.Second, []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				e := NewExecutor(3)
				defer e.Shutdown()
				fs := staggered(e, tt.err)
				begin := time.Now()
				done, notDone, err := Wait(t.Context(), fs, tt.cond)
				require.NoError(t, err)
				assert.Equal(t, tt.want, time.Since(begin))
				var wantDone, wantNotDone []*Future[int]
				for i, f := range fs {
					if slices.Contains(tt.wantDone, i) {
						wantDone = append(wantDone, f)
					} else {
						wantNotDone = append(wantNotDone, f)
					}
				}
				assert.Equal(t, wantDone, done)
				assert.Equal(t, wantNotDone, notDone)
			})
		})
	}
}

func TestWaitCancelledFutureIsNotAnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(1)
		defer e.Shutdown()
		a := Submit(e, sleep(time.Second, 1))
		b := Submit(e, sleep(time.Second, 2))
		require.True(t, b.Cancel())
		begin := time.Now()
		done, notDone, err := Wait(t.Context(), []*Future[int]{a, b}, FirstError)
		require.NoError(t, err)
		assert.Equal(t, time.Second, time.Since(begin), "Wait went on past the cancelled future")
		assert.Len(t, done, 2)
		assert.Empty(t, notDone)
	})
}

func TestWaitStopsWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := NewExecutor(3)
		defer e.Shutdown()
		fs := staggered(e, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		begin := time.Now()
		done, notDone, err := Wait(ctx, fs, AllCompleted)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin))
		assert.Equal(t, []*Future[int]{fs[1]}, done)
		assert.Equal(t, []*Future[int]{fs[0], fs[2]}, notDone)
	})
}
