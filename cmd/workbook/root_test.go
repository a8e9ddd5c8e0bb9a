package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindRootWalksUpToTheWorkbooksGoMod(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "go.mod", "module "+modulePath+"\n\ngo 1.25.0\n")
	// A module of its own inside the workbook must not stop the walk.
	writeFile(t, root, "lessons/x/testdata/go.mod", "module example.com/other\n")
	deep := filepath.Join(root, "lessons", "x", "testdata", "deeper")
	require.NoError(t, os.MkdirAll(deep, 0o755))

	for _, dir := range []string{root, filepath.Join(root, "lessons"), deep} {
		got, err := findRoot(dir)
		require.NoError(t, err, "findRoot(%s)", dir)
		assert.Equal(t, root, got, "findRoot(%s)", dir)
	}
}

func TestFindRootOutsideTheWorkbookSaysSo(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "go.mod", "module example.com/other\n")
	_, err := findRoot(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not inside the workbook")
	assert.Contains(t, err.Error(), modulePath)
}

func TestModuleOf(t *testing.T) {
	tests := []struct{ gomod, want string }{
		{"module " + modulePath + "\n", modulePath},
		{"// comment\nmodule \"" + modulePath + "\" // trailing\n\ngo 1.25.0\n", modulePath},
		{"go 1.25.0\n\tmodule\t" + modulePath + "\n", modulePath},
		{"modulex " + modulePath + "\n", ""},
		{"go 1.25.0\n", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, moduleOf([]byte(tt.gomod)), "moduleOf(%q)", tt.gomod)
	}
}

// writeFile writes content to the slash-separated path rel under root,
// making its directories.
func writeFile(t *testing.T, root, rel, content string) {
	t.Helper()
	p := fromSlash(root, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}
