package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

// BenchmarkBuffer backs the README's comparison of the lesson's Cond
// buffer with a buffered channel. Each op moves the same batch of items
// from producers to consumers through a new buffer of the given size, and
// ends when every consumer has seen the buffer closed; ns/item is the time
// per item. chan runs first with each set of parameters (all -count runs
// of it), so that cond can report x_chan: its ns/item divided by the
// median of chan's (above 1 is slower). Run it with
//
//	go test -run '^$' -bench Buffer -benchtime 200x -count 5 ./lessons/cond
func BenchmarkBuffer(b *testing.B) {
	const items = 1 << 12 // per op; divisible by every producer count
	for _, size := range []int{1, 64} {
		for _, n := range []int{1, 4} {
			name := fmt.Sprintf("size=%d/producers=%d/consumers=%d", size, n, n)
			var chanNs []float64 // chan's ns/item, one per run, for x_chan
			b.Run(name+"/chan", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					moveOnChannel(size, n, n, items)
				}
				ns := nsPerItem(b, items)
				b.ReportMetric(ns, "ns/item")
				chanNs = append(chanNs, ns)
			})
			b.Run(name+"/cond", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					moveOnCond(size, n, n, items)
				}
				ns := nsPerItem(b, items)
				b.ReportMetric(ns, "ns/item")
				if len(chanNs) > 0 { // chan ran: -bench did not filter it out
					b.ReportMetric(ns/median(chanNs), "x_chan")
				}
			})
		}
	}
}

// moveOnCond moves items through a new buffer of size slots, from
// producers goroutines (items/producers each) to consumers goroutines,
// and returns when all of them have returned.
func moveOnCond(size, producers, consumers, items int) {
	b := newBuffer(size) // no log: the benchmark times the buffer alone
	var pwg, cwg sync.WaitGroup
	for range consumers {
		cwg.Go(func() {
			for {
				if _, ok := b.get(""); !ok {
					return
				}
			}
		})
	}
	for range producers {
		pwg.Go(func() {
			for range items / producers {
				b.put("", "x")
			}
		})
	}
	pwg.Wait()
	b.close("")
	cwg.Wait()
}

// moveOnChannel is moveOnCond on a buffered channel of size slots.
func moveOnChannel(size, producers, consumers, items int) {
	ch := make(chan string, size) // the buffer under test: size slots
	var pwg, cwg sync.WaitGroup
	for range consumers {
		cwg.Go(func() {
			for range ch {
			}
		})
	}
	for range producers {
		pwg.Go(func() {
			for range items / producers {
				ch <- "x"
			}
		})
	}
	pwg.Wait()
	close(ch)
	cwg.Wait()
}

// median returns the median of xs, which it sorts.
func median(xs []float64) float64 {
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// nsPerItem is the time per item of a finished b.Loop that moved items
// per op.
func nsPerItem(b *testing.B, items int) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(items)
}
