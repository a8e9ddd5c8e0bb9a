package cond

import (
	"errors"
	"fmt"
	"slices"
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

// The tests use only the exported API, so that they test the stub and the
// solution alike, and they run under the race detector (go run
// ./cmd/workbook check cond adds -race).
//
// Every test in which something waits runs inside synctest.Test. There,
// time is fake and exact, and a goroutine asleep in sync.Cond.Wait is
// durably blocked: once synctest.Wait returns, every other goroutine of
// the test is asleep or done, so "this Get is still blocked" is a fact,
// not a guess. A goroutine that nothing can ever wake again makes synctest
// panic ("deadlock: all goroutines in bubble are blocked"), which fails
// the test and ends the test binary. So the tests that such a bug would
// hang come last, each after checking, and reporting, what it can first.
//
// A goroutine blocked on the queue's sync.Mutex, though, is not durably
// blocked: a Put or Get that returns while still holding the lock would
// hang a synctest test for good, with no message. So the tests that close
// a queue check first, outside any bubble and bounded in real time by
// hangcheck, that the calls which end in ErrClosed let go of the lock.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNewPanicsBelowCapacityOne checks that a queue that could never hold
// an item is refused: every Put on it would block forever.
func TestNewPanicsBelowCapacityOne(t *testing.T) {
	for _, capacity := range []int{0, -1} {
		assert.PanicsWithValue(t, "cond: capacity must be at least 1",
			func() { New[int](capacity) }, "New(%d)", capacity)
	}
}

// TestQueueIsFIFO checks, with no waiting at all, that items come out in
// the order they went in, many times over, so that a ring buffer also
// wraps around, and that Len follows along.
func TestQueueIsFIFO(t *testing.T) {
	q := mustNew[string](t, 3)
	assert.Equal(t, 0, q.Len(), "Len of a new queue")
	for _, v := range []string{"a", "b", "c"} {
		require.NoError(t, q.Put(v), "Put(%q)", v)
	}
	assert.Equal(t, 3, q.Len(), "Len after 3 Puts")
	want := []string{"a", "b", "c"}
	for i := range 10 {
		v, err := q.Get()
		require.NoError(t, err, "Get %d", i+1)
		require.Equal(t, want[0], v, "Get %d: want the oldest item", i+1)
		next := string(rune('d' + i))
		require.NoError(t, q.Put(next), "Put(%q)", next)
		want = append(want[1:], next)
		require.Equal(t, 3, q.Len(), "Len after Get %d and a Put", i+1)
	}
	for _, w := range want {
		v, err := q.Get()
		require.NoError(t, err)
		assert.Equal(t, w, v, "draining the queue")
	}
	assert.Equal(t, 0, q.Len(), "Len after draining the queue")
}

// TestPutBlocksWhileFull checks that a Put on a full queue waits, however
// long, and returns at the very moment a Get makes room, with its item in
// the queue behind the others.
func TestPutBlocksWhileFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := mustNew[int](t, 2)
		require.NoError(t, q.Put(1))
		require.NoError(t, q.Put(2))

		start := time.Now()
		var returnedAt time.Duration
		errc := make(chan error, 1) // Put's result; the goroutine never waits to send
		go func() {
			err := q.Put(3)
			returnedAt = time.Since(start)
			errc <- err
		}()
		synctest.Wait()
		require.Zero(t, len(errc), "Put returned while the queue was full")
		assert.Equal(t, 2, q.Len(), "Len while a Put waits on a full queue of 2")
		time.Sleep(time.Hour)
		require.Zero(t, len(errc), "Put returned while the queue was full")

		v, err := q.Get()
		require.NoError(t, err)
		assert.Equal(t, 1, v, "Get from the full queue")
		require.NoError(t, <-errc, "Put after a Get made room")
		assert.Equal(t, time.Hour, returnedAt,
			"Put returned after; want the moment the Get made room")
		assert.Equal(t, 2, q.Len(), "Len after the waiting Put went in")
		for _, want := range []int{2, 3} {
			v, err := q.Get()
			require.NoError(t, err)
			assert.Equal(t, want, v, "FIFO order, the waiting Put's item last")
		}
	})
}

// TestGetBlocksWhileEmpty checks that a Get on an empty queue waits,
// however long, and returns the item at the very moment a Put adds it.
func TestGetBlocksWhileEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := mustNew[string](t, 1)
		start := time.Now()
		var got string
		var returnedAt time.Duration
		errc := make(chan error, 1) // Get's error; the goroutine never waits to send
		go func() {
			v, err := q.Get()
			got, returnedAt = v, time.Since(start)
			errc <- err
		}()
		synctest.Wait()
		require.Zero(t, len(errc), "Get returned while the queue was empty")
		time.Sleep(time.Hour)
		require.Zero(t, len(errc), "Get returned while the queue was empty")

		require.NoError(t, q.Put("x"))
		require.NoError(t, <-errc, "Get after a Put")
		assert.Equal(t, "x", got, "Get after a Put")
		assert.Equal(t, time.Hour, returnedAt,
			"Get returned after; want the moment the Put added the item")
		assert.Equal(t, 0, q.Len(), "Len after the item was taken")
	})
}

// TestOneItemReleasesOneGet blocks three Gets on an empty queue, then puts
// one item at a time. Each item must release exactly one Get: every Get
// that is woken and finds the item already taken by another must wait
// again, not return. A Get that waits in an if, rather than a for loop,
// returns empty-handed as soon as it is woken for an item another Get
// took first.
func TestOneItemReleasesOneGet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := mustNew[int](t, 1)
		type result struct {
			v   int
			err error
		}
		results := make(chan result, 3) // one slot per Get: none waits to report
		for range 3 {
			go func() {
				v, err := q.Get()
				results <- result{v, err}
			}()
		}
		synctest.Wait()
		require.Zero(t, len(results), "a Get returned from an empty queue")

		for i := 1; i <= 3; i++ {
			require.NoError(t, q.Put(i), "Put(%d)", i)
			synctest.Wait()
			require.Equal(t, i, len(results), "Gets returned once %d items "+
				"were put, one at a time; want %d: a Get woken for an item that "+
				"another Get took first must wait again (Wait goes in a for "+
				"loop)", i, i)
		}
		close(results)
		var got []int
		for r := range results {
			assert.NoError(t, r.err, "a Get on an open queue")
			got = append(got, r.v)
		}
		slices.Sort(got)
		assert.Equal(t, []int{1, 2, 3}, got, "the items the Gets returned")
	})
}

// TestOneFreeSlotReleasesOnePut blocks three Puts on a full queue of one,
// then takes one item at a time. Each free slot must let exactly one Put
// in, and the queue must never hold more than its capacity.
func TestOneFreeSlotReleasesOnePut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := mustNew[int](t, 1)
		require.NoError(t, q.Put(0))
		errs := make(chan error, 3) // one slot per Put: none waits to report
		for i := 1; i <= 3; i++ {
			go func() { errs <- q.Put(i) }()
		}
		synctest.Wait()
		require.Zero(t, len(errs), "a Put returned while the queue was full")

		var got []int
		for i := 1; i <= 3; i++ {
			v, err := q.Get()
			require.NoError(t, err, "Get %d", i)
			got = append(got, v)
			synctest.Wait()
			require.Equal(t, i, len(errs), "Puts returned once %d items "+
				"were taken, one at a time; want %d: a Put woken for a slot "+
				"that another Put took first must wait again (Wait goes in a "+
				"for loop)", i, i)
			require.Equal(t, 1, q.Len(),
				"Len after %d Gets: a queue of capacity 1 holds at most 1 item", i)
		}
		v, err := q.Get()
		require.NoError(t, err)
		got = append(got, v)
		close(errs)
		for err := range errs {
			assert.NoError(t, err, "a Put on an open queue")
		}
		assert.Equal(t, 0, got[0], "the item that was in the queue comes out first")
		slices.Sort(got)
		assert.Equal(t, []int{0, 1, 2, 3}, got, "the items the Gets returned")
	})
}

// TestCloseWakesEveryWaiter blocks three Puts on a full queue and three
// Gets on an empty one, and closes both. Every one of them must return
// ErrClosed at once: Close must wake all the waiters (Broadcast), not one
// (Signal) or none, and each woken Put or Get must stop waiting once the
// queue is closed. The item already in the full queue stays there, and no
// blocked Put adds its item. If a waiter is left blocked, nothing can wake
// it: after reporting, the test waits for it, and synctest reports the
// deadlock.
func TestCloseWakesEveryWaiter(t *testing.T) {
	requireClosedQueueUnlocks(t)
	synctest.Test(t, func(t *testing.T) {
		full, empty := mustNew[int](t, 1), mustNew[int](t, 1)
		require.NoError(t, full.Put(0))
		putErrs := make(chan error, 3) // one slot per Put: none waits to report
		getErrs := make(chan error, 3) // one slot per Get
		var wg sync.WaitGroup
		for i := 1; i <= 3; i++ {
			wg.Go(func() { putErrs <- full.Put(i) })
			wg.Go(func() {
				_, err := empty.Get()
				getErrs <- err
			})
		}
		synctest.Wait()
		require.Zero(t, len(putErrs), "a Put returned while the queue was full")
		require.Zero(t, len(getErrs), "a Get returned while the queue was empty")

		start := time.Now()
		full.Close()
		empty.Close()
		synctest.Wait()
		assert.Equal(t, 3, len(putErrs), "Puts that returned after Close, "+
			"of 3 blocked on a full queue: Close must wake every waiter "+
			"(Broadcast, not Signal), and a woken Put must not wait again on "+
			"a closed queue")
		assert.Equal(t, 3, len(getErrs), "Gets that returned after Close, "+
			"of 3 blocked on an empty queue: Close must wake every waiter "+
			"(Broadcast, not Signal), and a woken Get must not wait again on "+
			"a closed queue")

		wg.Wait() // a deadlock here: some Put or Get was never woken
		assert.Equal(t, time.Duration(0), time.Since(start),
			"the waiters returned this long after Close")
		close(putErrs)
		close(getErrs)
		for err := range putErrs {
			assert.ErrorIs(t, err, ErrClosed, "a Put woken by Close")
		}
		for err := range getErrs {
			assert.ErrorIs(t, err, ErrClosed,
				"a Get woken by Close on an empty queue")
		}
		assert.Equal(t, 1, full.Len(), "Len of the full queue after Close: "+
			"a Put woken by Close must not add its item")
		v, err := full.Get()
		assert.NoError(t, err, "Get of the item left in a closed queue")
		assert.Equal(t, 0, v, "the item left in the closed queue")
	})
}

// TestGetDrainsAfterClose checks what Close leaves behind: Put fails at
// once, and Get returns the items that were in the queue, oldest first,
// then ErrClosed, without blocking, as often as it is called. A second
// Close changes nothing. Nothing here should wait, so the calls run
// outside synctest, bounded by hangcheck: a Get that waits on a closed
// queue, or a Put or Get that returns ErrClosed without unlocking, fails
// the test after a few seconds instead of hanging it.
func TestGetDrainsAfterClose(t *testing.T) {
	q := mustNew[string](t, 3)
	require.NoError(t, q.Put("a"))
	require.NoError(t, q.Put("b"))

	// We record what we see and check it once hangcheck is done: a test
	// must not fail from a goroutine it started.
	type got struct {
		v   string
		err error
	}
	var lenAfterClose, lenAfterPut, lenAfterDrain int
	var putErr error
	var gets []got
	hangcheck.Within(t, "Put, Get and Len on a closed queue", func() {
		q.Close()
		lenAfterClose = q.Len()
		putErr = q.Put("c")
		lenAfterPut = q.Len()
		q.Close()
		for range 4 {
			v, err := q.Get()
			gets = append(gets, got{v, err})
		}
		lenAfterDrain = q.Len()
	})
	assert.Equal(t, 2, lenAfterClose, "Len after Close: the items stay")
	assert.ErrorIs(t, putErr, ErrClosed, "Put after Close")
	assert.Equal(t, 2, lenAfterPut, "Len after a Put on the closed queue")
	want := []got{{"a", nil}, {"b", nil}, {"", ErrClosed}, {"", ErrClosed}}
	assert.Equal(t, want, gets, "four Gets on a closed queue that held "+
		"\"a\" and \"b\": want the two items, oldest first, then the zero "+
		"value and ErrClosed, again and again")
	assert.Equal(t, 0, lenAfterDrain, "Len after draining")
}

// requireClosedQueueUnlocks checks, in real time and outside any synctest
// bubble, that Put and Get on a closed queue return and let go of the
// queue's lock. A Put or Get that returns ErrClosed early and skips its
// Unlock leaves the lock held for good, and every later call waits for it.
// synctest cannot see a goroutine blocked on a sync.Mutex, so the tests
// that block waiters in a bubble and close their queue call this first:
// such a bug then fails them with a message instead of hanging them.
func requireClosedQueueUnlocks(t *testing.T) {
	t.Helper()
	q := mustNew[int](t, 1)
	hangcheck.Within(t, "Put, Get and Len on a closed queue, each called "+
		"after the one before had returned ErrClosed", func() {
		q.Close()
		_ = q.Put(1)
		_ = q.Put(2)
		_, _ = q.Get()
		_, _ = q.Get()
		_ = q.Len()
	})
}

// TestManyProducersAndConsumers runs 8 producers and 8 consumers on a
// queue of 3, with no pauses, so that they block and wake all the time,
// then closes it. Every item must come out exactly once; each consumer
// must see each producer's items in the order they were put; no Get may
// return ErrClosed before Close; and Len, sampled all along, must stay
// within the capacity. The race detector checks the rest. This is the
// test most likely to catch a bug that needs unlucky timing, such as a Put
// or Get that waits in an if while the queue wakes one waiter at a time;
// but it cannot catch it on every run.
func TestManyProducersAndConsumers(t *testing.T) {
	const producers, consumers, perProducer, capacity = 8, 8, 500, 3
	requireClosedQueueUnlocks(t)
	synctest.Test(t, func(t *testing.T) {
		q := mustNew[int](t, capacity)
		var closed atomic.Bool // set just before Close
		var putErrs, earlyClosed, otherErrs, tooLong atomic.Int64
		got := make([][]int, consumers) // consumer j writes only got[j]
		var pwg, cwg sync.WaitGroup
		for j := range consumers {
			cwg.Go(func() {
				for {
					v, err := q.Get()
					switch {
					case errors.Is(err, ErrClosed) && !closed.Load():
						earlyClosed.Add(1)
						return
					case errors.Is(err, ErrClosed):
						return
					case err != nil:
						otherErrs.Add(1)
						return
					}
					got[j] = append(got[j], v)
					if q.Len() > capacity {
						tooLong.Add(1)
					}
				}
			})
		}
		for p := range producers {
			pwg.Go(func() {
				for k := range perProducer {
					// Producer p puts p*perProducer+1, +2, ...: no zero.
					if err := q.Put(p*perProducer + k + 1); err != nil {
						putErrs.Add(1)
					}
					if q.Len() > capacity {
						tooLong.Add(1)
					}
				}
			})
		}
		pwg.Wait()
		closed.Store(true)
		q.Close()
		cwg.Wait() // a deadlock here: a Get was never woken

		assert.Zero(t, putErrs.Load(), "Puts that failed on an open queue")
		assert.Zero(t, earlyClosed.Load(),
			"Gets that returned ErrClosed before Close")
		assert.Zero(t, otherErrs.Load(),
			"Gets that returned an error other than ErrClosed")
		assert.Zero(t, tooLong.Load(),
			"times Len was above the capacity, %d", capacity)
		var all []int
		// disorder counts the items a consumer got after a later item from
		// the same producer (or twice); firstDisorder describes the first.
		var disorder int
		var firstDisorder string
		for j, items := range got {
			all = append(all, items...)
			last := make(map[int]int) // producer -> its last item this consumer got
			for _, v := range items {
				p := (v - 1) / perProducer
				if v <= last[p] {
					if disorder == 0 {
						firstDisorder = fmt.Sprintf("consumer %d got %d after %d",
							j+1, v, last[p])
					}
					disorder++
				}
				last[p] = v
			}
		}
		assert.Zero(t, disorder, "items that a consumer got after a later item "+
			"from the same producer, or twice (the first: %s)", firstDisorder)
		slices.Sort(all)
		want := make([]int, producers*perProducer)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(want, all) {
			t.Errorf("the consumers got %d items; want each of 1..%d exactly once",
				len(all), len(want))
		}
	})
}

// mustNew calls New and stops the test if it returns nil.
func mustNew[T any](t *testing.T, capacity int) *Queue[T] {
	t.Helper()
	q := New[T](capacity)
	require.NotNil(t, q, "New returned nil")
	return q
}
