package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// sizes are the benchmarks' numbers of points, by name.
var sizes = []struct {
	name string
	n    int
}{{"1e8", 100_000_000}, {"1e9", 1_000_000_000}}

// BenchmarkKernels backs the README's table: each kernel on the whole
// integral, in ns per point. The benchmark's name says the build it ran
// in (build=default or build=simd): the same kernel is another loop in
// the other build, and even scalar code runs differently there. Compare
// the two builds, and the C reference, with
//
//	go test -run '^$' -bench Kernels -count 5 ./lessons/simd
//	GOEXPERIMENT=simd go test -run '^$' -bench Kernels -count 5 ./lessons/simd
func BenchmarkKernels(b *testing.B) {
	for _, size := range sizes {
		for _, kn := range kernels {
			name := fmt.Sprintf("build=%s/n=%s/kernel=%s", buildName, size.name, kn.name)
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					midpoint(kn.k, lower, upper, size.n)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size.n), "ns/point")
			})
		}
	}
}

// BenchmarkBlocks backs the README's claim that SIMD and goroutines
// multiply: step 4's kernel in blocks on 1, 2 and 4 workers, with the
// kernel alone on one goroutine ("serial") as the baseline. Each
// workers=N reports its speedup over the baseline and its efficiency
// (speedup per core it could use). Run it with
//
//	GOEXPERIMENT=simd go test -run '^$' -bench Blocks -count 5 ./lessons/simd
func BenchmarkBlocks(b *testing.B) {
	for _, size := range sizes {
		var serialTime time.Duration // per op; 0 if -bench filtered it out
		prefix := fmt.Sprintf("build=%s/n=%s", buildName, size.name)
		b.Run(prefix+"/serial", func(b *testing.B) {
			for b.Loop() {
				midpoint(lanes32, lower, upper, size.n)
			}
			serialTime = b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(size.n), "ns/point")
		})
		for _, workers := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", prefix, workers), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					blocks(lanes32, lower, upper, size.n, workers)
				}
				perOp := b.Elapsed() / time.Duration(b.N)
				b.ReportMetric(float64(perOp.Nanoseconds())/float64(size.n), "ns/point")
				if serialTime > 0 {
					speedup := float64(serialTime) / float64(perOp)
					cores := min(workers, runtime.GOMAXPROCS(0))
					b.ReportMetric(speedup, "speedup")
					b.ReportMetric(speedup/float64(cores), "efficiency")
				}
			})
		}
	}
}
