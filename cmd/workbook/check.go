package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/exercise"
)

const checkUsage = "usage: go run ./cmd/workbook check [-v] <exercise>"

// check tests one exercise under the race detector and prints a summary
// of the outcome (and with -v, everything the tests printed). It returns
// exitCode(1) if the tests do not pass.
func (wb *workbook) check(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("check")
	verbose := fs.Bool("v", false, "print the tests' full output")
	// We let -v come before or after the name: parse, take the name, parse
	// what follows it.
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return &usageError{err.Error(), checkUsage}
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(names) {
	case 0:
		return &usageError{"check needs the name of an exercise: one of " + strings.Join(wb.exercises(), ", "), checkUsage}
	case 1:
	default:
		return &usageError{fmt.Sprintf("check takes one exercise; got %q", names), checkUsage}
	}
	name := names[0]
	if _, err := wb.findExercise(name); err != nil {
		return err
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	dir := path.Join("exercises", name)
	if _, err := os.Stat(fromSlash(root, dir)); err != nil {
		return fmt.Errorf("%s does not exist in %s", dir, root)
	}

	fmt.Fprintf(stderr, "testing %s under the race detector...\n", dir)
	r, race, err := testExercise(ctx, root, name)
	if err != nil {
		return err
	}
	if *verbose {
		fmt.Fprint(stdout, r.Output)
		fmt.Fprintln(stdout)
	}
	fmt.Fprint(stdout, summarize(root, name, r, race))
	if !r.Passed {
		return exitCode(exitFail)
	}
	return nil
}

// testExercise runs the tests of exercises/<name> in the module at root
// under the race detector, or without it where it is not available (no
// cgo), and says which it did. The error is non-nil only if the tests
// could not be run at all.
func testExercise(ctx context.Context, root, name string) (r exercise.Result, race bool, err error) {
	dir := path.Join("exercises", name)
	r, err = exercise.Test(ctx, root, dir, exercise.Options{Race: true})
	if err != nil || r.Passed || !raceUnavailable(r.Output) {
		return r, true, err
	}
	r, err = exercise.Test(ctx, root, dir, exercise.Options{})
	return r, false, err
}

// raceUnavailable reports whether the go command refused -race, as it does
// where cgo is off or the platform has no race detector.
func raceUnavailable(output string) bool {
	return strings.Contains(output, "-race requires cgo") ||
		strings.Contains(output, "-race is not supported")
}

// fromSlash joins root and the slash-separated path rel.
func fromSlash(root, rel string) string {
	return filepath.Join(root, filepath.FromSlash(rel))
}
