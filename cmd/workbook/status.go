package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"slices"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"golang.org/x/sync/errgroup"
)

// A state is how far a student has got with one exercise.
type state int

const (
	notStarted state = iota // failing, and unchanged since the last commit
	failing                 // failing, and edited (or we cannot tell)
	passing                 // every test passes
	missing                 // exercises/<name> does not exist
)

func (s state) String() string {
	return [...]string{"not started", "failing", "passing", "missing"}[s]
}

// status prints the reading order with the state of every exercise, and
// the next step to take. It tests the exercises two at a time (each test
// run is a "go test -race" child that keeps a core busy) and prints when
// all are done, in reading order.
func (wb *workbook) status(ctx context.Context, stdout, stderr io.Writer) error {
	root, err := wb.root()
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "checking exercises...")

	// Each goroutine writes only its own lesson's entries, and g.Wait
	// returns after every goroutine has: the reads below see the writes.
	states := make([]state, len(wb.lessons))
	raced := make([]bool, len(wb.lessons))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i, l := range wb.lessons {
		if l.Exercise == "" {
			continue
		}
		g.Go(func() error {
			s, race, err := exerciseState(gctx, root, l.Exercise)
			if err != nil {
				return fmt.Errorf("testing exercises/%s: %w", l.Exercise, err)
			}
			states[i], raced[i] = s, race
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// We describe every lesson first, to line up the titles after the
	// descriptions.
	whats := make([]string, len(wb.lessons))
	whatWidth, next, withoutRace, exercises := 0, -1, false, 0
	for i, l := range wb.lessons {
		whats[i] = "no exercise"
		if l.Exercise != "" {
			exercises++
			whats[i] = states[i].String()
			if l.Exercise != l.Name {
				whats[i] += " (" + l.Exercise + ")"
			}
			if states[i] != passing && next < 0 {
				next = i
			}
			withoutRace = withoutRace || !raced[i]
		}
		whatWidth = max(whatWidth, len(whats[i]))
	}
	nameWidth := wb.nameWidth()
	wb.eachLesson(stdout, func(n int, l catalog.Lesson) {
		fmt.Fprintf(stdout, "%3d. %-*s  %-*s  %s\n", n, nameWidth, l.Name, whatWidth, whats[n-1], l.Title)
	})
	fmt.Fprintln(stdout)
	if withoutRace {
		fmt.Fprintln(stdout, "Note: the race detector is not available here (it needs cgo and a C compiler), so the tests ran without -race.")
	}
	switch {
	case next >= 0:
		l := wb.lessons[next]
		fmt.Fprintf(stdout, "Next: read lessons/%s/README.md, run `go run ./lessons/%s`,\n", l.Name, l.Name)
		fmt.Fprintf(stdout, "then solve exercises/%s and run `go run ./cmd/workbook check %s`.\n", l.Exercise, l.Exercise)
	case exercises == 0:
		fmt.Fprintln(stdout, "There are no exercises yet.")
	default:
		fmt.Fprintf(stdout, "All exercises pass (%d of %d). Well done: you have finished the workbook.\n", exercises, exercises)
	}
	return nil
}

// exerciseState tests the named exercise in the module at root and says
// how far along it is, and whether the tests ran under the race detector.
// The error is non-nil only if the tests could not be run.
func exerciseState(ctx context.Context, root, name string) (s state, race bool, err error) {
	dir := path.Join("exercises", name)
	if _, err := os.Stat(fromSlash(root, dir)); err != nil {
		return missing, true, nil
	}
	r, race, err := testExercise(ctx, root, name)
	switch {
	case err != nil:
		return 0, race, err
	case r.Passed:
		return passing, race, nil
	case unchanged(ctx, root, dir):
		return notStarted, race, nil
	default:
		return failing, race, nil
	}
}

// unchanged reports whether the files in dir (relative to root) are as the
// last commit has them. It says false whenever git cannot tell: no git, no
// repository, or no commit yet.
func unchanged(ctx context.Context, root, dir string) bool {
	cmd := exec.CommandContext(ctx, "git", "diff", "--quiet", "HEAD", "--", dir)
	cmd.Dir = root
	// A git hook or a wrapper may point git at another repository; we mean
	// the one that holds root.
	cmd.Env = slices.DeleteFunc(os.Environ(), gitLocationVar)
	return cmd.Run() == nil // exit status 0: no differences
}

// gitLocationVar reports whether the environment entry kv tells git where
// the repository, work tree or index is.
func gitLocationVar(kv string) bool {
	name, _, _ := strings.Cut(kv, "=")
	switch name {
	case "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY":
		return true
	}
	return false
}
