package integrate

import (
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests hold in every build. They check the 32-lane kernels through
// their portable definition, portableLanes, whose bits the SIMD build's
// vector kernels must have (simd_amd64_test.go checks that), so the default
// build tests the SIMD build's arithmetic too.

// A blockKernelFunc sums a block: the signature of every kernel.
type blockKernelFunc = func(a, dx, t0 float64, n int) (even, odd float64)

// serialWith returns Serial's result for p, computed with kernel k
// instead of the one this build chooses.
func serialWith(t testing.TB, p Problem, k blockKernelFunc) float64 {
	t.Helper()
	pl, err := newPlan(p)
	require.NoError(t, err)
	pl.kernel = k
	v, err := pl.serial(t.Context())
	require.NoError(t, err)
	return v
}

// lanesKernel returns op's portable 32-lane kernel as a block kernel.
func lanesKernel(op vectorOp) blockKernelFunc {
	return func(a, dx, t0 float64, n int) (float64, float64) {
		return portableLanes(op, a, dx, t0, n)
	}
}

// vectorised returns the registered integrands that have a 32-lane kernel.
func vectorised(t *testing.T) []Integrand {
	var out []Integrand
	for _, in := range Integrands() {
		if in.vector != noVector {
			out = append(out, in)
		}
	}
	require.Len(t, out, 4, "x2, x3, inv1px2 and sqrt1mx2 have a 32-lane kernel")
	return out
}

// TestLanesSumTheSamePointsAsTheScalarKernel: a 32-lane kernel adds the
// same points as the scalar kernel, only in another order and with other
// roundings, so its even and odd sums agree with the scalar kernel's to
// within rounding, for every length: whole groups of 32, tails of every
// length, fewer than 32 points, and none. A dropped tail, a lane added
// twice or a point counted as even that is odd would be off by a whole
// f(x), millions of times the tolerance.
func TestLanesSumTheSamePointsAsTheScalarKernel(t *testing.T) {
	for _, in := range vectorised(t) {
		a, dx := 0.25, 0.75/BlockSize // inside every integrand's domain
		for _, n := range []int{0, 1, 2, 3, 31, 32, 33, 63, 64, 65, 95, 100, 1000, BlockSize - 1, BlockSize} {
			for _, t0 := range []float64{0, 0.5} {
				name := fmt.Sprintf("%s/n=%d/t0=%g", in.Name, n, t0)
				wantEven, wantOdd := in.kernel(a, dx, t0, n)
				even, odd := portableLanes(in.vector, a, dx, t0, n)
				assert.InDelta(t, wantEven, even, 1e-13*max(1, math.Abs(wantEven)), "%s: even sum", name)
				assert.InDelta(t, wantOdd, odd, 1e-13*max(1, math.Abs(wantOdd)), "%s: odd sum", name)
			}
		}
	}
}

// TestLanesMatchTheExactIntegralForEveryRule runs the accuracy cases of
// integrate_test.go with the 32-lane kernel in place of the scalar one:
// every rule, Simpson's weights of the even and odd points included, is
// within its error bound.
func TestLanesMatchTheExactIntegralForEveryRule(t *testing.T) {
	for _, c := range accuracyCases {
		in, err := Lookup(c.F)
		require.NoError(t, err)
		if in.vector == noVector {
			continue
		}
		for _, r := range Rules() {
			p := Problem{F: c.F, A: c.A, B: c.B, N: 3*BlockSize + 1000, Rule: r}
			want, ok := Exact(p)
			require.True(t, ok, c.F)
			got := serialWith(t, p, lanesKernel(in.vector))
			tol := c.tolerance(r, p.N, want)
			assert.InDelta(t, want, got, tol, "%v: error %.3g, tolerance %.3g", p, got-want, tol)
		}
	}
}

// The bits of ∫ x² on [0, 10] with N = 10⁸ (midpoint) are the same with
// both kernels: the float64 nearest the exact 1000/3. The README quotes it.
const x2At1e8 = 333.33333333333331

// TestBothKernelsAreWithin1e12OfTheExactValue computes the Python notes'
// integral, ∫ x² on [0, 10] with N = 10⁸, with the scalar kernel and
// with the 32-lane kernel, in whichever build this is: each is within
// 1e-12 of the exact value, relative (the midpoint rule's own error is
// 2.5e-17 of it), and both have the bits the README quotes: the float64
// nearest 1000/3.
func TestBothKernelsAreWithin1e12OfTheExactValue(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 100_000_000}
	exact, _ := Exact(p)
	in, err := Lookup("x2")
	require.NoError(t, err)
	for _, k := range []struct {
		name   string
		kernel blockKernelFunc
	}{{"scalar", in.kernel}, {"32 lanes", lanesKernel(vecX2)}} {
		got := serialWith(t, p, k.kernel)
		assert.InDelta(t, 0, (got-exact)/exact, 1e-12, "%s kernel: %.17g", k.name, got)
		assert.Equal(t, math.Float64bits(x2At1e8), math.Float64bits(got),
			"%s kernel: got %.17g, the README says %.17g", k.name, got, x2At1e8)
	}
}

// TestWorkerRefusesARequestForAnotherKernel: a worker process sums blocks
// only with the kernel its parent names in the request, so that a worker
// from another build cannot mix other bits into the result unnoticed.
func TestWorkerRefusesARequestForAnotherKernel(t *testing.T) {
	in, err := Lookup("x2")
	require.NoError(t, err)
	req := Chunk{F: "x2", A: 0, B: 10, N: 2*BlockSize + 5, First: 0, Last: 3, Kernel: in.Kernel()}
	resp, err := blockSums(t.Context(), req)
	require.NoError(t, err)
	assert.Len(t, resp.Sums, 3)

	req.Kernel = "SIMD, 16×Float64x2 (a build from elsewhere)"
	_, err = blockSums(t.Context(), req)
	require.Error(t, err)
	assert.Equal(t, fmt.Sprintf("integrate: the parent sums x2 with the kernel %q, this worker with %q: "+
		"not the same build of the program", req.Kernel, in.Kernel()), err.Error())
}

// TestREADMEQuotesBothKernelsBits computes the rows of the README's table
// of the two kernels' bits (How its bits differ from the scalar kernel's)
// whose N is not 10⁸, which TestBothKernelsAreWithin1e12OfTheExactValue
// checks, and finds each row in the README.
func TestREADMEQuotesBothKernelsBits(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		n    int64
	}{{"10⁴", 10_000}, {"1 000 003", 1_000_003}} {
		p := Problem{F: "x2", A: 0, B: 10, N: c.n}
		row := fmt.Sprintf("| %s | %.17g | %.17g |", c.name,
			serialWith(t, p, kernelX2), serialWith(t, p, lanesKernel(vecX2)))
		assert.Contains(t, tableLines(string(readme)), row, "the README's table of both kernels' bits lacks this row")
	}
}
