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

// Example computes the integral with 1000 points on 3 workers, without
// the times and the build, the only parts of the output that vary. The
// same test runs in the default and in the SIMD build: the output, bits
// and all, is the same in both.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-n", "1000", "-workers", "3", "-times=false"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// ∫ x² dx from 0 to 10 = 1000/3 = 333.3333333333333
	// midpoint rule, n = 1000 points, workers = 3
	//
	// 1. scalar, 1 running sum         333.3332500000001    error -8.33e-05
	// 2. scalar, 4 running sums        333.33324999999996   error -8.33e-05
	// 3. 4 lanes                       333.33324999999996   error -8.33e-05
	//    the same bits as 2: true
	// 4. 32 lanes, fused multiply-add  333.33325000000013   error -8.33e-05
	//    the same bits as 32 portable running sums: true
	// 5. step 4 in blocks of 65536     333.33325000000013   error -8.33e-05
	//    the same bits with 1 to 8 workers: true
}

// took matches the end of a line that says how long a way took.
var took = regexp.MustCompile(`  took \S+$`)

// numbersOnly returns lines without the times and the build lines: what
// is the same in every build, on every machine.
func numbersOnly(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "build:") || strings.HasPrefix(l, "       ") {
			continue
		}
		out = append(out, took.ReplaceAllString(l, ""))
	}
	return out
}

// buildLines returns the lines of out that say which build ran.
func buildLines(out string) []string {
	var lines []string
	for _, l := range readme.Lines(out) {
		if strings.HasPrefix(l, "build:") || strings.HasPrefix(l, "       ") {
			lines = append(lines, strings.TrimSpace(strings.TrimPrefix(l, "build:")))
		}
	}
	return lines
}

// TestOutputMatchesREADME runs the lesson with its default flags and checks
// that it prints the README's "Expected output", line for line, except for
// the times and the build, which the build's own test checks
// (TestBuildLines); that it prints a time on each of the five ways' lines
// and says which build ran; and that with -times=false it prints exactly
// the rest.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	want := readme.Lines(block)

	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	got := readme.Lines(out.String())
	assert.Equal(t, numbersOnly(want), numbersOnly(got))
	assert.Equal(t, build(), buildLines(out.String()), "the build lines")

	timed := 0
	for _, l := range got {
		if took.MatchString(l) {
			timed++
		}
	}
	assert.Equal(t, 5, timed, "lines with a time:\n%s", &out)

	out.Reset()
	require.NoError(t, run(t.Context(), &out, []string{"-times=false"}))
	assert.Equal(t, numbersOnly(want), readme.Lines(out.String()))
}

// midpointSum returns the midpoint rule for x² on [0, 10] with n strips,
// from its closed form: dx³·Σ(i+½)² = dx³·(n³/3 - n/12) with dx = 10/n,
// which is 1000/3 - 250/(3n²).
func midpointSum(n int) float64 {
	fn := float64(n)
	return exact - 250/(3*fn*fn)
}

// kernels are the lesson's kernels, by name, in this build.
var kernels = []struct {
	name string
	k    kernel
}{
	{"sum1", sum1}, {"sum4", sum4}, {"lanes4", lanes4},
	{"sum32", sum32}, {"lanes32", lanes32},
}

// TestEveryWayApproximatesTheIntegral checks the numbers: each kernel
// returns the midpoint sum up to the rounding of n additions, and that is
// within the rule's own error, 250/(3n²), of the integral; so do the
// blocks, on any number of workers.
func TestEveryWayApproximatesTheIntegral(t *testing.T) {
	for _, n := range []int{1, 2, 3, 31, 33, 1000, blockSize + 5, 1_000_003} {
		for _, kn := range kernels {
			got := midpoint(kn.k, lower, upper, n)
			assert.InDelta(t, midpointSum(n), got, 1e-9, "%s, n=%d", kn.name, n)
		}
		for _, workers := range []int{1, 3, 8} {
			got := blocks(lanes32, lower, upper, n, workers)
			assert.InDelta(t, midpointSum(n), got, 1e-9, "blocks, n=%d, %d workers", n, workers)
		}
	}
}

// TestEveryPointSummedOnce uses points that are whole numbers (a = 0,
// dx = 1, t0 = 0: the points 0, 1, ..., n-1), whose squares and sums are
// exact: every kernel must return exactly 0² + 1² + ... + (n-1)², which a
// kernel that drops the tail, sums a point twice or starts a lane at the
// wrong point misses.
func TestEveryPointSummedOnce(t *testing.T) {
	for n := range 200 {
		want := float64((n - 1) * n * (2*n - 1) / 6)
		for _, kn := range kernels {
			if got := kn.k(0, 1, 0, n); got != want {
				t.Errorf("%s over the points 0..%d: %v; want %v", kn.name, n-1, got, want)
			}
		}
	}
}

// reference computes the sum of x² over the points a + (t0+j)·dx the way
// the lesson defines its lane sums, written as plainly as possible: lane
// k of L sums the points j ≡ k (mod L) of the whole groups of L, the
// lanes are folded in halves, then the rest of the points are added in
// order; with fused, every x·x + sum is one FMA.
func reference(L int, fused bool, a, dx, t0 float64, n int) float64 {
	add := func(sum, x float64) float64 {
		if fused {
			return math.FMA(x, x, sum)
		}
		return sum + float64(x*x)
	}
	lane := make([]float64, L)
	whole := n / L * L
	for j := range whole {
		lane[j%L] = add(lane[j%L], a+float64((t0+float64(j))*dx))
	}
	for half := L / 2; half >= 1; half /= 2 {
		for k := range half {
			lane[k] = lane[k] + lane[k+half]
		}
	}
	sum := lane[0]
	for j := whole; j < n; j++ {
		sum = add(sum, a+float64((t0+float64(j))*dx))
	}
	return sum
}

// TestLanesHaveTheBitsOfTheirDefinition checks that the kernels of this
// build give exactly the bits of the lesson's definitions, for lengths
// around every multiple of the lane count, odd starting points and
// intervals: lanes4 and sum4 those of four lanes with separate roundings,
// lanes32 and sum32 those of 32 lanes with fused multiply-adds, and sum1
// those of one lane.
func TestLanesHaveTheBitsOfTheirDefinition(t *testing.T) {
	checkBits(t, "sum1", sum1, 1, false)
	checkBits(t, "sum4", sum4, 4, false)
	checkBits(t, "lanes4", lanes4, 4, false)
	checkBits(t, "sum32", sum32, 32, true)
	checkBits(t, "lanes32", lanes32, 32, true)
}

// checkBits checks that k gives the bits of reference(L, fused, ...) on
// many inputs.
func checkBits(t *testing.T, name string, k kernel, L int, fused bool) {
	t.Helper()
	inputs := []struct{ a, dx, t0 float64 }{
		{0, 0.01, 0.5}, {-3.7, 1.0 / 3, 0}, {1e3, 1e-7, 12345.5},
	}
	lengths := []int{0, 1, 1_000_003}
	for n := range 4*L + 3 {
		lengths = append(lengths, n)
	}
	for _, in := range inputs {
		for _, n := range lengths {
			want := reference(L, fused, in.a, in.dx, in.t0, n)
			if got := k(in.a, in.dx, in.t0, n); math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%s(a=%v, dx=%v, t0=%v, n=%d) = %v; want %v, the bits of %d lanes",
					name, in.a, in.dx, in.t0, n, got, want, L)
			}
		}
	}
}

// blocksReference is what blocks must compute, on one goroutine: step 4's
// kernel on each block, the block sums added in block order.
func blocksReference(a, b float64, n int) float64 {
	dx := (b - a) / float64(n)
	total := 0.0
	for lo := 0; lo < n; lo += blockSize {
		total += sum32(a, dx, float64(lo)+0.5, min(lo+blockSize, n)-lo)
	}
	return total * dx
}

// TestBlocksHaveTheSameBitsForAnyWorkers checks that for any number of
// workers the blocks give exactly the bits of the plain reference.
func TestBlocksHaveTheSameBitsForAnyWorkers(t *testing.T) {
	for _, n := range []int{1, blockSize - 1, blockSize, 5*blockSize + 3} {
		want := blocksReference(lower, upper, n)
		for workers := 1; workers <= 16; workers++ {
			got := blocks(lanes32, lower, upper, n, workers)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("n=%d, %d workers: %v; want %v, the bits of the reference", n, workers, got, want)
			}
		}
	}
}

// TestWorkersRunAtOnce checks, in fake time, that the blocks' goroutines
// work at the same time: a kernel that sleeps 1 s per block makes 7
// blocks on W workers take ceil(7/W) s, W of them asleep at once.
func TestWorkersRunAtOnce(t *testing.T) {
	const nBlocks = 7
	for _, workers := range []int{1, 2, 3, 4, 7, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var sleeping, peak atomic.Int32
				slow := func(a, dx, t0 float64, n int) float64 {
					raise(&peak, sleeping.Add(1))
					time.Sleep(time.Second) // a slow block, in fake time
					sleeping.Add(-1)
					return sum32(a, dx, t0, n)
				}
				n := (nBlocks-1)*blockSize + 5
				begin := time.Now()
				got := blocks(slow, lower, upper, n, workers)
				rounds := (nBlocks + workers - 1) / workers
				assert.Equal(t, time.Duration(rounds)*time.Second, time.Since(begin), "took")
				assert.Equal(t, int32(min(workers, nBlocks)), peak.Load(), "blocks summed at once")
				assert.Equal(t, blocksReference(lower, upper, n), got, "the sum")
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
	assert.Contains(t, out.String(), "1. scalar")
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
		{[]string{"-workers", "1025"}, "-workers must be from 1 to 1024, got 1025"},
		{[]string{"-lanes", "8"}, "flag provided but not defined: -lanes"},
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
