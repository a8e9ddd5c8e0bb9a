package exercise

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const blockSrc = `package x

import (
	"errors"
	"sync"
	str "strings"
)

// ErrX is kept.
var ErrX = errors.New("x")

// A T has a lock.
type T struct{ mu sync.Mutex }

// Get blocks in the blocking version.
func (t *T) Get(s string) (int, error) {
	// TODO: a comment inside goes too.
	return len(str.TrimSpace(s)), nil
}

func helper() int { return 1 }
`

func TestBlocksForeverReplacesExportedBodies(t *testing.T) {
	got, err := BlocksForever([]byte(blockSrc), BlockSelect)
	require.NoError(t, err)
	assert.Equal(t, `package x

import (
	"errors"
	"sync"
	_ "strings"
)

// ErrX is kept.
var ErrX = errors.New("x")

// A T has a lock.
type T struct{ mu sync.Mutex }

// Get blocks in the blocking version.
func (t *T) Get(s string) (int, error) {
	select {}
}

func helper() int { return 1 }
`, string(got))

	got, err = BlocksForever([]byte(blockSrc), BlockLock)
	require.NoError(t, err)
	assert.Contains(t, string(got), "func (t *T) Get(s string) (int, error) {\n\tzzBlockForever.Lock()\n\tzzBlockForever.Lock()\n\tpanic(\"unreachable\")\n}\n")
	assert.Equal(t, "package x\n\nimport \"sync\"\n\n// zzBlockForever is locked and never unlocked by BlocksForever.\nvar zzBlockForever sync.Mutex\n", string(BlockLockFile("x")))
}
