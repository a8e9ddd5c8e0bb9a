//go:build goexperiment.simd && amd64

package simd

import "simd/archsimd"

// SumSquares returns the sum of the squares of xs as the package defines
// it. This file is the SIMD build (GOEXPERIMENT=simd on amd64): where the
// CPU has AVX2, the four lanes are the four lanes of one Float64x4
// register, and one instruction adds all four; where it has not, it is
// SumSquaresScalar. It does not change xs.
func SumSquares(xs []float64) float64 {
	if !archsimd.X86.AVX2() {
		return SumSquaresScalar(xs)
	}

	// TODO: the same sum as SumSquaresScalar, with one archsimd.Float64x4
	// whose lane k is lane k of the definition: load each group of four
	// (archsimd.LoadFloat64x4Slice), square it and add it (Mul, then Add:
	// not MulAdd). Then store the lanes, call
	// archsimd.ClearAVXUpperBits(), fold them in halves and add the
	// tail, in scalar code.
	return 0
}
