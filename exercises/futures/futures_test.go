package futures

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
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

// A Quote is what the tests' fetcher returns.
type Quote struct {
	Symbol string
	Price  float64
}

// fetch returns a fetcher that takes d of (fake) time to return q.
func fetch(d time.Duration, q Quote) func() (Quote, error) {
	return func() (Quote, error) {
		time.Sleep(d)
		return q, nil
	}
}

// within is a context for a Result that must return by d: a broken
// future makes Result return DeadlineExceeded instead of hanging.
func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestResultWaitsForTheValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		f := Go(fetch(2*time.Second, Quote{"GOOG", 170}))
		time.Sleep(time.Second)
		assert.False(t, f.Done(), "Done after 1s of a 2s fetch")
		q, err := f.Result(within(t, time.Minute))
		require.NoError(t, err)
		assert.Equal(t, Quote{"GOOG", 170}, q)
		assert.Equal(t, 2*time.Second, time.Since(begin), "Result returned")
		assert.True(t, f.Done(), "Done after Result")
	})
}

func TestResultReturnsTheError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		errDown := errors.New("exchange down")
		f := Go(func() (Quote, error) { return Quote{}, errDown })
		_, err := f.Result(within(t, time.Minute))
		assert.ErrorIs(t, err, errDown)
	})
}

func TestResultHonoursCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		f := Go(fetch(3*time.Second, Quote{"AAPL", 230}))
		_, err := f.Result(within(t, time.Second))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, time.Second, time.Since(begin), "Result gave up")
		assert.False(t, f.Done(), "the fetch goes on")
		// The future is unchanged: a later Result gets the quote.
		q, err := f.Result(within(t, time.Minute))
		require.NoError(t, err)
		assert.Equal(t, Quote{"AAPL", 230}, q)
		assert.Equal(t, 3*time.Second, time.Since(begin))
	})
}

func TestManyWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		f := Go(fetch(time.Second, Quote{"MSFT", 420}))
		var wg sync.WaitGroup
		var got [10]Quote
		var errs [10]error
		var when [10]time.Duration
		for i := range got {
			wg.Go(func() {
				got[i], errs[i] = f.Result(within(t, time.Minute))
				when[i] = time.Since(begin)
			})
		}
		wg.Wait()
		for i := range got {
			assert.NoError(t, errs[i], "waiter %d", i)
			assert.Equal(t, Quote{"MSFT", 420}, got[i], "waiter %d", i)
			assert.Equal(t, time.Second, when[i], "waiter %d", i)
		}
		// And again, once it is done: the same answer, at once.
		q, err := f.Result(within(t, time.Second))
		assert.NoError(t, err)
		assert.Equal(t, Quote{"MSFT", 420}, q)
	})
}

// TestDoneIsRaceFree polls Done while the fetch finishes, with no other
// synchronization: the race detector sees a Done that reads a plain
// field the future's goroutine writes. Each poll yields to the fetch's
// goroutine, so a working future is done after a few polls; the bound
// only stops a Done that never reports true from spinning forever.
func TestDoneIsRaceFree(t *testing.T) {
	f := Go(func() (Quote, error) { return Quote{"IBM", 250}, nil })
	for range 1_000_000 {
		if f.Done() {
			break
		}
		runtime.Gosched()
	}
	require.True(t, f.Done(), "Done still false after a million polls")
	q, err := f.Result(t.Context())
	require.NoError(t, err)
	assert.Equal(t, Quote{"IBM", 250}, q)
}

func TestThenRunsOnceWhenDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		f := Go(fetch(2*time.Second, Quote{"NVDA", 180}))
		var calls [3]atomic.Int64
		order := make(chan int, len(calls)) // room for every callback
		var when atomic.Int64
		for i := range calls {
			f.Then(func(q Quote, err error) {
				assert.NoError(t, err)
				assert.Equal(t, Quote{"NVDA", 180}, q)
				calls[i].Add(1)
				order <- i
				when.Store(int64(time.Since(begin)))
			})
		}
		time.Sleep(time.Second)
		synctest.Wait()
		for i := range calls {
			assert.Zero(t, calls[i].Load(), "callback %d ran before the quote arrived", i)
		}
		_, err := f.Result(within(t, time.Minute))
		require.NoError(t, err)
		time.Sleep(time.Second) // time for the callbacks, after Result
		synctest.Wait()
		for i := range calls {
			assert.Equal(t, int64(1), calls[i].Load(), "callback %d calls", i)
		}
		close(order)
		var got []int
		for i := range order {
			got = append(got, i)
		}
		assert.Equal(t, []int{0, 1, 2}, got, "callbacks in the order added")
		assert.Equal(t, 2*time.Second, time.Duration(when.Load()), "callbacks ran at")
	})
}

// TestThenCallbacksRunOneAfterAnother adds three callbacks that each
// take 1s (fake time) to a fetch of 1s. The future's goroutine calls them
// itself, one after another, in the order they were added: they start at
// exactly 1s, 2s and 3s. Callbacks started each in a goroutine of its own
// would all start at 1s, in any order.
func TestThenCallbacksRunOneAfterAnother(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		f := Go(fetch(time.Second, Quote{"META", 600}))
		starts := make(chan string, 3) // room for every callback
		for i := range 3 {
			f.Then(func(Quote, error) {
				starts <- fmt.Sprintf("callback %d at %v", i, time.Since(begin))
				time.Sleep(time.Second) // a slow callback, in fake time
			})
		}
		time.Sleep(time.Minute) // time for every callback
		synctest.Wait()
		close(starts)
		var got []string
		for s := range starts {
			got = append(got, s)
		}
		assert.Equal(t, []string{"callback 0 at 1s", "callback 1 at 2s", "callback 2 at 3s"},
			got, "callbacks of 1s each, in the order they started, and when; "+
				"want them called one after another on the future's goroutine, "+
				"in the order added, from the moment fn returned (1s)")
	})
}

func TestThenAfterDoneRunsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := Go(fetch(time.Second, Quote{"AMZN", 200}))
		_, err := f.Result(within(t, time.Minute))
		require.NoError(t, err)
		// A plain counter: the callback must run in this goroutine,
		// before Then returns.
		calls := 0
		var got Quote
		f.Then(func(q Quote, _ error) { calls++; got = q })
		assert.Equal(t, 1, calls, "calls of a callback added after the quote arrived")
		assert.Equal(t, Quote{"AMZN", 200}, got)
		f.Then(func(Quote, error) { calls++ })
		assert.Equal(t, 2, calls)
		synctest.Wait()
		assert.Equal(t, 2, calls, "a late callback ran twice")
	})
}

// TestThenMayUseTheFuture has a callback call Result, Done and Then on its
// own future. A future that calls its callbacks while holding its lock
// deadlocks here, which synctest cannot see; hangcheck bounds it.
func TestThenMayUseTheFuture(t *testing.T) {
	hangcheck.Within(t, "a callback using its own future", func() {
		release := make(chan struct{})
		f := Go(func() (Quote, error) {
			<-release
			return Quote{"TSLA", 250}, nil
		})
		inner := make(chan Quote, 1) // the one inner callback never blocks
		f.Then(func(Quote, error) {
			q, _ := f.Result(context.Background())
			_ = f.Done()
			f.Then(func(Quote, error) { inner <- q })
		})
		close(release)
		assert.Equal(t, Quote{"TSLA", 250}, <-inner)
	})
}

// TestThenRacesWithCompletion adds callbacks from many goroutines while
// the fetch finishes: each must run exactly once, whether it was added
// before or after. The fetch and the goroutines wait at a start line, so
// that as many Thens as possible run at the moment fn returns. No test can
// force the interleaving that breaks a Then which checks whether the
// future is done and adds its callback in two separate steps, so we give
// it many chances: under the race detector, which the check uses, a round
// shows it about one time in ten.
func TestThenRacesWithCompletion(t *testing.T) {
	const rounds, adders = 100, 50
	for round := range rounds {
		start := make(chan struct{})
		f := Go(func() (Quote, error) {
			<-start
			return Quote{"X", 1}, nil
		})
		var calls [adders]atomic.Int64
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				<-start
				f.Then(func(Quote, error) { calls[i].Add(1) })
			})
		}
		close(start)
		wg.Wait()
		_, err := f.Result(t.Context())
		require.NoError(t, err)
		// The callbacks added before the end run on the future's
		// goroutine, maybe after Result returns: wait for it to end.
		goleak.VerifyNone(t)
		for i := range calls {
			require.Equal(t, int64(1), calls[i].Load(), "round %d: callback %d "+
				"was called this many times; want exactly once, whether it was "+
				"added before or after fn returned", round+1, i)
		}
	}
}

// TestNoGoroutineLeft starts fetches that nobody waits for with Result:
// their goroutines must still end.
func TestNoGoroutineLeft(t *testing.T) {
	var calls atomic.Int64
	for range 5 {
		f := Go(func() (Quote, error) { return Quote{"ORCL", 150}, nil })
		f.Then(func(Quote, error) { calls.Add(1) })
	}
	goleak.VerifyNone(t)
	assert.Equal(t, int64(5), calls.Load(), "callbacks run")
}
