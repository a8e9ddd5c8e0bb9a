package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// check runs go vet's checks and the tests of one exercise (under the race
// detector where there is one) and prints the verdict (and with -v, after
// it, everything the tests printed). It returns exitCode(1) unless the
// tests pass.
func (wb *workbook) check(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("check")
	verbose := fs.Bool("v", false, "print the tests' full output after the verdict")
	name, root, err := wb.exerciseArg(fs, args, "check")
	if err != nil {
		return err
	}
	gr := wb.grader(root, stderr)
	what := "testing exercises/" + name
	if gr.announce(ctx) {
		what += " under the race detector"
	}
	fmt.Fprintln(stderr, what+"...")
	g, err := gr.grade(ctx, name, gradeOpts{fresh: true, vet: true, live: newLiveLine(stderr)})
	if err != nil {
		return err
	}
	if err := gr.save(); err != nil {
		fmt.Fprintf(stderr, "workbook: could not save progress (it will be re-tested next time): %v\n", err)
	}
	// The verdict comes first, in plain words; the raw output, if asked
	// for, follows it.
	fmt.Fprint(stdout, render(g, *verbose))
	if *verbose {
		fmt.Fprintf(stdout, "\n--- everything the tests printed ---\n%s", g.output)
		if !strings.HasSuffix(g.output, "\n") {
			fmt.Fprintln(stdout)
		}
	}
	if !g.passed() {
		return exitCode(exitFail)
	}
	return nil
}

// fromSlash joins root and the slash-separated path rel.
func fromSlash(root, rel string) string {
	return filepath.Join(root, filepath.FromSlash(rel))
}
