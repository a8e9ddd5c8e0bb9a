package main

import (
	"context"
	"fmt"
	"io"
)

// verify grades every exercise (two at a time; an untouched stub or an
// unchanged exercise from what is known), showing a progress bar on a
// terminal, and prints a table of the results. It returns exitCode(1)
// unless every exercise passes.
func (wb *workbook) verify(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("verify takes no arguments; got %q", args), lookup("verify").usage()}
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	names := wb.exercises()
	gr := wb.grader(root, stderr)
	gr.announce(ctx)
	grades, err := gradeEach(ctx, stderr, gr, names)
	if err != nil {
		return err
	}
	if err := gr.save(); err != nil {
		fmt.Fprintf(stderr, "workbook: could not save progress: %v\n", err)
	}

	out := uiFor(stdout)
	width, passed := len("exercise"), 0
	for i, name := range names {
		width = max(width, len(name))
		if grades[i].passed() {
			passed++
		}
	}
	fmt.Fprintf(stdout, "%-*s  result\n", width, "exercise")
	for i, name := range names {
		result := out.good("PASS")
		switch {
		case grades[i].passed() && !grades[i].race:
			result = out.good("PASS") + "  not checked for races"
		case grades[i].state == notStarted:
			result = out.dim("-     not started")
		case !grades[i].passed():
			result = out.bad("FAIL") + "  " + grades[i].verdict
		}
		fmt.Fprintf(stdout, "%-*s  %s\n", width, name, result)
	}
	fmt.Fprintf(stdout, "\n%s.\n", passCount(passed, len(names)))
	if passed < len(names) {
		return exitCode(exitFail)
	}
	return nil
}
