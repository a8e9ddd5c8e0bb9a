package race

// These tests run under go test -race. The first two call Map and Sum with
// plain goroutines and an f that neither sleeps nor synchronizes, so that
// nothing but Map and Sum themselves orders the goroutines' memory
// accesses, and the race detector sees every access they leave unordered.
// The others run in a synctest bubble, where time is fake, so that f can
// sleep to choose the order in which the calls return, and the tests can
// measure to the nanosecond how long Map and Sum take.

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestMapHasNoDataRace maps 1000 elements. Under -race, two goroutines that
// write the same memory with nothing ordering them fail this test.
func TestMapHasNoDataRace(t *testing.T) {
	in := upTo(1000)
	got := Map(in, func(x int) int { return 3*x + 1 })
	want := make([]int, len(in))
	for i, x := range in {
		want[i] = 3*x + 1
	}
	assert.Equal(t, want, got, "Map(0..999, x => 3x+1): want element i to "+
		"be f(in[i]), every one of the 1000 there, in input order")
}

// TestSumLosesNoUpdates sums 10 000 results. A total that the goroutines
// update without synchronization is a data race (which -race reports), and
// it can lose updates, as in the race lesson.
func TestSumLosesNoUpdates(t *testing.T) {
	got := Sum(upTo(10_000), func(x int) int { return x + 1 })
	assert.Equal(t, 50_005_000, got, "1 + 2 + ... + 10000")
}

// TestMapReturnsResultsInInputOrder makes the calls return in the reverse
// of input order: f sleeps x seconds for element x, and the elements count
// down. Results collected in the order the calls finish come out reversed.
func TestMapReturnsResultsInInputOrder(t *testing.T) {
	in := []int{8, 7, 6, 5, 4, 3, 2, 1}
	var got []int
	inBubble(t, "Map", func() {
		got = Map(in, func(x int) int {
			time.Sleep(time.Duration(x) * time.Second) // f(1) returns first
			return 10 * x
		})
	})
	assert.Equal(t, []int{80, 70, 60, 50, 40, 30, 20, 10}, got,
		"results should be in input order, not in the order the calls returned")
}

// TestMapCallsFConcurrently checks that the calls overlap: 100 calls that
// each sleep 1 s must take exactly 1 s together, not 100 s (one at a time)
// and not 0 s (Map did not wait for them).
func TestMapCallsFConcurrently(t *testing.T) {
	const n = 100
	var got []int
	var elapsed time.Duration
	inBubble(t, "Map", func() {
		start := time.Now()
		got = Map(upTo(n), func(x int) int {
			time.Sleep(time.Second)
			return x * x
		})
		elapsed = time.Since(start)
	})
	assert.Equal(t, time.Second, elapsed,
		"%d calls that each sleep 1s take 1s if they all run at once"+
			" (0s: it did not wait for them)", n)
	want := make([]int, n)
	for x := range n {
		want[x] = x * x
	}
	assert.Equal(t, want, got, "Map(0..99, x => x*x), in input order")
}

// TestSumCallsFConcurrently is TestMapCallsFConcurrently for Sum.
func TestSumCallsFConcurrently(t *testing.T) {
	const n = 100
	var got int
	var elapsed time.Duration
	inBubble(t, "Sum", func() {
		start := time.Now()
		got = Sum(upTo(n), func(x int) int {
			time.Sleep(time.Second)
			return x
		})
		elapsed = time.Since(start)
	})
	assert.Equal(t, time.Second, elapsed,
		"%d calls that each sleep 1s take 1s if they all run at once"+
			" (0s: it did not wait for them)", n)
	assert.Equal(t, 4950, got, "0 + 1 + ... + 99")
}

// TestEmptyInput checks that Map and Sum of no elements give no results and
// a sum of 0, without calling f.
func TestEmptyInput(t *testing.T) {
	var calls atomic.Int64
	f := func(x int) int {
		calls.Add(1)
		return x
	}
	for _, in := range [][]int{nil, {}} {
		assert.Empty(t, Map(in, f), "Map of %#v: want no results", in)
		assert.Zero(t, Sum(in, f), "Sum of %#v: want 0", in)
	}
	assert.Zero(t, calls.Load(), "f was called, with no elements to call it on")
}

// inBubble runs fn in a synctest bubble, where time is fake: f's sleeps
// take no real time, and time.Since measures them exactly. fn only
// computes; the test asserts afterwards, outside the bubble.
//
// Two wrong answers would otherwise crash or hang the test binary instead
// of failing a test. A Map that returns without waiting leaves goroutines
// asleep in f, and a bubble may not end while it has goroutines: so after
// fn we sleep an hour of fake time (no real time at all), which lets every
// such straggler finish. And a goroutine waiting for a sync.Mutex is not
// durably blocked, so fake time cannot advance while one waits: code that
// holds a lock while f sleeps hangs the bubble for good. hangcheck.Within
// turns that hang into a failure of the test after hangcheck.Bound of real
// time.
func inBubble(t *testing.T, what string, fn func()) {
	t.Helper()
	what += " (f sleeps in fake time, which cannot pass while a goroutine" +
		" waits for a sync.Mutex: is f called with a lock held?)"
	hangcheck.Within(t, what, func() {
		synctest.Test(t, func(*testing.T) {
			fn()
			time.Sleep(time.Hour) // stragglers finish; see above
		})
	})
}

// upTo returns the n numbers 0, 1, ..., n-1.
func upTo(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
