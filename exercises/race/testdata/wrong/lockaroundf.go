// Wrong: Map and Sum hold a mutex while f runs, so no data race, but the calls run one at a time (and Map's appends are out of order).
// Caught by: TestMapReturnsResultsInInputOrder, TestMapCallsFConcurrently, TestSumCallsFConcurrently
package race

import "sync"

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order.
func Map(in []int, f func(int) int) []int {
	var (
		mu  sync.Mutex // guards out, and (by mistake) every call to f
		out []int
		wg  sync.WaitGroup
	)
	for _, v := range in {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			out = append(out, f(v))
		})
	}
	wg.Wait()
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results.
func Sum(in []int, f func(int) int) int {
	var (
		mu    sync.Mutex // guards total, and (by mistake) every call to f
		total int
		wg    sync.WaitGroup
	)
	for _, v := range in {
		wg.Go(func() {
			mu.Lock()
			defer mu.Unlock()
			total += f(v)
		})
	}
	wg.Wait()
	return total
}
