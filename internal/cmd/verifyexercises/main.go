// The verifyexercises command proves that the workbook's exercises are
// sound: for each exercise it checks that the stub and the solution share
// their test files and API, that the stub compiles and fails its tests, that
// the solution passes them under the race detector, and that every
// known-wrong variant is rejected by the tests its header names.
//
// Usage, from the module root:
//
//	go run ./internal/cmd/verifyexercises [-v] [exercise ...]
//
// With no arguments it verifies every exercise in the catalog. It exits 1 if
// any check fails; -v prints what each check saw, not only the failures'.
// A check that cannot be made on this machine (an exercise's SIMD build on
// a CPU without AVX2) is marked skip, with its reason, and fails nothing.
// make test runs it. The stubs it verifies are the shipped copies in
// internal/stubs, never what a student has written in exercises/.
//
//	go list ./... | go run ./internal/cmd/verifyexercises -drop-mine
//
// drops the packages (or files, for gofmt -l) of the exercises that hold a
// student's work (none when WORKBOOK_MAINTAINER=1), for make lint and make
// cross to leave alone.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/concurrency-workbook/workbook/internal/stubs"
	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	verbose := flag.Bool("v", false, "print what every check saw")
	dropMine := flag.Bool("drop-mine", false, "copy stdin to stdout, without the lines (files or package paths) in an exercise that holds a student's work, and exit")
	flag.Parse()
	if *dropMine {
		if err := filterMine(os.Stdin, os.Stdout, "."); err != nil {
			fmt.Fprintln(os.Stderr, "verifyexercises:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, os.Stdout, ".", flag.Args(), *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "verifyexercises:", err)
		os.Exit(1)
	}
}

// errFailed reports that some check failed; the checks themselves say which.
var errFailed = errors.New("some exercises are not sound (see above)")

// run verifies the named exercises (all of them if names is empty) of the
// module at root, printing each check to w.
func run(ctx context.Context, w io.Writer, root string, names []string, verbose bool) error {
	if len(names) == 0 {
		names = catalog.Exercises()
		if err := sameDirs(root, names); err != nil {
			return err
		}
	}
	for _, n := range names {
		if _, err := catalog.FindExercise(n); err != nil {
			return err
		}
	}

	// We verify three exercises at a time (and Verify three variants of each), on any number of cores. Each
	// check is a "go test -race" child that keeps a core busy while it
	// links, but a known-wrong variant that deadlocks then sits idle for
	// hangcheck's whole bound; running several at a time keeps the cores busy through
	// those waits. (Two at a time took 230 s for twenty exercises on two
	// cores; this, about half that.)
	results := make([][]exercise.Check, len(names))
	var mu sync.Mutex // serializes progress lines on w
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	for i, n := range names {
		g.Go(func() error {
			checks, err := exercise.Verify(ctx, root, n)
			if err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
			results[i] = checks
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(w, "verified %s\n", n)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	failed := false
	for i, n := range names {
		fmt.Fprintf(w, "\n%s\n", n)
		for _, c := range results[i] {
			mark := "ok  "
			switch {
			case !c.OK:
				mark = "FAIL"
				failed = true
			case c.Skipped:
				mark = "skip"
			}
			fmt.Fprintf(w, "  %s %s\n", mark, c.What)
			if (!c.OK || c.Skipped || verbose) && c.Detail != "" {
				for line := range strings.Lines(strings.TrimRight(c.Detail, "\n")) {
					fmt.Fprintf(w, "         %s", line)
				}
				fmt.Fprintln(w)
			}
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// maintainer is the environment variable set in the workbook's own
// checkout (by .ci/run, and by a maintainer changing a stub): there, every
// exercise file must be as shipped, and all of them are linted.
const maintainer = "WORKBOOK_MAINTAINER"

// studentDirs returns the exercise directories (slash-separated, relative
// to root) whose stub files are not as shipped: a student's work, which
// make test leaves to the student (it verifies the shipped stubs instead).
// In the workbook's own checkout there are none by definition.
func studentDirs(root string, maintainer bool) ([]string, error) {
	if maintainer {
		return nil, nil
	}
	var dirs []string
	for _, name := range catalog.Exercises() {
		changed, err := stubs.Changed(root, name, stubs.OnDisk(root))
		if err != nil {
			return nil, err
		}
		if len(changed) > 0 {
			dirs = append(dirs, "exercises/"+name)
		}
	}
	return dirs, nil
}

// filterMine copies the lines of in to out, leaving out those that name a
// file or package in one of studentDirs(root): "exercises/mutex/mutex.go",
// "github.com/concurrency-workbook/workbook/exercises/mutex".
func filterMine(in io.Reader, out io.Writer, root string) error {
	dirs, err := studentDirs(root, os.Getenv(maintainer) == "1")
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		p := strings.TrimPrefix(line, modulePath+"/")
		if slices.ContainsFunc(dirs, func(d string) bool { return p == d || strings.HasPrefix(p, d+"/") }) {
			continue
		}
		fmt.Fprintln(out, line)
	}
	return sc.Err()
}

// modulePath is the workbook's module path.
const modulePath = "github.com/concurrency-workbook/workbook"

// sameDirs checks that exercises/ and solutions/ hold exactly the
// exercises the catalog names.
func sameDirs(root string, names []string) error {
	for _, top := range []string{"exercises", "solutions"} {
		entries, err := os.ReadDir(filepath.Join(root, top))
		if err != nil {
			return err
		}
		var dirs []string
		for _, e := range entries {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
		for _, d := range dirs {
			if !slices.Contains(names, d) {
				return fmt.Errorf("%s/%s is not in the catalog (internal/catalog)", top, d)
			}
		}
		for _, n := range names {
			if !slices.Contains(dirs, n) {
				return fmt.Errorf("the catalog names exercise %q, but %s/%s does not exist", n, top, n)
			}
		}
	}
	return nil
}
