//go:build !race

// This file is left out of race-enabled builds (go test -race), because its
// counter is the race lesson's data race, kept on purpose: the race
// detector would report it and fail the run, as it should. Without -race it
// shows what the locks cost, and that a racy program is not even fast.

package main

import (
	"sync"
	"testing"
)

// racy is the race lesson's bug: goroutines add 1 to a shared total n times
// each with no lock. Increments are lost, so the total it returns is wrong;
// it is here only to be timed.
func racy(goroutines, n int) int {
	total := 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				total++
			}
		})
	}
	wg.Wait()
	return total
}

func BenchmarkCounterRacy(b *testing.B) {
	benchmarkStrategies(b, []strategy{
		{"racy", racy, false}, // loses updates, so its total is not checked
	})
}
