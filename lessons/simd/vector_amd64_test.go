//go:build goexperiment.simd && amd64

package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"simd/archsimd"
)

// buildName names this build in the benchmarks' names: every time
// belongs to the build it was measured in.
const buildName = "simd"

// TestVectorKernelsOnThisCPU checks every vector width this CPU can run,
// not only the widest, which lanes32 picks: on a CPU with AVX-512 the
// Float64x4 kernel must give the same bits too, as it does on a CPU with
// AVX2 only.
func TestVectorKernelsOnThisCPU(t *testing.T) {
	if !archsimd.X86.AVX512() {
		t.Log("no AVX-512 on this CPU: lanes32x8 is not tested")
	} else {
		checkBits(t, "lanes32x8", lanes32x8, 32, true)
	}
	if !archsimd.X86.AVX2() || !archsimd.X86.FMA() {
		t.Skip("no AVX2 and FMA on this CPU: the SIMD build runs the portable kernels, which the other tests check")
	}
	checkBits(t, "lanes32x4", lanes32x4, 32, true)
}

// TestBuildLines checks that the lesson says it ran the SIMD build, and
// that the README explains the line it printed.
func TestBuildLines(t *testing.T) {
	lines := build()
	require.NotEmpty(t, lines)
	assert.Contains(t, lines[0], "GOEXPERIMENT=simd")
	doc, err := os.ReadFile("README.md")
	require.NoError(t, err)
	for _, l := range lines {
		assert.Contains(t, string(doc), l, "the README lists the build lines")
	}
}

// lanes4Dirty is lanes4 without archsimd.ClearAVXUpperBits, for
// BenchmarkScalarAfterVectors: it leaves the upper halves of the vector
// registers dirty. The CPU must have AVX2.
func lanes4Dirty(a, dx, t0 float64, n int) float64 {
	av := archsimd.BroadcastFloat64x4(a)
	dxv := archsimd.BroadcastFloat64x4(dx)
	step := archsimd.BroadcastFloat64x4(4)
	t := archsimd.LoadFloat64x4(&[4]float64{t0, t0 + 1, t0 + 2, t0 + 3})
	var sum archsimd.Float64x4
	j := 0
	for ; j+4 <= n; j += 4 {
		x := av.Add(t.Mul(dxv))
		sum = sum.Add(x.Mul(x))
		t = t.Add(step)
	}
	var l [4]float64
	sum.Store(&l)
	return addSquares(fold(l[:]), a, dx, t0, j, n)
}

// BenchmarkScalarAfterVectors backs the README's pitfall about
// VZEROUPPER: the portable four-sum kernel on 2²⁰ points, run right after
// a vector kernel of 1024 points that does (upper=cleared, lanes4) or
// does not (upper=dirty) clear the upper halves of the vector registers.
// The ns/point are the scalar kernel's (the vector kernel's share is
// about a thousandth). Run it with
//
//	GOEXPERIMENT=simd go test -run '^$' -bench ScalarAfterVectors -count 5 ./lessons/simd
func BenchmarkScalarAfterVectors(b *testing.B) {
	if !archsimd.X86.AVX2() {
		b.Skip("no AVX2 on this CPU")
	}
	const n = 1 << 20
	dx := (upper - lower) / n
	for _, way := range []struct {
		name string
		k    kernel
	}{{"upper=cleared", lanes4}, {"upper=dirty", lanes4Dirty}} {
		b.Run(way.name, func(b *testing.B) {
			for b.Loop() {
				way.k(lower, dx, 0.5, 1024)
				sum4(lower, dx, 0.5, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/point")
		})
	}
}
