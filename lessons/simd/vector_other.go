//go:build !goexperiment.simd || !amd64

package main

import "runtime"

// This file is every build but the SIMD one (GOEXPERIMENT=simd on amd64,
// vector_amd64.go): the default build on every machine, and any build on
// one that is not amd64. It defines the same functions as
// vector_amd64.go, with the portable kernels, so that the program builds
// and gives the same bits everywhere.

// build says which build this is, which kernels lanes4 and lanes32 run,
// and how to get the vector ones.
func build() []string {
	if runtime.GOARCH != "amd64" {
		return []string{"portable: steps 3 to 5 run portable Go, one number per instruction",
			"(simd/archsimd exists only for amd64 in Go 1.26)"}
	}
	return []string{"default (without GOEXPERIMENT=simd): steps 3 to 5 run portable Go, one number per instruction",
		"for the SIMD kernels: GOEXPERIMENT=simd go run ./lessons/simd"}
}

// lanes4 is sum4: without the experiment there are no vector registers to
// put its four running sums in.
func lanes4(a, dx, t0 float64, n int) float64 { return sum4(a, dx, t0, n) }

// lanes32 is sum32, for the same reason.
func lanes32(a, dx, t0 float64, n int) float64 { return sum32(a, dx, t0, n) }
