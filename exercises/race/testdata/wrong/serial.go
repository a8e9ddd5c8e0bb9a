// Wrong: Map and Sum call f in a plain loop, with no goroutines: no data race and the right results, but one call at a time.
// Caught by: TestMapCallsFConcurrently, TestSumCallsFConcurrently
package race

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order.
func Map(in []int, f func(int) int) []int {
	out := make([]int, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results.
func Sum(in []int, f func(int) int) int {
	total := 0
	for _, v := range in {
		total += f(v)
	}
	return total
}
