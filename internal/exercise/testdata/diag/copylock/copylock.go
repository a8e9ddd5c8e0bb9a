package copylock

import "sync"

// A Counter counts, but its value receiver copies the lock.
type Counter struct {
	mu sync.Mutex // guards n
	n  int
}

func (c Counter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

func (c *Counter) N() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
