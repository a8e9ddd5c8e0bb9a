//go:build !goexperiment.simd || !amd64

package simd

// SumSquares returns the sum of the squares of xs as the package defines
// it. This file is every build but the SIMD one (GOEXPERIMENT=simd on
// amd64, simd_amd64.go): without the experiment there is no package
// simd/archsimd and no vector register to use, so SumSquares is
// SumSquaresScalar. It does not change xs.
func SumSquares(xs []float64) float64 { return SumSquaresScalar(xs) }
