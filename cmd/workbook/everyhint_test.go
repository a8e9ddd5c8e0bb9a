package main

import (
	"path/filepath"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
)

// TestEveryExerciseHasHints checks the hints that `workbook hint` shows:
// every exercise in the catalog has a hints.md with at least three graded
// hints.
func TestEveryExerciseHasHints(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, name := range catalog.Exercises() {
		hints, err := readHints(root, name)
		if assert.NoError(t, err, name) {
			assert.GreaterOrEqual(t, len(hints), 3, "hints for %s", name)
		}
	}
}
