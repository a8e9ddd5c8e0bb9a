//go:build goexperiment.simd && amd64

package simd

import (
	"simd/archsimd"
	"testing"
)

// funcs are the functions the tests check in this build: the vector
// code. SumSquaresScalar is the same code as in the default build, whose
// run checks it.
var funcs = []namedFunc{{"SumSquares", SumSquares}}

// needVectors skips a subtest on a CPU without AVX2: there the SIMD
// build's SumSquares runs SumSquaresScalar, and the vector code cannot run.
func needVectors(t *testing.T) {
	t.Helper()
	if !archsimd.X86.AVX2() {
		t.Skip("this CPU has no AVX2: the SIMD build's SumSquares runs SumSquaresScalar here, and the vector code is not tested")
	}
}
