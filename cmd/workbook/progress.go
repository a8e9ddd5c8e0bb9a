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

	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/schollz/progressbar/v3"
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

// parallelTests is how many exercises we test at once: each "go test
// -race" keeps about a core busy.
const parallelTests = 2

// raceMissing explains, once per command, why tests run without -race.
const raceMissing = `Note: the race detector is not available here: it needs cgo and a C compiler.
Install one (Debian or Ubuntu: sudo apt install gcc; Fedora: sudo dnf install gcc;
macOS: xcode-select --install; Windows: gcc from MSYS2 or TDM-GCC, on your PATH)
and leave CGO_ENABLED unset or 1. Until then the tests run without -race, and a
pass is unverified for data races.`

// progress prints the reading order with the state of every exercise, a
// count per section and overall, and the next step to take. An exercise
// whose files are unchanged since it was last tested is not tested again
// (see exerciseHash); the others are, two at a time.
func (wb *workbook) progress(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("progress takes no arguments; got %q", args), "usage: go run ./cmd/workbook progress"}
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	prog := loadProgress(root)
	states, results, err := wb.states(ctx, stderr, root, prog)
	if err != nil {
		return err
	}
	if err := prog.save(root); err != nil {
		fmt.Fprintf(stderr, "workbook: could not save progress (it will be re-tested next time): %v\n", err)
	}

	out := uiFor(stdout)
	done, total, next, withoutRace := 0, 0, -1, false
	perSection := make(map[string][2]int) // section name: passing, exercises
	whats := make([]string, len(wb.lessons))
	whatWidth := 0
	for i, l := range wb.lessons {
		whats[i] = "no exercise"
		if l.Exercise != "" {
			total++
			c := perSection[l.Section]
			c[1]++
			if states[i] == passing {
				done++
				c[0]++
			} else if next < 0 {
				next = i
			}
			perSection[l.Section] = c
			whats[i] = states[i].String()
			if l.Exercise != l.Name {
				whats[i] += " (" + l.Exercise + ")"
			}
			withoutRace = withoutRace || !results[i].Race
		}
		whatWidth = max(whatWidth, len(whats[i]))
	}

	fmt.Fprintf(stdout, "%s %s\n", out.bold("Go concurrency workbook:"), passCount(done, total))
	if bar := out.meter(done, total, 40); bar != "" {
		fmt.Fprintln(stdout, bar)
	}
	fmt.Fprintln(stdout)
	nameWidth := wb.nameWidth()
	section := ""
	for i, l := range wb.lessons {
		if i == 0 || l.Section != section {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			section = l.Section
			c := perSection[section]
			count := "no exercises"
			if c[1] > 0 {
				count = fmt.Sprintf("%d of %d pass", c[0], c[1])
			}
			fmt.Fprintf(stdout, "%s (%s)\n", out.bold(wb.sectionTitle(section)), count)
		}
		what := fmt.Sprintf("%-*s", whatWidth, whats[i])
		switch {
		case l.Exercise == "":
			what = out.dim(what)
		case states[i] == passing:
			what = out.good(what)
		case states[i] == failing:
			what = out.bad(what)
		}
		fmt.Fprintf(stdout, "%3d. %-*s  %s  %s\n", i+1, nameWidth, l.Name, what, l.Title)
	}
	fmt.Fprintln(stdout)
	if withoutRace {
		fmt.Fprintln(stdout, raceMissing)
		fmt.Fprintln(stdout)
	}
	switch {
	case next >= 0:
		l := wb.lessons[next]
		fmt.Fprintf(stdout, "Next: read lessons/%s/README.md, run `go run ./lessons/%s`,\n", l.Name, l.Name)
		fmt.Fprintf(stdout, "then solve exercises/%s and run `go run ./cmd/workbook check %s`\n", l.Exercise, l.Exercise)
		fmt.Fprintf(stdout, "(or `go run ./cmd/workbook watch` to re-check on every save).\n")
	case total == 0:
		fmt.Fprintln(stdout, "There are no exercises yet.")
	default:
		fmt.Fprintf(stdout, "All exercises pass (%d of %d). Well done: you have finished the workbook.\n", total, total)
	}
	return nil
}

// states returns the state and last result of every lesson's exercise
// (zero for a lesson without one), testing those whose files changed since
// the cached result and recording the new results in prog.
func (wb *workbook) states(ctx context.Context, stderr io.Writer, root string, prog *progressFile) ([]state, []cachedResult, error) {
	states := make([]state, len(wb.lessons))
	results := make([]cachedResult, len(wb.lessons))
	hashes := make([]string, len(wb.lessons))
	var stale []int // lessons whose exercise must be tested
	for i, l := range wb.lessons {
		if l.Exercise == "" {
			continue
		}
		if _, err := os.Stat(fromSlash(root, path.Join("exercises", l.Exercise))); err != nil {
			states[i], results[i] = missing, cachedResult{Race: true}
			continue
		}
		h, err := exerciseHash(root, l.Exercise)
		if err != nil {
			return nil, nil, err
		}
		hashes[i] = h
		if c, ok := prog.Results[l.Exercise]; ok && c.Hash == h {
			results[i] = c
			continue
		}
		stale = append(stale, i)
	}

	if len(stale) > 0 {
		bar := newBar(stderr, len(stale), "testing "+plural(len(stale), "exercise"))
		// Each goroutine writes only its own lesson's entries, and g.Wait
		// returns after every goroutine has: the reads after it see the
		// writes.
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(parallelTests)
		for _, i := range stale {
			name := wb.lessons[i].Exercise
			g.Go(func() error {
				r, race, err := testExercise(gctx, root, name)
				if err != nil {
					return fmt.Errorf("testing exercises/%s: %w", name, err)
				}
				results[i] = cachedResult{Hash: hashes[i], Passed: r.Passed, Race: race, Verdict: shortVerdict(r)}
				bar.add()
				return nil
			})
		}
		err := g.Wait()
		bar.finish()
		if err != nil {
			return nil, nil, err
		}
		for _, i := range stale {
			prog.Results[wb.lessons[i].Exercise] = results[i]
		}
	}

	for i, l := range wb.lessons {
		switch {
		case l.Exercise == "" || states[i] == missing:
		case results[i].Passed:
			states[i] = passing
		case unchanged(ctx, root, path.Join("exercises", l.Exercise)):
			states[i] = notStarted
		default:
			states[i] = failing
		}
	}
	return states, results, nil
}

// A bar shows how many of a known number of steps are done: a progress
// bar on a terminal, one line saying what is happening otherwise. Its
// methods may be called from several goroutines at once.
type bar struct {
	pb *progressbar.ProgressBar // nil when w is not a terminal
}

func newBar(w io.Writer, total int, what string) *bar {
	if !uiFor(w).tty {
		fmt.Fprintf(w, "%s...\n", what)
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionClearOnFinish(),
	)}
}

func (b *bar) add() {
	if b.pb != nil {
		b.pb.Add(1) // writes to a terminal; nothing to do if that fails
	}
}

func (b *bar) finish() {
	if b.pb != nil {
		b.pb.Finish()
	}
}

// shortVerdict names the outcome of a test run in a few words, for tables
// and for watch: "pass", "data race", "deadlock or hang", "2 tests fail".
func shortVerdict(r exercise.Result) string {
	var parts []string
	switch {
	case r.Passed:
		return "pass"
	case !r.Built:
		return "does not compile"
	}
	if r.Race {
		parts = append(parts, "data race")
	}
	if r.Deadlock {
		parts = append(parts, "deadlock or hang")
	}
	if r.Crashed {
		parts = append(parts, "crash")
	}
	if r.Leak {
		parts = append(parts, "leaked goroutines")
	}
	switch n := len(r.Failed); {
	case n == 1:
		parts = append(parts, "1 test fails")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d tests fail", n))
	}
	if len(parts) == 0 {
		return "fails"
	}
	return strings.Join(parts, ", ")
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
