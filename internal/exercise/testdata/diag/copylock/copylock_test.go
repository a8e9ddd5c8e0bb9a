package copylock

import "testing"

func TestInc(t *testing.T) {
	var c Counter
	c.Inc()
	if c.N() != 1 {
		t.Errorf("after one Inc, N() = %d; want 1", c.N())
	}
}
