// Wrong: Map and Sum start their goroutines but never wait for them, so they return before the calls have finished.
// Caught by: TestMapCallsFConcurrently, TestSumCallsFConcurrently
package race

import "sync/atomic"

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order.
func Map(in []int, f func(int) int) []int {
	out := make([]int, len(in))
	for i, v := range in {
		go func() {
			out[i] = f(v)
		}()
	}
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results.
func Sum(in []int, f func(int) int) int {
	var total atomic.Int64
	for _, v := range in {
		go func() {
			total.Add(int64(f(v)))
		}()
	}
	return int(total.Load())
}
