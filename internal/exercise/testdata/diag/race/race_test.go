package race

import "testing"

func TestCount(t *testing.T) {
	if got := Count(100); got != 100 {
		t.Errorf("Count(100) = %d; want 100", got)
	}
}
