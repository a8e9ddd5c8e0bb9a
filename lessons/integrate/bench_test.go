package main

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIntegrate backs the README's claim that the goroutines sum in
// parallel, on every core: the same integral, x² on [0, 10] with 2²² points,
// split among more workers, takes less time, up to the number of cores
// (GOMAXPROCS). "serial" is the baseline: the notes' loop, on one
// goroutine. Each workers=N result reports its speedup over the baseline
// and its efficiency (speedup per core it could use). Run it with
//
//	go test -run '^$' -bench Integrate -count 5 ./lessons/integrate
func BenchmarkIntegrate(b *testing.B) {
	const n = 1 << 22
	var serialTime time.Duration // per op; 0 if -bench filtered it out
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			serial(square, lower, upper, n)
		}
		serialTime = b.Elapsed() / time.Duration(b.N)
	})
	ways := []struct {
		name string
		sum  func(workers int) float64
	}{
		{"chunks", func(workers int) float64 {
			return chunks(square, lower, upper, n, workers, evenChunk)
		}},
		{"blocks", func(workers int) float64 {
			return blocks(square, lower, upper, n, workers)
		}},
	}
	for _, way := range ways {
		for _, workers := range []int{1, 2, 4} {
			b.Run(fmt.Sprintf("%s/workers=%d", way.name, workers), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					way.sum(workers)
				}
				if serialTime > 0 {
					perOp := b.Elapsed() / time.Duration(b.N)
					speedup := float64(serialTime) / float64(perOp)
					cores := min(workers, runtime.GOMAXPROCS(0))
					b.ReportMetric(speedup, "speedup")
					b.ReportMetric(speedup/float64(cores), "efficiency")
				}
			})
		}
	}
}
