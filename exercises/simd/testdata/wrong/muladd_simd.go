// Wrong: SumSquares squares and adds with one fused MulAdd per group of four, which rounds once where the definition rounds the product and then the sum.
// Faster, and if anything more accurate; but other bits than the default
// build, which rounds twice.
// File: simd_amd64.go
// Build: GOEXPERIMENT=simd
// Caught by: TestMatchesTheDefinition/SumSquares
//go:build goexperiment.simd && amd64

package simd

import "simd/archsimd"

// SumSquares returns the sum of the squares of xs as the package defines
// it.
func SumSquares(xs []float64) float64 {
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		return SumSquaresScalar(xs)
	}
	var sum archsimd.Float64x4
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		v := archsimd.LoadFloat64x4Slice(xs[i : i+4])
		sum = v.MulAdd(v, sum)
	}
	var l [4]float64
	sum.Store(&l)
	archsimd.ClearAVXUpperBits()
	total := (l[0] + l[2]) + (l[1] + l[3])
	for ; i < len(xs); i++ {
		total += float64(xs[i] * xs[i])
	}
	return total
}
