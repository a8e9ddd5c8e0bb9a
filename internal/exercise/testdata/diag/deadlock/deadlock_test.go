package deadlock

import (
	"testing"
	"testing/synctest"
)

func TestJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if got := Join(); got != 1 {
			t.Errorf("Join() = %d; want 1", got)
		}
	})
}
