package main

import (
	"context"
	"fmt"
	"io"
	"slices"

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

// progress prints the reading order with the state of every exercise, a
// count per section and overall, and the next step to take. An exercise
// whose files are unchanged since it was last tested is not tested again
// (see exerciseHash); the others are, two at a time.
func (wb *workbook) progress(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	if len(args) > 0 {
		return &usageError{fmt.Sprintf("progress takes no arguments; got %q", args), lookup("progress").usage()}
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	gr := wb.grader(root, stderr)
	gr.announce(ctx)
	grades, err := wb.gradeAll(ctx, stderr, gr)
	if err != nil {
		return err
	}
	if err := gr.save(); err != nil {
		fmt.Fprintf(stderr, "workbook: could not save progress (it will be re-tested next time): %v\n", err)
	}

	out := uiFor(stdout)
	done, total, next := 0, 0, -1
	perSection := make(map[string][2]int) // section name: passing, exercises
	whats := make([]string, len(wb.lessons))
	whatWidth := 0
	for i, l := range wb.lessons {
		whats[i] = "no exercise"
		if l.Exercise != "" {
			total++
			c := perSection[l.Section]
			c[1]++
			if grades[i].state == passing {
				done++
				c[0]++
			} else if next < 0 {
				next = i
			}
			perSection[l.Section] = c
			whats[i] = grades[i].state.String()
			if grades[i].state == passing && !grades[i].race {
				whats[i] += " (not checked for races)"
			}
			if l.Exercise != l.Name {
				whats[i] += " (" + l.Exercise + ")"
			}
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
		case grades[i].state == passing:
			what = out.good(what)
		case grades[i].state == failing:
			what = out.bad(what)
		}
		fmt.Fprintf(stdout, "%3d. %-*s  %s  %s\n", i+1, nameWidth, l.Name, what, l.Title)
	}
	fmt.Fprintln(stdout)
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

// gradeAll grades every lesson's exercise (a zero grade for a lesson
// without one).
func (wb *workbook) gradeAll(ctx context.Context, stderr io.Writer, gr *grader) ([]grade, error) {
	var names []string
	for _, l := range wb.lessons {
		if l.Exercise != "" {
			names = append(names, l.Exercise)
		}
	}
	byName, err := gradeEach(ctx, stderr, gr, names)
	if err != nil {
		return nil, err
	}
	grades := make([]grade, len(wb.lessons))
	for i, l := range wb.lessons {
		if l.Exercise != "" {
			grades[i] = byName[slices.Index(names, l.Exercise)]
		}
	}
	return grades, nil
}

// gradeEach grades the named exercises, in order. An exercise that is
// still its stub is not tested, and neither is one whose files have not
// changed since its last test; the others are tested two at a time, with
// a bar on a terminal (a line saying how many, otherwise).
func gradeEach(ctx context.Context, stderr io.Writer, gr *grader, names []string) ([]grade, error) {
	grades := make([]grade, len(names))
	var stale []int // exercises that must be tested
	for i, name := range names {
		g, ok := gr.known(ctx, name)
		if !ok {
			stale = append(stale, i)
		}
		grades[i] = g
	}
	if len(stale) == 0 {
		return grades, nil
	}
	bar := newBar(stderr, len(stale), "testing "+plural(len(stale), "exercise"))
	// Each goroutine writes only its own grade, and g.Wait returns after
	// every goroutine has: the reads after it see the writes.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelTests)
	for _, i := range stale {
		g.Go(func() error {
			defer bar.add()
			gd, err := gr.test(gctx, names[i], gradeOpts{})
			if err != nil {
				return fmt.Errorf("testing exercises/%s: %w", names[i], err)
			}
			grades[i] = gd
			return nil
		})
	}
	err := g.Wait()
	bar.finish()
	return grades, err
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
