//go:build !goexperiment.simd || !amd64

package simd

import (
	"math"
	"testing"
)

// funcs are the functions the tests check in this build: the plain Go
// sum. SumSquares is SumSquaresScalar here (simd_other.go).
var funcs = []namedFunc{{"SumSquaresScalar", SumSquaresScalar}}

// needVectors lets every subtest run: this build needs no vector unit.
func needVectors(t *testing.T) { t.Helper() }

// TestSumSquaresIsSumSquaresScalar checks that in this build SumSquares
// gives SumSquaresScalar's bits, as simd_other.go has it do.
func TestSumSquaresIsSumSquaresScalar(t *testing.T) {
	for _, n := range []int{0, 1, 5, 1001} {
		xs := values(n)
		if got, want := SumSquares(xs), SumSquaresScalar(xs); math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("SumSquares of %d values = %v; want %v, SumSquaresScalar's: in this build it is SumSquaresScalar (simd_other.go)", n, got, want)
		}
	}
}
