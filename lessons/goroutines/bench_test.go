package main

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// BenchmarkCPUWork backs the README's claim that goroutines run Go code in
// parallel, where CPython's threads take turns: the same total work, split
// among more goroutines, takes less time, up to the number of cores
// (GOMAXPROCS). "serial" is the baseline: the work in one plain call, no
// goroutine. Each workers=N result reports its speedup over the baseline
// and its efficiency (speedup per core it could use). Run it with
//
//	go test -run '^$' -bench CPUWork ./lessons/goroutines
//
// and once more with GOMAXPROCS=1 in the environment: on one core, more
// goroutines no longer help.
func BenchmarkCPUWork(b *testing.B) {
	const steps = 1 << 24 // the total work of one op, split among the workers
	var serial time.Duration
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			spin(steps)
		}
		serial = b.Elapsed() / time.Duration(b.N)
	})
	for _, workers := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			sums := make([]uint64, workers) // one slot per worker: no sharing
			for b.Loop() {
				var wg sync.WaitGroup
				for i := range workers {
					wg.Go(func() { sums[i] = spin(steps / workers) })
				}
				wg.Wait()
			}
			if serial > 0 { // the baseline ran (it is skipped by -bench CPUWork/workers)
				perOp := b.Elapsed() / time.Duration(b.N)
				speedup := float64(serial) / float64(perOp)
				cores := min(workers, runtime.GOMAXPROCS(0))
				b.ReportMetric(speedup, "speedup")
				b.ReportMetric(speedup/float64(cores), "efficiency")
			}
		})
	}
}

// spin does n steps of a xorshift random number generator: pure CPU work,
// with no memory traffic and no system calls, that the compiler cannot
// skip because its result depends on every step.
func spin(n int) uint64 {
	x := uint64(88172645463325252)
	for range n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
