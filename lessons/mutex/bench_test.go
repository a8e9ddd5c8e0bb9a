package main

import (
	"fmt"
	"runtime"
	"testing"
)

// The benchmarks give every strategy the same work, increments additions
// of 1 (4 194 304, so that starting the goroutines costs little) split evenly
// among 1, 2, 4 or 8 goroutines, so that their times compare directly.
// Each reports ns/inc, nanoseconds per increment, and its speedup over a
// serial loop, run first as the baseline. Run them with
//
//	go test -run '^$' -bench Counter -benchtime 500ms -count 5 ./lessons/mutex
const increments = 1 << 22

// A strategy counts to goroutines*n with goroutines goroutines.
type strategy struct {
	name  string
	count func(goroutines, n int) int
	exact bool // the total is always goroutines*n
}

func BenchmarkCounter(b *testing.B) {
	benchmarkStrategies(b, []strategy{
		{"lockPerIncrement", lockPerIncrement, true},
		{"lockAroundLoop", lockAroundLoopTotal, true},
		{"localSums", localSums, true},
	})
}

// serial is the baseline: one goroutine, one local total, no lock.
func serial(n int) int {
	total := 0
	for range n {
		total++
	}
	return total
}

// benchmarkStrategies runs the serial baseline, then each strategy with 1,
// 2, 4 and 8 goroutines. Speedup is the baseline's ns/inc over the
// strategy's; efficiency divides the speedup by the cores the goroutines
// can use, min(goroutines, GOMAXPROCS), so 1 means every core did useful
// work. With -count n, each sub-benchmark runs n times in a row, and the
// baseline is its fastest run, so that one slow run on a busy machine does
// not inflate every speedup.
func benchmarkStrategies(b *testing.B, strategies []strategy) {
	var serialNs float64 // the baseline's ns/inc; 0 when -bench filtered it out
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serial(increments)
		}
		ns := nsPerIncrement(b)
		b.ReportMetric(ns, "ns/inc")
		if serialNs == 0 || ns < serialNs {
			serialNs = ns
		}
	})
	for _, s := range strategies {
		for _, goroutines := range []int{1, 2, 4, 8} {
			name := fmt.Sprintf("%s/goroutines=%d", s.name, goroutines)
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got := s.count(goroutines, increments/goroutines)
					if s.exact && got != increments {
						b.Fatalf("total %d; want %d", got, increments)
					}
				}
				ns := nsPerIncrement(b)
				b.ReportMetric(ns, "ns/inc")
				if serialNs > 0 {
					speedup := serialNs / ns
					cores := min(goroutines, runtime.GOMAXPROCS(0))
					b.ReportMetric(speedup, "speedup")
					b.ReportMetric(speedup/float64(cores), "efficiency")
				}
			})
		}
	}
}

// nsPerIncrement is the time per increment of a finished b.Loop.
func nsPerIncrement(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N) / increments
}
