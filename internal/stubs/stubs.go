// Package stubs holds every exercise's stub files as the workbook ships
// them: _pristine/<exercise>/<file>.go, copies of the non-test .go files of
// exercises/<exercise>, embedded in the binary. reset restores them, the
// grader compares an exercise with them to tell that it is not started,
// and make test verifies them (laid over exercises/ with go test
// -overlay), so that what a student writes in exercises/ never decides
// whether make test passes.
//
// A test keeps them identical to the committed stubs; after changing a
// stub, run
//
//	go test ./internal/stubs -update
package stubs

import (
	"bytes"
	"embed"
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed _pristine
var pristine embed.FS

// FS returns the shipped stubs, one directory per exercise.
func FS() fs.FS {
	sub, err := fs.Sub(pristine, "_pristine")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}

// Dir is where the copies are, relative to the module root.
const Dir = "internal/stubs/_pristine"

// OnDisk returns the shipped stubs as the module at root has them in Dir:
// the same files FS embeds, for a program that works on a checkout (make
// test) rather than on its own binary.
func OnDisk(root string) fs.FS {
	return os.DirFS(filepath.Join(root, filepath.FromSlash(Dir)))
}

// Files returns the names of the stub files of exercise name in shipped
// (FS or OnDisk), in order; none for an exercise it does not have.
func Files(shipped fs.FS, name string) []string {
	entries, err := fs.ReadDir(shipped, name)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// StubFiles returns the names of the non-test .go files in dir, in order:
// the files of an exercise that are the student's.
func StubFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			names = append(names, n)
		}
	}
	return names, nil
}

// Changed returns the student's files of exercise name in the module at
// root (slash-separated, relative to root) that are not as in shipped:
// edited ones, and ones the student added. A file the student deleted is
// not listed: there is nothing of theirs in it.
func Changed(root, name string, shipped fs.FS) ([]string, error) {
	dir := path.Join("exercises", name)
	files, err := StubFiles(filepath.Join(root, filepath.FromSlash(dir)))
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, f := range files {
		want, err := fs.ReadFile(shipped, path.Join(name, f))
		if err != nil { // not shipped: the student's own
			changed = append(changed, path.Join(dir, f))
			continue
		}
		current, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(dir), f))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(current, want) {
			changed = append(changed, path.Join(dir, f))
		}
	}
	return changed, nil
}

// Overlay returns a go build -overlay file's contents that compiles
// exercise name, in the module at root, from its shipped stubs whatever
// the student has done: each stub file is replaced by its copy in root's
// Dir, and any other non-test .go file is left out. replace, if it is not
// nil, then maps more files (relative to the exercise's directory) to
// files of their own (absolute paths): a known-wrong variant in place of
// the stub, say.
func Overlay(root, name string, replace map[string]string) ([]byte, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(abs, "exercises", name)
	files, err := StubFiles(dir)
	if err != nil {
		return nil, err
	}
	o := map[string]string{}
	for _, f := range files {
		o[filepath.Join(dir, f)] = "" // left out, unless shipped (below)
	}
	for _, f := range Files(OnDisk(abs), name) {
		o[filepath.Join(dir, f)] = filepath.Join(abs, filepath.FromSlash(Dir), name, f)
	}
	for f, with := range replace {
		o[filepath.Join(dir, f)] = with
	}
	return json.Marshal(map[string]map[string]string{"Replace": o})
}
