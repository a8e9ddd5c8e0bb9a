package main

import (
	"context"
	"testing"
)

// BenchmarkGenerator backs the README's claim that an iterator is the
// cheaper generator: one op takes the first 1000 Fibonacci numbers, from a
// goroutine feeding a channel (every number is a hand-off between two
// goroutines) or from an iter.Seq (every number is a function call). It
// reports the time per number. Run it with
//
//	go test -run '^$' -bench Generator ./lessons/async
func BenchmarkGenerator(b *testing.B) {
	const items = 1000
	b.Run("channel", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithCancel(b.Context())
			numbers := fibonacciChan(ctx)
			n := 0
			for range numbers {
				if n++; n == items {
					break
				}
			}
			cancel()
			for range numbers { // join the generator
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items),
			"ns/number")
	})
	b.Run("iterator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for range fibonacci() {
				if n++; n == items {
					break
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items),
			"ns/number")
	})
}
