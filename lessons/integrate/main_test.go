package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example integrates with 1000 points on 3 workers, without the times,
// which are the only part of the output that varies.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-n", "1000", "-workers", "3", "-times=false"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// ∫ x² dx from 0 to 10 = 1000/3 = 333.3333333333333
	// left Riemann sum, n = 1000 points, workers = 3
	//
	// 1. serial loop                 332.83350000000013   error -5.00e-01
	// 2. chunks, local sums          332.8335000000001    error -5.00e-01
	//    bit-identical to the serial loop: false
	// 3. chunks of n/3 = 333         331.83549899999997   error -1.50e+00
	//    they cover 999 of 1000 points: 1 lost
	// 4. blocks of 65536             332.83350000000013   error -5.00e-01
	//    bit-identical with 1 to 8 workers: true
}

// took matches the end of a line that says how long a way took: the only
// text of the output that varies from run to run.
var took = regexp.MustCompile(`  took \S+$`)

// withoutTimes returns lines with the times cut off.
func withoutTimes(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = took.ReplaceAllString(l, "")
	}
	return out
}

// TestOutputMatchesREADME runs the lesson with its default flags and checks
// that it prints the README's "Expected output", line for line, except for
// the times; and that it does print a time on each of the four ways' lines.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	want := readme.Lines(block)

	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	got := readme.Lines(out.String())
	assert.Equal(t, withoutTimes(want), withoutTimes(got))

	timed := 0
	for _, l := range got {
		if took.MatchString(l) {
			timed++
		}
	}
	assert.Equal(t, 4, timed, "lines with a time:\n%s", &out)

	// With -times=false the output is exactly the README's without the
	// times: nothing else varies.
	out.Reset()
	require.NoError(t, run(t.Context(), &out, []string{"-times=false"}))
	assert.Equal(t, withoutTimes(want), readme.Lines(out.String()))
}

// leftSum returns the left Riemann sum of x² on [0, 10] with n strips,
// from its closed form: dx³·(n-1)·n·(2n-1)/6 with dx = 10/n, which is
// 1000/3 - 500/n + 500/(3n²).
func leftSum(n int) float64 {
	fn := float64(n)
	return exact - 500/fn + 500/(3*fn*fn)
}

// TestEveryWayApproximatesTheIntegral checks the numbers: each way returns
// the left Riemann sum of x², up to the rounding of n additions, and so is
// within the rule's bound of the exact integral: for an increasing f the
// left sum falls short by at most (b-a)·(f(b)-f(a))/n, here 1000/n.
func TestEveryWayApproximatesTheIntegral(t *testing.T) {
	ways := []struct {
		name string
		sum  func(n, workers int) float64
	}{
		{"serial", func(n, _ int) float64 { return serial(square, lower, upper, n) }},
		{"chunks", func(n, workers int) float64 {
			return chunks(square, lower, upper, n, workers, evenChunk)
		}},
		{"blocks", func(n, workers int) float64 {
			return blocks(square, lower, upper, n, workers)
		}},
	}
	for _, way := range ways {
		for _, n := range []int{1, 2, 3, 1000, 65537, 1_000_003} {
			for _, workers := range []int{1, 3, 4, 8} {
				t.Run(fmt.Sprintf("%s/n=%d/workers=%d", way.name, n, workers), func(t *testing.T) {
					got := way.sum(n, workers)
					assert.InDelta(t, leftSum(n), got, 1e-9, "the left sum")
					assert.LessOrEqual(t, got, exact, "an increasing f's left sum falls short")
					assert.GreaterOrEqual(t, got, exact-1000/float64(n), "short by more than 1000/n")
				})
			}
		}
	}
}

// pointCounter is an integrand for [0, n] with n strips, where dx = 1 and
// the ith point is exactly i: it counts how often each point is summed, and
// returns 1, so that the integral is the number of points summed.
type pointCounter struct {
	calls []atomic.Int32 // calls[i]: how many times f(i) was called
	bad   atomic.Int32   // calls at anything but 0, 1, ..., n-1
}

func newPointCounter(n int) *pointCounter {
	return &pointCounter{calls: make([]atomic.Int32, n)}
}

func (pc *pointCounter) f(x float64) float64 {
	i := int(x)
	if float64(i) != x || i < 0 || i >= len(pc.calls) {
		pc.bad.Add(1)
		return 1
	}
	pc.calls[i].Add(1)
	return 1
}

// missed returns the points summed other than once, as "i: k times".
func (pc *pointCounter) missed() []string {
	var out []string
	for i := range pc.calls {
		if k := pc.calls[i].Load(); k != 1 {
			out = append(out, fmt.Sprintf("%d: %d times", i, k))
		}
	}
	return out
}

// TestEveryPointSummedOnce checks that the even chunks and the blocks sum
// every point exactly once, when workers does not divide n and when there
// are more workers than points or blocks.
func TestEveryPointSummedOnce(t *testing.T) {
	ways := []struct {
		name string
		sum  func(f func(float64) float64, n, workers int) float64
	}{
		{"chunks", func(f func(float64) float64, n, workers int) float64 {
			return chunks(f, 0, float64(n), n, workers, evenChunk)
		}},
		{"blocks", func(f func(float64) float64, n, workers int) float64 {
			return blocks(f, 0, float64(n), n, workers)
		}},
	}
	for _, way := range ways {
		for _, n := range []int{1, 5, 1001, blockSize + 1, 3*blockSize + 7} {
			for _, workers := range []int{1, 2, 3, 4, 7, 8, 16} {
				t.Run(fmt.Sprintf("%s/n=%d/workers=%d", way.name, n, workers), func(t *testing.T) {
					pc := newPointCounter(n)
					got := way.sum(pc.f, n, workers)
					assert.Zero(t, pc.bad.Load(), "calls off the points")
					assert.Empty(t, pc.missed(), "points not summed exactly once")
					assert.Equal(t, float64(n), got, "the integral of 1 on [0, n]")
					assert.Equal(t, n, covered(n, workers, evenChunk), "covered")
				})
			}
		}
	}
}

// TestNaiveChunksLoseTheRemainder checks the trap: chunks of n/workers
// points miss the last n%workers points, and nothing else.
func TestNaiveChunksLoseTheRemainder(t *testing.T) {
	for _, tt := range []struct{ n, workers int }{
		{10, 4}, {10_000_001, 4}, {1000, 3}, {7, 8}, {12, 4},
	} {
		t.Run(fmt.Sprintf("n=%d/workers=%d", tt.n, tt.workers), func(t *testing.T) {
			lost := tt.n % tt.workers
			assert.Equal(t, tt.n-lost, covered(tt.n, tt.workers, naiveChunk), "covered")
			if tt.n > 100_000 {
				return // counting every call is too slow; covered says it
			}
			pc := newPointCounter(tt.n)
			got := chunks(pc.f, 0, float64(tt.n), tt.n, tt.workers, naiveChunk)
			var want []string
			for i := tt.n - lost; i < tt.n; i++ {
				want = append(want, fmt.Sprintf("%d: 0 times", i))
			}
			assert.Equal(t, want, pc.missed(), "the points missed")
			assert.Equal(t, float64(tt.n-lost), got, "the integral of 1 on [0, n]")
		})
	}
}

// TestChunksOnOneWorkerIsTheSerialLoop checks that with one worker the
// chunks add the same numbers in the same order as the serial loop, so the
// bits are the same; and that with the default flags more workers change
// the last bits, as the README says.
func TestChunksOnOneWorkerIsTheSerialLoop(t *testing.T) {
	for _, n := range []int{1, 1000, 1_000_003} {
		want := serial(square, lower, upper, n)
		got := chunks(square, lower, upper, n, 1, evenChunk)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
			"n=%d: chunks on 1 worker %v; serial %v", n, got, want)
	}
	n := 10_000_001
	assert.NotEqual(t, serial(square, lower, upper, n), chunks(square, lower, upper, n, 4, evenChunk),
		"4 chunks add in another order: the last bits should differ")
}

// blocksReference is what blocks must compute, written as plainly as
// possible on one goroutine: sum each block of blockSize points in order,
// then add the block sums in block order.
func blocksReference(f func(float64) float64, a, b float64, n int) float64 {
	dx := (b - a) / float64(n)
	total := 0.0
	for lo := 0; lo < n; lo += blockSize {
		sum := 0.0
		for i := lo; i < min(lo+blockSize, n); i++ {
			sum += f(a + float64(float64(i)*dx))
		}
		total += sum
	}
	return total * dx
}

// TestBlocksHaveTheSameBitsForAnyWorkers checks the reproducible version:
// for any number of workers, blocks returns exactly the bits of the
// reference, which depends on n alone.
func TestBlocksHaveTheSameBitsForAnyWorkers(t *testing.T) {
	integrands := []struct {
		name string
		f    func(float64) float64
	}{
		{"x²", square},
		{"sin", math.Sin},
		{"1/(1+x)", func(x float64) float64 { return 1 / (1 + x) }},
	}
	for _, in := range integrands {
		for _, n := range []int{1, blockSize - 1, blockSize, 5*blockSize + 3, 1_000_003} {
			want := blocksReference(in.f, lower, upper, n)
			for workers := 1; workers <= 16; workers++ {
				got := blocks(in.f, lower, upper, n, workers)
				if math.Float64bits(got) != math.Float64bits(want) {
					t.Errorf("%s, n=%d, %d workers: %v; want %v, the bits of the reference",
						in.name, n, workers, got, want)
				}
			}
		}
	}
}

// TestWorkersRunAtOnce checks that the goroutines work at the same time,
// in fake time: f sleeps 1 s at the first point of each chunk or block, as
// if that point were slow. W chunks then take 1 s in all, not W s; and nb
// blocks on W workers take ceil(nb/W) s, W of them at a time.
func TestWorkersRunAtOnce(t *testing.T) {
	// slowAt returns an f for [0, n] with n strips (the ith point is i)
	// that sleeps 1 s at each of the points in starts, and the most calls
	// that were ever sleeping at once.
	slowAt := func(starts map[int]bool) (func(float64) float64, *atomic.Int32) {
		var sleeping atomic.Int32
		peak := new(atomic.Int32)
		return func(x float64) float64 {
			if starts[int(x)] {
				raise(peak, sleeping.Add(1))
				time.Sleep(time.Second) // a slow point, in fake time
				sleeping.Add(-1)
			}
			return 1
		}, peak
	}
	for _, workers := range []int{1, 2, 3, 4, 8} {
		t.Run(fmt.Sprintf("chunks/workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = 1001
				starts := map[int]bool{}
				for w := range workers {
					lo, _ := evenChunk(n, workers, w)
					starts[lo] = true
				}
				f, peak := slowAt(starts)
				begin := time.Now()
				chunks(f, 0, n, n, workers, evenChunk)
				assert.Equal(t, time.Second, time.Since(begin), "took")
				assert.Equal(t, int32(workers), peak.Load(), "slow points at once")
			})
		})
	}
	const nBlocks = 7
	for _, workers := range []int{1, 2, 3, 4, 7, 8} {
		t.Run(fmt.Sprintf("blocks/workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const n = (nBlocks-1)*blockSize + 5
				starts := map[int]bool{}
				for k := range nBlocks {
					starts[k*blockSize] = true
				}
				f, peak := slowAt(starts)
				begin := time.Now()
				blocks(f, 0, n, n, workers)
				rounds := (nBlocks + workers - 1) / workers
				assert.Equal(t, time.Duration(rounds)*time.Second, time.Since(begin), "took")
				assert.Equal(t, int32(min(workers, nBlocks)), peak.Load(), "slow blocks at once")
			})
		})
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

// TestCtrlCStopsBetweenSteps checks that run returns ctx.Err() when ctx is
// done, after the step it is in.
func TestCtrlCStopsBetweenSteps(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, []string{"-n", "1000", "-times=false"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, out.String(), "1. serial loop")
	assert.NotContains(t, out.String(), "2. ")
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-n", "0"}, "-n must be from 1 to 1000000000, got 0"},
		{[]string{"-n", "-5"}, "-n must be from 1 to 1000000000, got -5"},
		{[]string{"-n", "1000000001"}, "-n must be from 1 to 1000000000, got 1000000001"},
		{[]string{"-n", "1e7"}, `invalid value "1e7" for flag -n`},
		{[]string{"-workers", "0"}, "-workers must be from 1 to 1024, got 0"},
		{[]string{"-workers", "-1"}, "-workers must be from 1 to 1024, got -1"},
		{[]string{"-workers", "1025"}, "-workers must be from 1 to 1024, got 1025"},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-n", "-workers", "-times"} {
		assert.Contains(t, out.String(), name)
	}
}
