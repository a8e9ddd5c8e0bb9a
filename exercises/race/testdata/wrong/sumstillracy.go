// Wrong: Map is fixed, but every goroutine of Sum still does total += f(v) with no synchronization: a data race that loses updates.
// Caught by: TestSumLosesNoUpdates
package race

import "sync"

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order.
func Map(in []int, f func(int) int) []int {
	out := make([]int, len(in))
	var wg sync.WaitGroup
	for i, v := range in {
		wg.Go(func() {
			out[i] = f(v)
		})
	}
	wg.Wait()
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results.
func Sum(in []int, f func(int) int) int {
	total := 0
	var wg sync.WaitGroup
	for _, v := range in {
		wg.Go(func() {
			total += f(v)
		})
	}
	wg.Wait()
	return total
}
