package main

import (
	"context"
	"fmt"
	"testing"
)

// benchItems is how many numbers one op sums the squares of.
const benchItems = 1 << 12

// BenchmarkSquareSum backs the README's claim that a channel hand-off
// costs far more than a cheap stage's work, and that batching items per
// send pays it once per batch. Each op sums the squares of 1..benchItems:
//
//   - loop: a plain loop, the baseline;
//   - stages: gen → square → sum, one item per send;
//   - batch=N: the same three stages, N items per send (a slice).
//
// Each reports ns/item, the op's time divided by the items. Run it with
//
//	go test -run '^$' -bench SquareSum -benchtime 200ms -count 5 ./lessons/pipeline
func BenchmarkSquareSum(b *testing.B) {
	want := benchItems * (benchItems + 1) * (2*benchItems + 1) / 6
	check := func(b *testing.B, got int) {
		if got != want {
			b.Fatalf("sum %d; want %d", got, want)
		}
	}
	perItem := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/
			float64(b.N*benchItems), "ns/item")
	}

	b.Run("loop", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			total := 0
			for i := 1; i <= benchItems; i++ {
				total += i * i
			}
			check(b, total)
		}
		perItem(b)
	})
	b.Run("stages", func(b *testing.B) {
		b.ReportAllocs()
		ctx := b.Context()
		for b.Loop() {
			check(b, sum(square(ctx, gen(ctx, benchItems), 0)))
		}
		perItem(b)
	})
	for _, size := range []int{8, 64, 512} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			ctx := b.Context()
			for b.Loop() {
				check(b, sumBatches(squareBatches(ctx,
					genBatches(ctx, benchItems, size))))
			}
			perItem(b)
		})
	}
}

// genBatches is gen with batches: it sends 1..n in slices of up to size
// numbers. The returned channel is closed when all are sent or ctx is
// done.
func genBatches(ctx context.Context, n, size int) <-chan []int {
	out := make(chan []int)
	go func() {
		defer close(out)
		for lo := 1; lo <= n; lo += size {
			batch := make([]int, 0, size) // a new slice: the receiver owns it
			for i := lo; i <= min(lo+size-1, n); i++ {
				batch = append(batch, i)
			}
			if !send(ctx, out, batch) {
				return
			}
		}
	}()
	return out
}

// squareBatches is square with batches: it squares each batch in place
// and sends it on. Like square, it drains in after a cancel, and the
// returned channel is closed once in is closed.
func squareBatches(ctx context.Context, in <-chan []int) <-chan []int {
	out := make(chan []int)
	go func() {
		defer close(out)
		for batch := range in {
			for i, v := range batch {
				batch[i] = v * v
			}
			send(ctx, out, batch)
		}
	}()
	return out
}

// sumBatches adds up every number of every batch until in is closed.
func sumBatches(in <-chan []int) int {
	total := 0
	for batch := range in {
		for _, v := range batch {
			total += v
		}
	}
	return total
}
