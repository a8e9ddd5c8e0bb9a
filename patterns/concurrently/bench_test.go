package concurrently_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/patterns/concurrently"
)

// BenchmarkOverhead measures what Run costs per call, with calls that do
// nothing, beside a hand-written sync.WaitGroup with a mutex-guarded map
// doing the same. Run it with
//
//	go test -run '^$' -bench Overhead -benchtime 200ms -count 5 ./patterns/concurrently
func BenchmarkOverhead(b *testing.B) {
	for _, n := range []int{2, 100} {
		calls := make(map[string]func(context.Context) (int, error), n)
		for i := range n {
			calls["call"+strconv.Itoa(i)] = func(context.Context) (int, error) { return i, nil }
		}
		perCall := func(b *testing.B) {
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/call")
		}
		b.Run(fmt.Sprintf("Run/calls=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := concurrently.Run(b.Context(), calls); err != nil {
					b.Fatal(err)
				}
			}
			perCall(b)
		})
		b.Run(fmt.Sprintf("WaitGroup/calls=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := byHand(b.Context(), calls); err != nil {
					b.Fatal(err)
				}
			}
			perCall(b)
		})
	}
}

// byHand is the baseline: one goroutine per call, results in a map under a
// mutex, the first error kept.
func byHand(ctx context.Context, calls map[string]func(context.Context) (int, error)) (map[string]int, error) {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex // protects out and firstErr
		out      = make(map[string]int, len(calls))
		firstErr error
	)
	for name, f := range calls {
		wg.Go(func() {
			v, err := f(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("%s: %w", name, err)
			}
			out[name] = v
		})
	}
	wg.Wait()
	return out, firstErr
}
