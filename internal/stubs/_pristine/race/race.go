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
	// TODO: this code runs, and often even returns the right numbers, but
	// it has a data race. Run
	//
	//	go test -race ./exercises/race
	//
	// read the report (which line, which goroutines), and fix the race
	// without giving up the goroutines: each call to f must still run in
	// its own goroutine, at the same time as the others.
	var out []int
	var wg sync.WaitGroup
	for _, v := range in {
		wg.Go(func() {
			out = append(out, f(v))
		})
	}
	wg.Wait()
	return out
}

// Sum calls f on every element of in, each call in its own goroutine, and
// returns the sum of the results. It returns once every call has returned.
// f must be safe to call from several goroutines at once; a panic in f is
// not recovered and crashes the program. For an empty in, Sum returns 0 and
// never calls f.
func Sum(in []int, f func(int) int) int {
	// TODO: this has a data race too, the race lesson's lost update. Fix it,
	// again keeping one goroutine per call.
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
