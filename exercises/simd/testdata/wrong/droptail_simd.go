// Wrong: the Float64x4 loop covers the whole groups of four and SumSquares returns the folded lanes: the tail, the last len(xs)%4 values, is never added.
// The SIMD build's SumSquares is short by up to three squares, while the
// default build (SumSquaresScalar) is right: the two builds disagree.
// File: simd_amd64.go
// Build: GOEXPERIMENT=simd
// Caught by: TestSumsEveryValueOnce/SumSquares, TestMatchesTheDefinition/SumSquares, TestAddsTheTailLast/SumSquares
//go:build goexperiment.simd && amd64

package simd

import "simd/archsimd"

// SumSquares returns the sum of the squares of xs as the package defines
// it.
func SumSquares(xs []float64) float64 {
	if !archsimd.X86.AVX2() {
		return SumSquaresScalar(xs)
	}
	var sum archsimd.Float64x4
	for i := 0; i+4 <= len(xs); i += 4 {
		v := archsimd.LoadFloat64x4Slice(xs[i : i+4])
		sum = sum.Add(v.Mul(v))
	}
	var l [4]float64
	sum.Store(&l)
	archsimd.ClearAVXUpperBits()
	return (l[0] + l[2]) + (l[1] + l[3])
}
