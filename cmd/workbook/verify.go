package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"

	"golang.org/x/sync/errgroup"
)

// verify tests every exercise (two at a time), showing a progress bar on
// a terminal, and prints a table of the results. It returns exitCode(1)
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
	type row struct {
		verdict string
		passed  bool
		race    bool
	}
	rows := make([]row, len(names))
	hashes := make([]string, len(names))

	bar := newBar(stderr, len(names), "testing "+plural(len(names), "exercise"))
	// Each goroutine writes only its own row, and g.Wait returns after
	// every goroutine has: the reads after it see the writes.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelTests)
	for i, name := range names {
		g.Go(func() error {
			defer bar.add()
			if _, err := os.Stat(fromSlash(root, path.Join("exercises", name))); err != nil {
				rows[i] = row{verdict: "missing: no exercises/" + name, race: true}
				return nil
			}
			hashes[i], _ = exerciseHash(root, name) // "" (never matches) if it cannot be hashed
			r, race, err := testExercise(gctx, root, name)
			if err != nil {
				return fmt.Errorf("testing exercises/%s: %w", name, err)
			}
			rows[i] = row{verdict: shortVerdict(r), passed: r.Passed, race: race}
			return nil
		})
	}
	err = g.Wait()
	bar.finish()
	if err != nil {
		return err
	}

	prog := loadProgress(root)
	out := uiFor(stdout)
	width, passed, withoutRace := len("exercise"), 0, false
	for i, name := range names {
		width = max(width, len(name))
		if rows[i].verdict != "" && hashes[i] != "" {
			prog.Results[name] = cachedResult{Hash: hashes[i], Passed: rows[i].passed, Race: rows[i].race, Verdict: rows[i].verdict}
		}
		if rows[i].passed {
			passed++
		}
		withoutRace = withoutRace || !rows[i].race
	}
	if err := prog.save(root); err != nil {
		fmt.Fprintf(stderr, "workbook: could not save progress: %v\n", err)
	}

	fmt.Fprintf(stdout, "%-*s  result\n", width, "exercise")
	for i, name := range names {
		result := out.good("PASS")
		if !rows[i].passed {
			result = out.bad("FAIL") + "  " + rows[i].verdict
		}
		fmt.Fprintf(stdout, "%-*s  %s\n", width, name, result)
	}
	fmt.Fprintf(stdout, "\n%s.\n", passCount(passed, len(names)))
	if withoutRace {
		fmt.Fprintln(stdout, "\n"+raceMissing)
	}
	if passed < len(names) {
		return exitCode(exitFail)
	}
	return nil
}
