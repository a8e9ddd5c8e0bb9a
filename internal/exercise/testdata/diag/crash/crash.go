package crash

import "sync"

// Fill writes to a nil map from a goroutine.
func Fill() {
	var m map[int]int
	var wg sync.WaitGroup
	wg.Go(func() {
		m[1] = 1
	})
	wg.Wait()
}
