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

	// Lane k of sum adds the squares of xs[i] for i%4 == k: each step
	// loads the next four values into the four lanes. Note Mul, then
	// Add: MulAdd would be faster, but it rounds once, and the portable
	// build could not give the same bits without math.FMA.
	var sum archsimd.Float64x4
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		v := archsimd.LoadFloat64x4Slice(xs[i : i+4])
		sum = sum.Add(v.Mul(v))
	}

	// No instruction adds up a register's lanes: we store them, and fold
	// them in scalar code. Before that scalar code runs, we clear the
	// upper halves of the vector registers: Go does not emit VZEROUPPER
	// after AVX code, and without it the SSE instructions that follow
	// run several times slower.
	var l [4]float64
	sum.Store(&l)
	archsimd.ClearAVXUpperBits()
	total := (l[0] + l[2]) + (l[1] + l[3])
	for ; i < len(xs); i++ {
		total += float64(xs[i] * xs[i])
	}
	return total
}
