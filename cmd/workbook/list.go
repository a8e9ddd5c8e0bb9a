package main

import (
	"fmt"
	"io"

	"github.com/concurrency-workbook/workbook/internal/catalog"
)

// list prints the reading order: each lesson with its number, title,
// Python counterpart and exercise, under its section's heading. It runs
// nothing.
func (wb *workbook) list(w io.Writer, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("list takes no arguments; got %q", args), lookup("list").usage()}
	}
	width := wb.nameWidth()
	wb.eachLesson(w, func(n int, l catalog.Lesson) {
		fmt.Fprintf(w, "%3d. %-*s  %s\n", n, width, l.Name, l.Title)
		indent := 5 + width + 2
		fmt.Fprintf(w, "%*sPython:   %s\n", indent, "", l.Python)
		exercise := l.Exercise
		if exercise == "" {
			exercise = "(none)"
		}
		fmt.Fprintf(w, "%*sExercise: %s\n", indent, "", exercise)
	})
	return nil
}

// eachLesson calls print for every lesson in reading order with its
// number (from 1), first writing the section's title to w whenever the
// section changes, with a blank line between sections.
func (wb *workbook) eachLesson(w io.Writer, print func(n int, l catalog.Lesson)) {
	section := ""
	for i, l := range wb.lessons {
		if i == 0 || l.Section != section {
			if i > 0 {
				fmt.Fprintln(w)
			}
			section = l.Section
			fmt.Fprintln(w, wb.sectionTitle(section))
		}
		print(i+1, l)
	}
}

// sectionTitle returns the heading of the named section, or the name itself
// if no section has it.
func (wb *workbook) sectionTitle(name string) string {
	for _, s := range wb.sections {
		if s.Name == name {
			return s.Title
		}
	}
	return name
}

// nameWidth returns the length of the longest lesson name, to line up the
// columns after it.
func (wb *workbook) nameWidth() int {
	width := 0
	for _, l := range wb.lessons {
		width = max(width, len(l.Name))
	}
	return width
}
