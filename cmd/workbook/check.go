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
// of the outcome (and with -v, after it, everything the tests printed).
// It returns exitCode(1) if the tests do not pass.
func (wb *workbook) check(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("check")
	verbose := fs.Bool("v", false, "print the tests' full output")
	name, root, err := wb.exerciseArg(fs, args, "check", checkUsage)
	if err != nil {
		return err
	}
	dir := path.Join("exercises", name)
	if _, err := os.Stat(fromSlash(root, dir)); err != nil {
		return fmt.Errorf("%s does not exist in %s", dir, root)
	}

	fmt.Fprintf(stderr, "testing %s under the race detector...\n", dir)
	hash, hashErr := exerciseHash(root, name) // before the test: a save during it makes a new version
	r, race, err := testExercise(ctx, root, name)
	if err != nil {
		return err
	}
	if !race {
		fmt.Fprintln(stderr, raceMissing)
	}
	if hashErr == nil {
		remember(root, name, hash, r, race)
	}
	// The verdict comes first, in plain words; the raw output, if asked
	// for, follows it.
	fmt.Fprint(stdout, summarize(root, name, r, race))
	if *verbose {
		fmt.Fprintf(stdout, "\n--- everything the tests printed ---\n%s", r.Output)
		if !strings.HasSuffix(r.Output, "\n") {
			fmt.Fprintln(stdout)
		}
	}
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

// remember records in the progress file the result of testing exercise
// name, whose files hashed to hash when the test started. It is best
// effort: a result that is not recorded is tested again next time.
func remember(root, name, hash string, r exercise.Result, race bool) {
	prog := loadProgress(root)
	prog.Results[name] = cachedResult{Hash: hash, Passed: r.Passed, Race: race, Verdict: shortVerdict(r)}
	_ = prog.save(root) // best effort, as above
}
