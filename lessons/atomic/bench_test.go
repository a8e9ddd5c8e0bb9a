package main

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// The benchmarks back the README's figures; no test asserts a speed. Run
// them with
//
//	go test -run '^$' -bench . -benchtime 500ms -count 5 ./lessons/atomic
//
// Note that -cpu would mislabel them: b.Loop benchmarks under -cpu report
// the GOMAXPROCS of the first run in every name (Go 1.26). To compare core
// counts, set GOMAXPROCS in the environment instead.

// increments is the work BenchmarkCounter gives every strategy: additions
// of 1 (4 194 304, as in the mutex lesson's benchmark, so that the figures
// compare), split evenly among 1, 2, 4 or 8 goroutines.
const increments = 1 << 22

// A strategy counts to goroutines*n with goroutines goroutines.
type strategy struct {
	name  string
	count func(goroutines, n int) int
}

// BenchmarkCounter times the lesson's three counters. Each reports ns/inc,
// nanoseconds per increment, and its speedup over a serial loop (one
// goroutine, a plain local total), run first as the baseline.
func BenchmarkCounter(b *testing.B) {
	strategies := []strategy{
		{"mutexPerIncrement", mutexPerIncrement},
		{"atomicAdd", atomicAdd},
		{"localSums", localSums},
	}
	var serialNs float64 // the baseline's ns/inc; 0 when -bench filtered it out
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serial(increments)
		}
		serialNs = fastest(serialNs, report(b, increments, 0, 1))
	})
	for _, s := range strategies {
		for _, goroutines := range []int{1, 2, 4, 8} {
			name := fmt.Sprintf("%s/goroutines=%d", s.name, goroutines)
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if got := s.count(goroutines, increments/goroutines); got != increments {
						b.Fatalf("total %d; want %d", got, increments)
					}
				}
				report(b, increments, serialNs, goroutines)
			})
		}
	}
}

// serial is BenchmarkCounter's baseline: one goroutine, one local total,
// no lock and no atomic.
func serial(n int) int {
	total := 0
	for range n {
		total++
	}
	return total
}

// perCounter is how many times BenchmarkFalseSharing adds 1 to each of its
// two counters.
const perCounter = 1 << 20

// A paddedPair64 is paddedPair with half the padding: 64 bytes each, one
// line on most amd64 CPUs. BenchmarkFalseSharing compares it with the
// lesson's 128 bytes, to show whether this machine needs more than 64.
type paddedPair64 struct {
	a atomic.Int64
	_ [56]byte
	b atomic.Int64
	_ [56]byte
}

// BenchmarkFalseSharing times two goroutines that each add 1 to a counter
// of their own, perCounter times, with the counters 8 bytes apart (side by
// side, one cache line), 64 bytes apart, and 128 bytes apart (the lesson's
// paddedPair). The baseline, "serial", is one goroutine doing both
// counters' additions, one counter after the other: nothing to share. Each
// reports ns/inc and its speedup over the baseline; 2 cores can at best
// double it.
func BenchmarkFalseSharing(b *testing.B) {
	var serialNs float64 // the baseline's ns/inc; 0 when -bench filtered it out
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		p := new(pair)
		for b.Loop() {
			for _, c := range []*atomic.Int64{&p.a, &p.b} {
				for range perCounter {
					c.Add(1)
				}
			}
		}
		serialNs = fastest(serialNs, report(b, 2*perCounter, 0, 1))
	})
	side, pad64, pad128 := new(pair), new(paddedPair64), new(paddedPair)
	layouts := []struct {
		name string
		a, b *atomic.Int64
	}{
		{"bytesApart=8", &side.a, &side.b},
		{"bytesApart=64", &pad64.a, &pad64.b},
		{"bytesApart=128", &pad128.a, &pad128.b},
	}
	for _, l := range layouts {
		b.Run(l.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				countApart(l.a, l.b, perCounter)
			}
			report(b, 2*perCounter, serialNs, 2)
		})
	}
}

// report reports ns/inc, the time per increment of a finished b.Loop that
// did incs increments an op, and returns it. If the baseline's ns/inc is
// known (not 0), it also reports the speedup over it and the efficiency:
// the speedup divided by the cores the goroutines could use,
// min(goroutines, GOMAXPROCS), so 1 means every core did useful work.
func report(b *testing.B, incs int, baselineNs float64,
	goroutines int) float64 {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(incs)
	b.ReportMetric(ns, "ns/inc")
	if baselineNs > 0 {
		speedup := baselineNs / ns
		cores := min(goroutines, runtime.GOMAXPROCS(0))
		b.ReportMetric(speedup, "speedup")
		b.ReportMetric(speedup/float64(cores), "efficiency")
	}
	return ns
}

// fastest returns the smaller of the baseline so far (0 if none yet) and
// ns. With -count n, each sub-benchmark runs n times in a row, and the
// baseline is its fastest run, so that one slow run on a busy machine does
// not inflate every speedup.
func fastest(baselineNs, ns float64) float64 {
	if baselineNs == 0 || ns < baselineNs {
		return ns
	}
	return baselineNs
}
