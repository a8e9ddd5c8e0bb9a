package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// The tests check SumSquaresScalar, the four running sums of plain Go, in
// the default build; and SumSquares, the Float64x4 code of simd_amd64.go,
// in the SIMD build (SumSquaresScalar is the same code in both, so the
// default build's run checks it):
//
//	go test -race ./exercises/simd                     # the default build
//	GOEXPERIMENT=simd go test -race ./exercises/simd   # the SIMD build (amd64)
//
// go run ./cmd/workbook check simd runs both where it can. Every check
// compares bits, not an approximation: the package defines its sum
// addition by addition, so there is exactly one right answer.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A namedFunc is a function under test and its name.
type namedFunc struct {
	name string
	f    func([]float64) float64
}

// each runs check on each function this build tests (funcs), as a
// subtest named after it. In the SIMD build on a CPU without AVX2, the
// vector code cannot run, and the subtests skip (needVectors) rather than
// pass for code they did not test.
func each(t *testing.T, check func(t *testing.T, name string, f func([]float64) float64)) {
	for _, fn := range funcs {
		t.Run(fn.name, func(t *testing.T) {
			needVectors(t)
			check(t, fn.name, fn.f)
		})
	}
}

// reference is the package's definition of the sum, written as plainly
// as possible: lane i%4 of the whole groups of four, the lanes folded in
// halves, the tail added in order.
func reference(xs []float64) float64 {
	return addSquares(fold(lanes(xs, false)), tail(xs))
}

// lengths are the lengths the tests try: every remainder mod 4 with and
// without whole groups before it, those with whole groups first (their
// failures say the most), then a few long ones.
var lengths = append(append(count(4, 17), count(0, 3)...), 64, 1001, 1<<16+3)

// count returns lo, lo+1, ..., hi.
func count(lo, hi int) []int {
	var ns []int
	for n := lo; n <= hi; n++ {
		ns = append(ns, n)
	}
	return ns
}

// TestSumsEveryValueOnce sums the squares of 1, 2, ..., n, which are
// whole numbers, and so are all their sums: there is no rounding, the
// order of the additions does not matter, and the answer is exactly
// n(n+1)(2n+1)/6. A value left out (the tail) or summed twice shows.
func TestSumsEveryValueOnce(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		for _, n := range lengths {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(i + 1)
			}
			want := float64(n * (n + 1) * (2*n + 1) / 6)
			got := f(xs)
			if got == want {
				continue
			}
			whole := n / 4 * 4
			switch {
			case got == 0:
				t.Errorf("%s of 1, 2, ..., %d = 0; want %v: nothing is summed", name, n, want)
			case n%4 != 0 && got == want-squares(whole+1, n):
				t.Errorf("%s of 1, 2, ..., %d = %v; want %v: the tail is missing (the last len(xs)%%4 values, after the last whole group of four: here %s)",
					name, n, got, want, strings.Trim(fmt.Sprint(xs[whole:]), "[]"))
			default:
				t.Errorf("%s of 1, 2, ..., %d = %v; want %v: some values are left out or summed twice",
					name, n, got, want)
			}
			return // one length is enough to say it
		}
	})
}

// squares returns lo² + (lo+1)² + ... + hi².
func squares(lo, hi int) float64 {
	s := 0.0
	for i := lo; i <= hi; i++ {
		s += float64(i * i)
	}
	return s
}

// values returns n values of every size, from 10⁻³ to 10⁶, both signs:
// their squares and sums round, so that any other order of the additions,
// or a fused multiply-add, changes the last bits. The seed is fixed: the
// same values on every run.
func values(n int) []float64 {
	r := rand.New(rand.NewPCG(22, uint64(n)))
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = (2*r.Float64() - 1) * math.Pow(10, float64(r.IntN(10)-3))
	}
	return xs
}

// TestMatchesTheDefinition compares the bits with the package's definition
// on values of every size, for every length in lengths.
func TestMatchesTheDefinition(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		var inputs [][]float64
		for _, n := range lengths {
			inputs = append(inputs, values(n))
		}
		for _, xs := range inputs {
			want, got := reference(xs), f(xs)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%s of %d values = %v; want %v, the bits of the definition: %s",
					name, len(xs), got, want, likelyCause(f, inputs))
				return // one length is enough to say it
			}
		}
	})
}

// mistakes are the usual wrong answers, each as the sum it computes.
var mistakes = []struct {
	cause string
	sum   func(xs []float64) float64
}{
	{"nothing is summed", func([]float64) float64 { return 0 }},
	{"the tail (the last len(xs)%4 values) is left out",
		func(xs []float64) float64 { return fold(lanes(xs, false)) }},
	{"the tail's squares are added into the lanes, before the fold; add them after it, one by one, in order",
		func(xs []float64) float64 {
			padded := append(slices.Clone(xs), make([]float64, (4-len(xs)%4)%4)...)
			return fold(lanes(padded, false))
		}},
	{"the tail is added first; add it after the folded lanes, one by one, in order",
		func(xs []float64) float64 {
			r := len(xs) % 4
			return addSquares(0, xs[:r]) + fold(lanes(xs[r:], false))
		}},
	{"the lanes are added as (l0+l1) + (l2+l3); fold them in halves, (l0+l2) + (l1+l3)",
		func(xs []float64) float64 { return addSquares(adjacent(lanes(xs, false)), tail(xs)) }},
	{"the lanes are added left to right; fold them in halves, (l0+l2) + (l1+l3)",
		func(xs []float64) float64 { return addSquares(leftToRight(lanes(xs, false)), tail(xs)) }},
	{"the lanes use a fused multiply-add (MulAdd, math.FMA, or Go fusing x*x + sum on its own, as it may on arm64 or with GOAMD64=v3): round the product first, with Mul then Add, or float64(x * x)",
		func(xs []float64) float64 { return addSquares(fold(lanes(xs, true)), tail(xs)) }},
	{"every value is added to one running sum, in order; the definition has four lanes",
		func(xs []float64) float64 { return addSquares(0, xs) }},
}

// likelyCause names the usual mistake that gives f's results on every one
// of inputs, or restates the definition if none does. One input could
// match a mistake by chance (the candidates differ in a bit or two);
// all of them do not.
func likelyCause(f func([]float64) float64, inputs [][]float64) string {
	for _, m := range mistakes {
		if !slices.ContainsFunc(inputs, func(xs []float64) bool {
			return math.Float64bits(m.sum(xs)) != math.Float64bits(f(xs))
		}) {
			return m.cause
		}
	}
	return "lane i%4 sums xs[i]*xs[i] (the product rounded, then the sum) over the whole groups of four, the lanes fold as (l0+l2) + (l1+l3), then the tail is added in order"
}

// lanes returns the four lanes of the whole groups of four of xs, each
// x·x added with two roundings, or with one (fused).
func lanes(xs []float64, fused bool) [4]float64 {
	var l [4]float64
	for i := range len(xs) / 4 * 4 {
		if fused {
			l[i%4] = math.FMA(xs[i], xs[i], l[i%4])
		} else {
			l[i%4] = l[i%4] + float64(xs[i]*xs[i])
		}
	}
	return l
}

// tail returns the values after the last whole group of four.
func tail(xs []float64) []float64 { return xs[len(xs)/4*4:] }

// fold, adjacent and leftToRight add up four lanes: in halves, as the
// definition does; in neighbouring pairs; and left to right.
func fold(l [4]float64) float64        { return (l[0] + l[2]) + (l[1] + l[3]) }
func adjacent(l [4]float64) float64    { return (l[0] + l[1]) + (l[2] + l[3]) }
func leftToRight(l [4]float64) float64 { return ((l[0] + l[1]) + l[2]) + l[3] }

// addSquares adds the squares of xs to sum, in order.
func addSquares(sum float64, xs []float64) float64 {
	for _, x := range xs {
		sum = sum + float64(x*x)
	}
	return sum
}

// big is a value whose square, 94906267² = 9007199515875289, is odd and
// above 2⁵³, where neighbouring float64s are 2 apart: the square rounds,
// and adding 1 to it rounds again, so the order in which small squares
// are added to it shows in the last bit.
const big = 94906267

// TestFoldsTheLanesInHalves checks the order in which the four lanes are
// added up, on one group of four values: lanes 0 and 2, lanes 1 and 3,
// then the two.
func TestFoldsTheLanesInHalves(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		xs := []float64{0, 1, big, 1}
		l := [4]float64{0, 1, big * big, 1}
		want := fold(l)
		got := f(xs)
		if math.Float64bits(got) == math.Float64bits(want) {
			return
		}
		msg := fmt.Sprintf("%s%v = %v; want (l0+l2) + (l1+l3) = %v", name, xs, got, want)
		switch got {
		case adjacent(l):
			msg += ": the lanes were added as (l0+l1) + (l2+l3)"
		case leftToRight(l):
			msg += ": the lanes were added left to right, l0+l1+l2+l3"
		}
		t.Error(msg + "; fold them in halves, as a register's upper half is added onto its lower half")
	})
}

// TestAddsTheTailLast checks where the tail goes: after the lanes are
// folded, one value at a time, in order; not into the lanes, and not
// before them.
func TestAddsTheTailLast(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		inputs := [][]float64{
			{0, big, 1, 0, 1},
			{0, big, 1, 0, 1, 0},
			{0, big, 3, 0, 3, 2},
			{0, big, 1, 0, 1, 0, 1},
		}
		for _, xs := range inputs {
			want, got := reference(xs), f(xs)
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%s%v = %v; want %v: %s",
					name, xs, got, want, likelyCause(f, append(inputs, values(7), values(1001))))
				return // one input is enough to say it
			}
		}
	})
}

// TestSameBitsAnywhereInMemory sums the same values placed at eight
// different addresses: the bits may depend on the values and their order
// alone, never on where the slice starts (as they would in code that
// lines its loads up with memory, and starts its groups of four where
// the memory allows).
func TestSameBitsAnywhereInMemory(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		xs := values(103)
		backing := make([]float64, len(xs)+8)
		var first float64
		for offset := range 8 {
			at := backing[offset : offset+len(xs)]
			copy(at, xs)
			got := f(at)
			if offset == 0 {
				first = got
			} else if math.Float64bits(got) != math.Float64bits(first) {
				t.Errorf("%s of the same 103 values, %d elements into an array: %v; at the start of the array, %v: the bits change with where xs is in memory",
					name, offset, got, first)
			}
		}
	})
}

// TestLeavesXsAlone checks that summing does not change the slice, even
// where the code stores lanes or partial sums.
func TestLeavesXsAlone(t *testing.T) {
	each(t, func(t *testing.T, name string, f func([]float64) float64) {
		for _, n := range []int{3, 4, 7, 1001} {
			xs := values(n)
			before := slices.Clone(xs)
			f(xs)
			if !slices.Equal(before, xs) {
				t.Errorf("%s changed its argument (%d values): the caller's data is not scratch space", name, n)
			}
		}
	})
}
