//go:build !goexperiment.simd || !amd64

package integrate

// This file is every build but the SIMD one (GOEXPERIMENT=simd on amd64,
// simd_amd64.go): the default build on every machine, and any build on one
// that is not amd64. There are no vector registers to use here, so every
// integrand keeps its scalar kernel, and the results are the bits they
// were before the SIMD build existed.

// vectorKernel returns nil: outside the SIMD build, no integrand has a
// vector kernel. simd_amd64.go defines the same function for the SIMD
// build.
func vectorKernel(vectorOp) (func(a, dx, t0 float64, n int) (even, odd float64), string) {
	return nil, ""
}
