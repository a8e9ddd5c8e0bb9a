package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// solution prints the reference solution of an exercise and its notes,
// once the student's exercise passes; with -force, at once, after saying
// that it spoils the exercise. It returns exitCode(1) when it refuses.
func (wb *workbook) solution(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fset := newFlagSet("solution")
	force := fset.Bool("force", false, "show the solution even if your exercise does not pass yet (a spoiler)")
	name, root, err := wb.exerciseArg(fset, args, "solution")
	if err != nil {
		return err
	}
	dir := path.Join("solutions", name)
	entries, err := os.ReadDir(fromSlash(root, dir))
	if err != nil {
		return fmt.Errorf("there is no reference solution for %s (%s: %w)", name, dir, errors.Unwrap(err))
	}

	out := uiFor(stdout)
	if *force {
		fmt.Fprintln(stdout, out.bad("Spoiler: this is the reference solution of "+name+", shown before yours passes."))
		fmt.Fprintln(stdout, out.bad("Reading it now takes away the exercise; a hint (go run ./cmd/workbook hint "+name+") may be enough."))
		fmt.Fprintln(stdout)
	} else {
		passed, verdict, err := wb.passes(ctx, stderr, root, name)
		if err != nil {
			return err
		}
		if !passed {
			fmt.Fprintf(stdout, "Not yet: exercises/%s does not pass (%s).\n", name, verdict)
			fmt.Fprintf(stdout, "Solve it first (go run ./cmd/workbook check %s; hint %s if stuck).\n", name, name)
			fmt.Fprintf(stdout, "To read the solution anyway, which spoils the exercise: go run ./cmd/workbook solution -force %s\n", name)
			return exitCode(exitFail)
		}
	}

	// The solution's code, then its notes.
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			files = append(files, n)
		}
	}
	slices.Sort(files)
	for _, n := range files {
		data, err := os.ReadFile(fromSlash(root, path.Join(dir, n)))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n\n%s\n", out.bold("==> "+path.Join(dir, n)), strings.TrimRight(string(data), "\n"))
	}
	notes, err := os.ReadFile(fromSlash(root, path.Join(dir, "README.md")))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		fmt.Fprintf(stdout, "\n%s\n\n%s\n", out.bold("==> "+path.Join(dir, "README.md")), strings.TrimRight(string(notes), "\n"))
	}
	return nil
}

// passes reports whether exercises/<name> passes its tests, and the
// grade's few words: from the cache if its files are unchanged since the
// last test, else by testing it now (and recording the result).
func (wb *workbook) passes(ctx context.Context, stderr io.Writer, root, name string) (bool, string, error) {
	gr := wb.grader(root, stderr)
	g, ok := gr.known(ctx, name)
	if !ok {
		fmt.Fprintf(stderr, "testing exercises/%s...\n", name)
		var err error
		if g, err = gr.test(ctx, name, gradeOpts{live: newLiveLine(stderr)}); err != nil {
			return false, "", err
		}
		_ = gr.save() // best effort: it is tested again next time
	}
	return g.passed(), g.verdict, nil
}
