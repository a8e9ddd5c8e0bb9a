package main

import (
	"context"
	"fmt"
	"io"

	"golang.org/x/sync/errgroup"
)

// verify grades every exercise (two at a time; an untouched stub or an
// unchanged exercise from what is known), showing a progress bar on a
// terminal, and prints a table of the results. It returns exitCode(1)
// unless every exercise passes.
func (wb *workbook) verify(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("verify takes no arguments; got %q", args), "usage: go run ./cmd/workbook verify"}
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	names := wb.exercises()
	gr := wb.grader(root, stderr)
	gr.announce(ctx)
	grades := make([]grade, len(names))
	bar := newBar(stderr, len(names), "testing "+plural(len(names), "exercise"))
	// Each goroutine writes only its own grade, and g.Wait returns after
	// every goroutine has: the reads after it see the writes.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelTests)
	for i, name := range names {
		g.Go(func() error {
			defer bar.add()
			gd, err := gr.grade(gctx, name, gradeOpts{})
			if err != nil {
				return fmt.Errorf("testing exercises/%s: %w", name, err)
			}
			grades[i] = gd
			return nil
		})
	}
	err = g.Wait()
	bar.finish()
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
