package integrate

import (
	"fmt"
	"math"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check integrate adds -race), which sees two workers
// writing the same memory even when the result happens to come out right.
//
// Many tests integrate on [0, n] with n strips: then dx is 1 and the ith
// point is exactly i, so that f can tell which point it is called at.
// The tests that check timing run in fake time (testing/synctest), where
// an f that sleeps 1s takes exactly 1s.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// reference is what Serial must compute, written as plainly as possible:
// each block of Block points summed in order, the block sums added in
// block order, the total multiplied by dx.
func reference(f func(float64) float64, a, b float64, n int) float64 {
	dx := (b - a) / float64(n)
	total := 0.0
	for lo := 0; lo < n; lo += Block {
		sum := 0.0
		for i := lo; i < min(lo+Block, n); i++ {
			sum += f(a + float64(float64(i)*dx))
		}
		total += sum
	}
	return total * dx
}

// An integrand is a function and an interval to integrate it on.
type integrand struct {
	name string
	f    func(float64) float64
	a, b float64
}

var integrands = []integrand{
	{"x² on [0, 10]", func(x float64) float64 { return float64(x * x) }, 0, 10},
	{"sin on [0, π]", math.Sin, 0, math.Pi},
	{"1/(1+x) on [0, 1]", func(x float64) float64 { return 1 / (1 + x) }, 0, 1},
}

// sizes are numbers of points that Block does not divide, and that 2 to 8
// workers do not all divide, beside a few that they do.
var sizes = []int{1, 7, Block - 1, Block, Block + 1, 5*Block + 3, 100_003}

// TestSerialIsTheReference checks that Serial, which the exercise gives,
// is still the reference the other tests hold Parallel to.
func TestSerialIsTheReference(t *testing.T) {
	for _, in := range integrands {
		for _, n := range sizes {
			want := reference(in.f, in.a, in.b, n)
			got := Serial(in.f, in.a, in.b, n)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%s, n=%d: Serial %v; want %v", in.name, n, got, want)
		}
	}
}

// TestParallelPanicsOnBadArguments checks that Parallel refuses a number
// of points or of workers below 1, with a message that names it.
func TestParallelPanicsOnBadArguments(t *testing.T) {
	one := func(float64) float64 { return 1 }
	for _, n := range []int{0, -1} {
		assert.PanicsWithValue(t, "integrate: n must be at least 1",
			func() { Parallel(one, 0, 1, n, 4) }, "Parallel with n=%d", n)
	}
	for _, workers := range []int{0, -3} {
		assert.PanicsWithValue(t, "integrate: workers must be at least 1",
			func() { Parallel(one, 0, 1, 10, workers) }, "Parallel with workers=%d", workers)
	}
}

// TestParallelMatchesSerial checks the main promise: for any number of
// workers, Parallel returns exactly the bits of Serial. With 2 workers or
// more, the workers run at once, so a total they all add to is a data race
// that the race detector reports.
func TestParallelMatchesSerial(t *testing.T) {
	for _, in := range integrands {
		for _, n := range sizes {
			want := Serial(in.f, in.a, in.b, n)
			for workers := 1; workers <= 8; workers++ {
				got := Parallel(in.f, in.a, in.b, n, workers)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%s, n=%d, %d workers: Parallel %v; want %v, Serial's bits",
						in.name, n, workers, got, want)
				}
			}
		}
	}
}

// pointCounter is an integrand for [0, n] with n strips: it counts how
// often each point is summed, and returns 1, so that the integral is the
// number of points summed. It is safe for concurrent use.
type pointCounter struct {
	calls []atomic.Int32 // calls[i]: how many times f(i) was called
	bad   atomic.Int32   // calls at anything but 0, 1, ..., n-1
}

func (pc *pointCounter) f(x float64) float64 {
	i := int(x)
	if float64(i) != x || i < 0 || i >= len(pc.calls) {
		pc.bad.Add(1)
	} else {
		pc.calls[i].Add(1)
	}
	return 1
}

// TestEveryPointOnce checks that Parallel sums every point exactly once,
// when Block and workers do not divide n, and with more workers than
// blocks; and that it leaves no goroutine behind.
func TestEveryPointOnce(t *testing.T) {
	for _, n := range []int{1, 5, Block + 1, 3*Block + 7, 10*Block + 5} {
		for _, workers := range []int{1, 2, 3, 4, 7, 8, 16} {
			pc := &pointCounter{calls: make([]atomic.Int32, n)}
			got := Parallel(pc.f, 0, float64(n), n, workers)
			var wrong []string
			for i := range pc.calls {
				if k := pc.calls[i].Load(); k != 1 {
					wrong = append(wrong, fmt.Sprintf("%d: %d times", i, k))
				}
			}
			if len(wrong) > 0 {
				t.Errorf("n=%d, %d workers: %d points not summed once, the first %q",
					n, workers, len(wrong), wrong[:min(3, len(wrong))])
			}
			assert.Zero(t, pc.bad.Load(), "n=%d, %d workers: calls off the points", n, workers)
			assert.Equal(t, float64(n), got, "n=%d, %d workers: the integral of 1 on [0, n]", n, workers)
		}
	}
	// Every goroutine Parallel starts has returned when it returns: none
	// may be left, blocked or running. (goleak.Find gives a goroutine that
	// is just returning a moment to finish.)
	if err := goleak.Find(); err != nil {
		t.Errorf("goroutines left after Parallel returned; want none: every "+
			"goroutine it starts must have returned when it does\n%v", err)
	}
}

// raise sets peak to v if v is larger, atomically.
func raise(peak *atomic.Int32, v int32) {
	for old := peak.Load(); v > old; old = peak.Load() {
		if peak.CompareAndSwap(old, v) {
			return
		}
	}
}

// inBubble runs fn in a synctest bubble, where time is fake: f's sleeps
// take no real time, and time.Since measures them exactly. fn only
// computes; the test asserts afterwards, outside the bubble.
//
// Two wrong answers would otherwise crash or hang the test binary instead
// of failing a test. A Parallel that returns without waiting leaves
// goroutines asleep in f, and a bubble may not end while it has
// goroutines: so after fn we sleep an hour of fake time (no real time at
// all), which lets every such straggler finish. And a goroutine waiting for
// a sync.Mutex is not durably blocked, so fake time cannot advance while
// one waits: code that holds a lock while f sleeps hangs the bubble for
// good. hangcheck.Within turns that hang into a failure of the test after
// hangcheck.Bound of real time.
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

// TestWorkersRunAtOnce checks that the workers compute at the same time,
// and no more of them than asked: f sleeps 1s (fake time) at the first
// point of each of 11 blocks, as if that point were slow. With W workers,
// at most W blocks may be asleep at once, and all 11 must take exactly
// ceil(11/W) s: 11 s on one worker, 6 s on two, 1 s on 11 or more.
func TestWorkersRunAtOnce(t *testing.T) {
	const nBlocks = 11
	const n = (nBlocks-1)*Block + 5 // the last block holds 5 points
	for _, workers := range []int{1, 2, 3, 4, 8, 11, 16} {
		hung := false // a hang would only repeat with more workers
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var asleep, peak atomic.Int32
			slow := func(x float64) float64 {
				if int(x)%Block == 0 {
					raise(&peak, asleep.Add(1))
					time.Sleep(time.Second)
					asleep.Add(-1)
				}
				return 1
			}
			var got float64
			var took time.Duration
			hung = true // until inBubble returns
			inBubble(t, fmt.Sprintf("Parallel of %d blocks on %d workers", nBlocks, workers), func() {
				begin := time.Now()
				got = Parallel(slow, 0, n, n, workers)
				took = time.Since(begin)
			})
			hung = false
			rounds := (nBlocks + workers - 1) / workers
			assert.Equal(t, time.Duration(rounds)*time.Second, took,
				"%d blocks of 1s on %d workers: Parallel took this long; want "+
					"%ds, %d blocks at a time", nBlocks, workers, rounds, min(workers, nBlocks))
			assert.LessOrEqual(t, peak.Load(), int32(workers),
				"blocks computed at once, on %d workers; want at most %d", workers, workers)
			assert.Equal(t, float64(n), got, "the integral of 1 on [0, n]")
		})
		if hung {
			break
		}
	}
}

// TestResultDoesNotDependOnTiming checks that Parallel adds the block sums
// in block order, not in the order the workers finish them. Five blocks
// finish in reverse order (block k sleeps 5-k seconds), and their sums are
// chosen so that the order of addition shows in the result: 1, 2⁵³, -2⁵³,
// 1, 1 add up to 2 in block order (2⁵³+1 rounds to 2⁵³), and to 3 in
// reverse order.
func TestResultDoesNotDependOnTiming(t *testing.T) {
	const nBlocks = 5
	const n = nBlocks * Block
	values := [nBlocks]float64{1, 1 << 53, -(1 << 53), 1, 1}
	f := func(x float64) float64 {
		i := int(x)
		if i%Block != 0 {
			return 0
		}
		k := i / Block
		time.Sleep(time.Duration(nBlocks-k) * time.Second)
		return values[k]
	}
	for _, workers := range []int{5, 8} {
		hung := false // a hang would only repeat with more workers
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			var want, got float64
			var took time.Duration
			hung = true // until inBubble returns
			inBubble(t, fmt.Sprintf("Parallel of %d blocks on %d workers", nBlocks, workers), func() {
				want = Serial(f, 0, n, n)
				begin := time.Now()
				got = Parallel(f, 0, n, n, workers)
				took = time.Since(begin)
			})
			hung = false
			assert.Equal(t, 2.0, want, "Serial")
			assert.Equal(t, 5*time.Second, took,
				"%d blocks on %d workers took this long; want 5s, the slowest block", nBlocks, workers)
			assert.Equal(t, want, got,
				"Parallel; want Serial's result: the block sums added in another order than Serial's")
		})
		if hung {
			break
		}
	}
}
