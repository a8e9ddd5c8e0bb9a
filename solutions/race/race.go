// Package race calls a function on every element of a slice, each call in
// its own goroutine, and gathers the results without a data race: Map keeps
// them in input order, and Sum adds them up.
package race

import "sync"

// Map calls f on every element of in, each call in its own goroutine, and
// returns the results in input order: element i of the result is f(in[i]),
// whatever order the calls finish in. It returns once every call has
// returned. f must be safe to call from several goroutines at once; a panic
// in f is not recovered and crashes the program. For an empty in, Map
// returns an empty slice and never calls f.
//
// Every call's result is written before Map returns, in the sense of the Go
// memory model (https://go.dev/ref/mem): the caller may read the result
// with no further synchronization.
func Map(in []int, f func(int) int) []int {
	// We allocate the whole result before starting any goroutine, and each
	// goroutine writes only its own element, out[i]. Distinct elements of
	// a slice are distinct variables, so no two goroutines ever touch the
	// same memory, and there is nothing to lock. The index also fixes each
	// result's place, so the order the calls finish in does not matter.
	// (append, by contrast, reads and writes the slice's length, and may
	// move the whole backing array, from every goroutine at once.)
	out := make([]int, len(in))
	var wg sync.WaitGroup
	for i, v := range in {
		wg.Go(func() {
			out[i] = f(v)
		})
	}

	// The return of each function started with wg.Go synchronizes before
	// the return of wg.Wait, so every write to out happens before we read
	// or return it.
	wg.Wait()
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results. It returns once every call has returned.
// f must be safe to call from several goroutines at once; a panic in f is
// not recovered and crashes the program. For an empty in, Sum returns 0 and
// never calls f.
func Sum(in []int, f func(int) int) int {
	// We let Map make the calls: each goroutine writes its result into its
	// own element, and Map has waited for all of them when it returns. Only
	// then do we add the results up, in this one goroutine, so no other
	// goroutine can load or store total while we update it.
	total := 0
	for _, r := range Map(in, f) {
		total += r
	}
	return total
}
