package integrate

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accuracyCase is an integrand on an interval, with bounds on the
// derivatives the rules' error formulas need: |f'| ≤ M1, |f″| ≤ M2,
// |f⁗| ≤ M4 on [A, B].
type accuracyCase struct {
	F          string
	A, B       float64
	M1, M2, M4 float64
	// Singular marks an integrand whose derivative is unbounded at an
	// end, so the formulas do not apply (see tolerance).
	Singular bool
}

var accuracyCases = []accuracyCase{
	{F: "x2", A: 0, B: 10, M1: 20, M2: 2, M4: 0},
	{F: "x3", A: -1, B: 2, M1: 12, M2: 12, M4: 0},
	{F: "sin", A: 0, B: math.Pi, M1: 1, M2: 1, M4: 1},
	{F: "cos", A: 0, B: 2, M1: 1, M2: 1, M4: 1},
	{F: "exp", A: 0, B: 1, M1: math.E, M2: math.E, M4: math.E},
	{F: "inv1px2", A: 0, B: 1, M1: 3, M2: 8, M4: 96},
	{F: "sqrt1mx2", A: 0, B: 1, Singular: true},
	{F: "gauss", A: 0, B: 2, M1: 1, M2: 2, M4: 12},
	{F: "sinx2", A: 0, B: 3, M1: 6, M2: 38, M4: 1800},
}

// tolerance is the largest error the rule's error formula allows with n
// intervals, plus room for rounding: 1e-13 relative to the integral. For
// √(1-x²) on [0, 1], whose derivative is infinite at 1, the last interval
// dominates: its error is about h^1.5, and the left rule adds h/2 (the
// function falls from 1 to 0).
func (c accuracyCase) tolerance(r Rule, n int64, integral float64) float64 {
	w := c.B - c.A
	h := w / float64(n)
	var bound float64
	switch {
	case c.Singular && r == Left:
		bound = h/2 + math.Pow(h, 1.5)
	case c.Singular:
		bound = math.Pow(h, 1.5)
	case r == Left:
		bound = w * h * c.M1 / 2
	case r == Midpoint:
		bound = w * h * h * c.M2 / 24
	case r == Trapezoid:
		bound = w * h * h * c.M2 / 12
	case r == Simpson:
		bound = w * math.Pow(h, 4) * c.M4 / 180
	}
	return bound + 1e-13*max(1, math.Abs(integral))
}

func TestEveryIntegrandAndRuleMatchesTheExactIntegral(t *testing.T) {
	require.Len(t, accuracyCases, len(Integrands()), "a case for every integrand")
	// 3 full blocks and a partial one, and even, for Simpson.
	const n = 3*BlockSize + 1000
	for _, c := range accuracyCases {
		for _, r := range Rules() {
			t.Run(c.F+"/"+r.String(), func(t *testing.T) {
				p := Problem{F: c.F, A: c.A, B: c.B, N: n, Rule: r}
				want, ok := Exact(p)
				if !ok {
					// No closed form: Simpson's rule with 64 times more
					// intervals is 64⁴ times closer than our bound.
					require.Equal(t, "sinx2", c.F, "only sinx2 lacks an antiderivative")
					ref := p
					ref.N, ref.Rule = 64*n, Simpson
					var err error
					want, err = Serial(t.Context(), ref)
					require.NoError(t, err)
				}
				got, err := Serial(t.Context(), p)
				require.NoError(t, err)
				tol := c.tolerance(r, n, want)
				assert.InDelta(t, want, got, tol, "error %.3g, tolerance %.3g", got-want, tol)
			})
		}
	}
}

// TestMidpointErrorIsTheTheoreticalOne checks that the computed midpoint
// sum for x² misses the integral by exactly the rule's error, (b-a)h²/12
// for f = x² (f″ = 2), to within two units in the last place of the
// result: the summation adds almost nothing to it. A plain loop, summing
// left to right, adds far more at n = 10⁷.
func TestMidpointErrorIsTheTheoreticalOne(t *testing.T) {
	const ulp = 5.684341886080802e-14 // of 333.33
	exact := 1000.0 / 3
	for _, n := range []int64{1e5, 1e6, 1e7} {
		p := Problem{F: "x2", A: 0, B: 10, N: n}
		got, err := Serial(t.Context(), p)
		require.NoError(t, err)
		h := 10 / float64(n)
		theory := 10 * h * h / 12
		assert.InDelta(t, theory, exact-got, 2*ulp, "n=%d: error %.4g, theory %.4g", n, exact-got, theory)
	}
	naive := naiveSum(x2, 0, 10, 1e7, Midpoint)
	h := 10 / 1e7
	assert.Greater(t, math.Abs(exact-naive-10*h*h/12), 100*ulp,
		"the naive loop's rounding error at n=1e7 is well above the accurate sum's")
}

// naiveSum is the Python notes' loop, s += f(x) left to right, for the
// left and midpoint rules: the baseline the accuracy table compares with.
func naiveSum(f func(float64) float64, a, b float64, n int64, r Rule) float64 {
	dx := (b - a) / float64(n)
	off := 0.0
	if r == Midpoint {
		off = 0.5
	}
	s := 0.0
	for i := range n {
		s += f(a + (float64(i)+off)*dx)
	}
	return s * dx
}

// sameBitsCases are problems whose n is not a multiple of the block size
// nor of any worker count tested.
var sameBitsCases = []Problem{
	{F: "x2", A: 0, B: 10, N: 1_000_003, Rule: Midpoint},
	{F: "sin", A: -1, B: 4, N: 3*BlockSize + 5, Rule: Left},
	{F: "gauss", A: -2, B: 3, N: 1_000_002, Rule: Simpson},
	{F: "inv1px2", A: 0, B: 1, N: BlockSize - 1, Rule: Trapezoid},
	{F: "exp", A: 0, B: 1, N: 1, Rule: Midpoint},
}

var workerCounts = []int{1, 2, 3, 4, 7, 8}

func TestGoroutinesGiveSerialsBitsForEveryWorkerCount(t *testing.T) {
	for _, p := range sameBitsCases {
		want, err := Serial(t.Context(), p)
		require.NoError(t, err)
		for _, w := range workerCounts {
			got, err := Goroutines(t.Context(), p, w)
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%v, %d workers: got %v, serial %v", p, w, got, want)
		}
	}
}

// TestFuncGivesTheRegisteredIntegrandsBits: a Problem.Func runs the
// scalar kernel's loop through a func value, so it gives the bits of the
// registered integrand's scalar kernel, in every build. (In the SIMD
// build, Serial runs x2 and inv1px2 with their vector kernels, whose bits
// differ: TestSIMDBuildUsesTheVectorKernelInEveryMode checks those.)
func TestFuncGivesTheRegisteredIntegrandsBits(t *testing.T) {
	for _, p := range sameBitsCases {
		in, err := Lookup(p.F)
		require.NoError(t, err)
		want := serialWith(t, p, in.kernel)
		fp := p
		fp.F, fp.Func = "", in.F
		got, err := Serial(t.Context(), fp)
		require.NoError(t, err)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v: Serial with Func", p)
		got, err = Goroutines(t.Context(), fp, 3)
		require.NoError(t, err)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v: Goroutines with Func", p)
	}
}

// TestNaiveChunkedSumIsNotReproducible shows the problem the block design
// solves: the Python notes' threading_integrate, which splits the interval
// into one chunk per thread and adds the chunks' sums, gets different bits
// for different thread counts.
func TestNaiveChunkedSumIsNotReproducible(t *testing.T) {
	chunked := func(threads int) float64 {
		const a, b, n = 0.0, 10.0, 1_000_000
		dx := (b - a) / n
		total := 0.0
		for c := range int64(threads) {
			first, last := n*c/int64(threads), n*(c+1)/int64(threads)
			s := 0.0
			for i := first; i < last; i++ {
				x := a + (float64(i)+0.5)*dx
				s += x * x
			}
			total += s
		}
		return total * dx
	}
	seen := map[uint64]bool{}
	for _, w := range workerCounts {
		seen[math.Float64bits(chunked(w))] = true
	}
	assert.Greater(t, len(seen), 1, "naive chunked sums differ between thread counts")
}

func TestBadInputIsRejectedByEveryMode(t *testing.T) {
	ok := Problem{F: "x2", A: 0, B: 10, N: 1000}
	with := func(change func(*Problem)) Problem {
		p := ok
		change(&p)
		return p
	}
	for _, tc := range []struct {
		name string
		p    Problem
		want string
	}{
		{"n zero", with(func(p *Problem) { p.N = 0 }), "n = 0; need at least 1 interval"},
		{"n negative", with(func(p *Problem) { p.N = -5 }), "n = -5"},
		{"n too large", with(func(p *Problem) { p.N = MaxN + 1 }), "is more than MaxN = 68719476736"},
		{"a equals b", with(func(p *Problem) { p.A = 10 }), "need a < b; got a = 10, b = 10"},
		{"a above b", with(func(p *Problem) { p.A, p.B = 3, 1 }), "need a < b; got a = 3, b = 1"},
		{"a NaN", with(func(p *Problem) { p.A = math.NaN() }), "bound a is NaN"},
		{"b infinite", with(func(p *Problem) { p.B = math.Inf(1) }), "bound b is +Inf"},
		{"unknown integrand", with(func(p *Problem) { p.F = "x^2" }), `unknown integrand "x^2" (did you mean "x2"?`},
		{"no integrand", with(func(p *Problem) { p.F = "" }), "no integrand"},
		{"both F and Func", with(func(p *Problem) { p.Func = math.Sin }), "not both"},
		{"unknown rule", with(func(p *Problem) { p.Rule = 9 }), "unknown rule Rule(9)"},
		{"simpson odd n", with(func(p *Problem) { p.Rule, p.N = Simpson, 1001 }),
			"the simpson rule needs an even n; got 1001 (use 1000 or 1002)"},
		{"outside the domain", with(func(p *Problem) { p.F = "sqrt1mx2" }),
			"sqrt1mx2 is defined on [-1, 1]; [0, 10] is not inside it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for mode, run := range map[string]func() (float64, error){
				"serial":     func() (float64, error) { return Serial(t.Context(), tc.p) },
				"goroutines": func() (float64, error) { return Goroutines(t.Context(), tc.p, 2) },
				"processes":  func() (float64, error) { return Processes(t.Context(), tc.p, 2) },
			} {
				_, err := run()
				require.Error(t, err, mode)
				assert.ErrorIs(t, err, ErrInvalid, mode)
				assert.Contains(t, err.Error(), tc.want, mode)
			}
		})
	}
}

func TestWorkersBelowOneIsAnError(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 1, N: 100}
	for _, w := range []int{0, -1} {
		_, err := Goroutines(t.Context(), p, w)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.ErrorContains(t, err, fmt.Sprintf("workers = %d; need at least 1", w))
		_, err = Processes(t.Context(), p, w)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.ErrorContains(t, err, fmt.Sprintf("workers = %d; need at least 1", w))
	}
}

func TestParseRuleNamesTheClosestRule(t *testing.T) {
	for _, r := range Rules() {
		got, err := ParseRule(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
	_, err := ParseRule("simson")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, `unknown rule "simson" (did you mean "simpson"? rules: left, midpoint, trapezoid, simpson)`)
	assert.Equal(t, Midpoint, Problem{}.Rule, "the zero Rule is Midpoint")
}

func TestExact(t *testing.T) {
	v, ok := Exact(Problem{F: "inv1px2", A: 0, B: 1})
	require.True(t, ok)
	assert.Equal(t, math.Pi, v)
	v, ok = Exact(Problem{F: "x2", A: 0, B: 10})
	require.True(t, ok)
	assert.InDelta(t, 1000.0/3, v, 1e-13)
	for _, p := range []Problem{
		{F: "sinx2", A: 0, B: 1},
		{Func: math.Sin, A: 0, B: 1},
		{F: "nope", A: 0, B: 1},
	} {
		_, ok := Exact(p)
		assert.False(t, ok, "%v", p)
	}
}

func TestCancelStopsSerialAndGoroutines(t *testing.T) {
	const n = 100 * BlockSize
	for _, mode := range []string{"serial", "goroutines"} {
		t.Run(mode, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var calls atomic.Int64
			p := Problem{A: 0, B: 1, N: n, Func: func(x float64) float64 {
				// Cancel once we are past the middle: the run must stop
				// after the blocks in progress and report it.
				if calls.Add(1) > n/2 {
					cancel()
				}
				return x
			}}
			var err error
			if mode == "serial" {
				_, err = Serial(ctx, p)
			} else {
				_, err = Goroutines(ctx, p, 4)
			}
			assert.ErrorIs(t, err, context.Canceled)
			assert.Less(t, calls.Load(), int64(n/2+4*BlockSize), "stopped within a block per goroutine")
		})
	}
}

func TestLookupNamesTheClosestIntegrand(t *testing.T) {
	_, err := Lookup("sine")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, `unknown integrand "sine" (did you mean "sin"?`)
	_, err = Lookup("hyperbolic_tangent")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, `unknown integrand "hyperbolic_tangent" (all: x2, `,
		"no suggestion for a name that resembles none")
	for _, in := range Integrands() {
		got, err := Lookup(in.Name)
		require.NoError(t, err)
		assert.Equal(t, in.Name, got.Name)
		assert.NotNil(t, got.F)
	}
}
