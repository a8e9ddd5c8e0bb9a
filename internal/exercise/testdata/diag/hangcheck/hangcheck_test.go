package hangcheck

import (
	"testing"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
)

func TestInc(t *testing.T) {
	hangcheck.Within(t, "three Incs", func() {
		Inc()
		Inc()
		Inc()
	})
}

// TestIncAgain hangs too (the lock is still held), for another 5 s,
// unless the tests are stopped at the first hang.
func TestIncAgain(t *testing.T) {
	hangcheck.Within(t, "one more Inc", Inc)
}
