package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestUnknownExerciseIsAnError(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), &out, "../..", []string{"mutx"})
	var u *catalog.UnknownError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, "mutex", u.Closest)
	assert.Empty(t, out.String(), "nothing is verified when a name is wrong")
}

func TestSameDirs(t *testing.T) {
	root := t.TempDir()
	mk := func(path string) { require.NoError(t, os.MkdirAll(filepath.Join(root, path), 0o755)) }
	mk("exercises/a")
	mk("solutions/a")
	require.NoError(t, sameDirs(root, []string{"a"}))

	assert.ErrorContains(t, sameDirs(root, []string{"a", "b"}),
		`the catalog names exercise "b", but exercises/b does not exist`)

	mk("solutions/stray")
	assert.ErrorContains(t, sameDirs(root, []string{"a"}), "solutions/stray is not in the catalog")
}
