package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListShowsEveryLessonInReadingOrder(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run(t.Context(), &stdout, &stderr, []string{"list"}), "stderr:\n%s", stderr.String())
	out := stdout.String()

	// Each lesson's line, then its Python counterpart and its exercise,
	// in catalog order; each section's title before its first lesson.
	pos, section := 0, ""
	for i, l := range catalog.Lessons() {
		if l.Section != section {
			section = l.Section
			title := sectionTitleOf(t, section)
			j := strings.Index(out[pos:], "\n"+title+"\n")
			if i == 0 {
				j = strings.Index(out[pos:], title+"\n")
			}
			require.GreaterOrEqual(t, j, 0, "section %q missing or out of order in:\n%s", title, out)
			pos += j
		}
		exercise := l.Exercise
		if exercise == "" {
			exercise = "(none)"
		}
		for _, want := range []string{
			" " + strconv.Itoa(i+1) + ". " + l.Name + " ",
			l.Title + "\n",
			"Python:   " + l.Python + "\n",
			"Exercise: " + exercise + "\n",
		} {
			j := strings.Index(out[pos:], want)
			require.GreaterOrEqual(t, j, 0, "%q missing or out of order in:\n%s", want, out)
			pos += j + len(want)
		}
	}
	assert.Empty(t, stderr.String())
}

func TestListGroupsBySectionAndSkipsEmptySections(t *testing.T) {
	wb := &workbook{
		sections: []catalog.Section{{Name: "a", Title: "Section A"}, {Name: "empty", Title: "Nothing here"}, {Name: "b", Title: "Section B"}},
		lessons: []catalog.Lesson{
			{Name: "one", Title: "First", Section: "a", Python: "p1", Exercise: "one"},
			{Name: "two", Title: "Second", Section: "a", Python: "p2"},
			{Name: "three", Title: "Third", Section: "b", Python: "p3", Exercise: "ex3"},
		},
	}
	var out bytes.Buffer
	require.NoError(t, wb.list(&out, nil))
	want := `Section A
  1. one    First
            Python:   p1
            Exercise: one
  2. two    Second
            Python:   p2
            Exercise: (none)

Section B
  3. three  Third
            Python:   p3
            Exercise: ex3
`
	assert.Equal(t, want, out.String())
}

func sectionTitleOf(t *testing.T, name string) string {
	for _, s := range catalog.Sections() {
		if s.Name == name {
			return s.Title
		}
	}
	t.Fatalf("no section %q in the catalog", name)
	return ""
}
