package leaks

import (
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// goleak's error, quoted in a testify message, names it too.
func TestFound(t *testing.T) {
	Start()
	require.NoError(t, goleak.Find(), "goroutines Start left behind")
}

// synctest finds the goroutine left blocked when the bubble ends, and
// panics: the test binary ends, so this test comes last.
func TestInBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) { Start() })
}
