package main

import (
	"flag"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite _pristine from the exercises' stubs")

// stubFiles returns the names of the non-test .go files directly in dir.
func stubFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	return names
}

// TestPristineCopiesMatchTheStubs checks that the stubs embedded for reset
// are the exercises' stubs, byte for byte, for every exercise in the
// catalog and nothing else. With -update it rewrites them.
func TestPristineCopiesMatchTheStubs(t *testing.T) {
	root := filepath.Join("..", "..")
	if *update {
		require.NoError(t, os.RemoveAll("_pristine"))
		for _, name := range catalog.Exercises() {
			dir := filepath.Join(root, "exercises", name)
			for _, f := range stubFiles(t, dir) {
				data, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				require.NoError(t, os.MkdirAll(filepath.Join("_pristine", name), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join("_pristine", name, f), data, 0o644))
			}
		}
		t.Log("rewrote _pristine; rebuild to embed it")
		return
	}

	// The embedded copy, not the directory on disk: that is what reset uses.
	stubs := pristine()
	var embedded []string
	require.NoError(t, fs.WalkDir(stubs, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			embedded = append(embedded, p)
		}
		return err
	}))
	var want []string
	for _, name := range catalog.Exercises() {
		dir := filepath.Join(root, "exercises", name)
		files := stubFiles(t, dir)
		require.NotEmpty(t, files, "exercises/%s has no stub file", name)
		for _, f := range files {
			want = append(want, path.Join(name, f))
			onDisk, err := os.ReadFile(filepath.Join(dir, f))
			require.NoError(t, err)
			copied, err := fs.ReadFile(stubs, path.Join(name, f))
			if assert.NoError(t, err, "no copy of exercises/%s/%s: run go test ./cmd/workbook -run Pristine -update", name, f) {
				assert.Equal(t, string(onDisk), string(copied), "exercises/%s/%s differs from its copy: run go test ./cmd/workbook -run Pristine -update", name, f)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(embedded)
	assert.Equal(t, want, embedded, "files in _pristine")
}
