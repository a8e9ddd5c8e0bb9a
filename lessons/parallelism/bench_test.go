package main

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkCPUBound backs the lesson's CPU-bound claims: 8 tasks of busy
// work, each a sum of 2²² points, run serially, on goroutines (at most
// workers at once) and on a pool of worker processes, at GOMAXPROCS=1 and
// at GOMAXPROCS=NumCPU. Goroutines gain only with GOMAXPROCS above 1, and
// only up to the number of cores; processes gain at either setting,
// because each runs its own Go runtime, which our GOMAXPROCS does not
// limit. Each result other than serial reports its speedup over the
// serial run at the same setting. Run it with
//
//	go test -run '^$' -bench CPUBound -count 5 ./lessons/parallelism
//
// Each sub-benchmark sets GOMAXPROCS itself, and sets it back when it is
// done: do not use -cpu. The suffix go test adds to the names (-2) is the
// GOMAXPROCS the benchmark started with, not the one it ran at.
func BenchmarkCPUBound(b *testing.B) {
	cfg := config{tasks: 8, work: 1 << 22}
	jobs := cfg.jobs(cpuBound)
	settings := slices.Compact([]int{1, runtime.NumCPU()})
	for _, procs := range settings {
		b.Run(fmt.Sprintf("gomaxprocs=%d", procs), func(b *testing.B) {
			var serialTime time.Duration // per op; 0 if -bench filtered it out
			report := func(b *testing.B) {
				if serialTime > 0 {
					perOp := b.Elapsed() / time.Duration(b.N)
					b.ReportMetric(float64(serialTime)/float64(perOp), "speedup")
				}
			}
			b.Run("serial", func(b *testing.B) {
				withGOMAXPROCS(b, procs)
				for b.Loop() {
					if _, err := runSerial(b.Context(), jobs, nil, ""); err != nil {
						b.Fatal(err)
					}
				}
				serialTime = b.Elapsed() / time.Duration(b.N)
			})
			for _, workers := range []int{1, 2, 4} {
				b.Run(fmt.Sprintf("goroutines/workers=%d", workers), func(b *testing.B) {
					withGOMAXPROCS(b, procs)
					b.ReportAllocs()
					for b.Loop() {
						_, err := runGoroutines(b.Context(), jobs, workers, nil, "")
						if err != nil {
							b.Fatal(err)
						}
					}
					report(b)
				})
			}
			for _, workers := range []int{1, 2} {
				b.Run(fmt.Sprintf("processes/workers=%d", workers), func(b *testing.B) {
					withGOMAXPROCS(b, procs)
					// The workers start before the clock, as in the
					// lesson: we measure the jobs, not the processes'
					// start.
					pool, err := startPool(b.Context(), workers)
					if err != nil {
						b.Fatal(err)
					}
					defer func() {
						if err := pool.Close(); err != nil {
							b.Error(err)
						}
					}()
					b.ReportAllocs()
					for b.Loop() {
						if _, err := runProcesses(b.Context(), jobs, pool, nil, ""); err != nil {
							b.Fatal(err)
						}
					}
					report(b)
				})
			}
		})
	}
}

// withGOMAXPROCS sets GOMAXPROCS to n until the benchmark is done.
func withGOMAXPROCS(b *testing.B, n int) {
	prev := runtime.GOMAXPROCS(n)
	b.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}
