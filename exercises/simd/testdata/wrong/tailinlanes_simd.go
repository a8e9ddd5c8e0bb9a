// Wrong: SumSquares copies the tail into a zero-padded group of four, loads it as one more Float64x4 and adds its squares into the lanes before they are folded, so the order of the additions changes with the length's remainder.
// A common vector trick, and every value is summed once; but the tail's
// squares go into lanes 0..r-1 where the definition adds them after the
// fold: other bits than the default build whenever 4 does not divide the
// length.
// File: simd_amd64.go
// Build: GOEXPERIMENT=simd
// Caught by: TestMatchesTheDefinition/SumSquares, TestAddsTheTailLast/SumSquares
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
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		v := archsimd.LoadFloat64x4Slice(xs[i : i+4])
		sum = sum.Add(v.Mul(v))
	}
	if i < len(xs) {
		var pad [4]float64
		copy(pad[:], xs[i:])
		v := archsimd.LoadFloat64x4(&pad)
		sum = sum.Add(v.Mul(v))
	}
	var l [4]float64
	sum.Store(&l)
	archsimd.ClearAVXUpperBits()
	return (l[0] + l[2]) + (l[1] + l[3])
}
