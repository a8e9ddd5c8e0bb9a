package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// modulePath is the workbook's module path, as its go.mod declares it.
const modulePath = "github.com/concurrency-workbook/workbook"

// workingRoot finds the workbook's root from the working directory.
func workingRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return findRoot(wd)
}

// findRoot returns the nearest directory at or above dir whose go.mod
// declares modulePath. It walks past the go.mod files of other modules, so
// that a module nested inside the workbook (a fixture, say) does not hide
// it.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && moduleOf(data) == modulePath {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%s is not inside the workbook: no go.mod above it declares module %s; cd into your clone of the workbook and try again", dir, modulePath)
		}
		d = parent
	}
}

// moduleOf returns the module path declared by the go.mod file data, or ""
// if there is none.
func moduleOf(data []byte) string {
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "//")
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		path := strings.TrimSpace(rest)
		if p, err := strconv.Unquote(path); err == nil {
			path = p
		}
		return path
	}
	return ""
}
