package assert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdd(t *testing.T) {
	assert.Equal(t, 5, Add(2, 3), "Add(2, 3): the sum of 2 and 3")
	t.Errorf("Add(1, 1) = %d; want 2\nsecond line", Add(1, 1))
	require.Equal(t, []int{1, 2}, []int{Add(1, 0), Add(1, 0)}, "two sums")
}

func TestPass(t *testing.T) { t.Log("a passing test's line") }
