// Wrong: Map appends under a mutex: no data race, but the results come in the order the calls finish, not in input order.
// Caught by: TestMapReturnsResultsInInputOrder
package race

import "sync"

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order.
func Map(in []int, f func(int) int) []int {
	var (
		mu  sync.Mutex // guards out
		out []int
		wg  sync.WaitGroup
	)
	for _, v := range in {
		wg.Go(func() {
			r := f(v) // outside the lock, so the calls still overlap
			mu.Lock()
			defer mu.Unlock()
			out = append(out, r)
		})
	}
	wg.Wait()
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results.
func Sum(in []int, f func(int) int) int {
	var (
		mu    sync.Mutex // guards total
		total int
		wg    sync.WaitGroup
	)
	for _, v := range in {
		wg.Go(func() {
			r := f(v)
			mu.Lock()
			defer mu.Unlock()
			total += r
		})
	}
	wg.Wait()
	return total
}
