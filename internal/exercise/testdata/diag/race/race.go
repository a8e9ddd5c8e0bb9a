package race

import "sync"

// Count increments a shared counter from n goroutines, without a lock.
func Count(n int) int {
	total := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { total++ })
	}
	wg.Wait()
	return total
}
