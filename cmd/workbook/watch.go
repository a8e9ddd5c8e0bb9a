package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long watch waits after a file event for more: an
// editor's save is a burst of events (write a temporary file, rename it
// over the old one, change its mode), and we test once per burst.
const watchDebounce = 200 * time.Millisecond

// watch tests an exercise under the race detector, then again every time
// one of its .go files changes, showing the verdict each time; when it
// passes, it moves on to the next exercise that does not pass. Without a
// name it starts at the first exercise that does not pass. It returns nil
// when every exercise passes or when ctx is done (Ctrl-C).
//
// We watch the exercise's directory, not its files: many editors (vim,
// neovim, helix, the JetBrains IDEs) save by writing a new file and
// renaming it over the old one, and a watch on the old file would see it
// deleted and nothing after.
func (wb *workbook) watch(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fset := newFlagSet("watch")
	if err := fset.Parse(args); err != nil {
		return &usageError{err.Error(), lookup("watch").usage()}
	}
	if fset.NArg() > 1 {
		return &usageError{fmt.Sprintf("watch takes at most one exercise; got %q", fset.Args()), lookup("watch").usage()}
	}
	root, err := wb.root()
	if err != nil {
		return err
	}
	from, named := 0, false // where the search for work starts; whether the student named it
	if fset.NArg() == 1 {
		named = true
		l, err := wb.findExercise(wb.exerciseName(fset.Arg(0), root))
		if err != nil {
			return err
		}
		from = slices.IndexFunc(wb.lessons, func(x catalog.Lesson) bool { return x.Exercise == l.Exercise })
	}

	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("cannot watch for changes: %w", err)
	}
	defer w.Close() // ends fsnotify's goroutine and waits for it

	out := uiFor(stdout)
	stopped := func() error {
		fmt.Fprintln(stdout, "\nStopped watching.")
		return nil
	}
	for {
		name, next, err := wb.unsolved(ctx, stderr, root, from, named)
		switch {
		case ctx.Err() != nil:
			return stopped()
		case err != nil:
			return err
		case name == "":
			fmt.Fprintln(stdout, out.good("Every exercise passes. Well done: you have finished the workbook."))
			return nil
		}
		dir := fromSlash(root, path.Join("exercises", name))
		if err := w.Add(dir); err != nil {
			return fmt.Errorf("cannot watch %s: %w", dir, err)
		}
		for {
			passed, err := wb.watchOnce(ctx, stdout, stderr, root, name)
			if ctx.Err() != nil {
				return stopped()
			}
			if err != nil {
				return err
			}
			if passed {
				break
			}
			fmt.Fprintf(stdout, "\nWatching exercises/%s for changes. Stuck? go run ./cmd/workbook hint %s. Ctrl-C to stop.\n", name, name)
			if err := waitForChange(ctx, w, wb.debounce); err != nil {
				if ctx.Err() != nil {
					return stopped()
				}
				return err
			}
		}
		if err := w.Remove(dir); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s passes. Moving on.\n", name)
		from, named = next, false // from here on, the next exercise that does not pass
	}
}

// unsolved returns the first exercise, in reading order from the lesson at
// index from, that does not pass, and the index to search from after it.
// With named, the exercise at from is returned even if it passes (the
// student asked for it). It returns "" if every exercise from there on
// passes.
func (wb *workbook) unsolved(ctx context.Context, stderr io.Writer, root string, from int, named bool) (string, int, error) {
	for i := from; i < len(wb.lessons); i++ {
		name := wb.lessons[i].Exercise
		if name == "" {
			continue
		}
		if named && i == from {
			return name, i + 1, nil
		}
		passed, _, err := wb.passes(ctx, stderr, root, name)
		if err != nil {
			return "", 0, err
		}
		if !passed {
			return name, i + 1, nil
		}
	}
	return "", 0, nil
}

// watchOnce vets and tests exercise name and shows the verdict, on a
// cleared screen when stdout is a terminal. It reports whether the
// exercise passes.
func (wb *workbook) watchOnce(ctx context.Context, stdout, stderr io.Writer, root, name string) (bool, error) {
	out := uiFor(stdout)
	fmt.Fprint(stdout, out.clear())
	fmt.Fprintf(stdout, "%s exercises/%s\n\n", out.bold("workbook watch:"), name)
	gr := wb.grader(root, stdout)
	g, err := gr.grade(ctx, name, gradeOpts{fresh: true, vet: true, live: newLiveLine(stderr)})
	if err != nil {
		return false, err
	}
	_ = gr.save() // best effort: it is tested again next time
	summary := render(g, false)
	if g.passed() {
		summary = out.good(strings.TrimSuffix(summary, "\n")) + "\n"
	}
	fmt.Fprint(stdout, summary)
	return g.passed(), nil
}

// waitForChange waits until a .go file in a watched directory changes and
// then no further change comes for debounce: the end of one save. It
// returns ctx.Err() if ctx is done first.
func waitForChange(ctx context.Context, w *fsnotify.Watcher, debounce time.Duration) error {
	var (
		timer *time.Timer
		quiet <-chan time.Time // nil, so never ready, until the first change
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		case ev, ok := <-w.Events: // a file was written, created, renamed, removed
			if !ok {
				return errors.New("the file watcher stopped")
			}
			if !goSource(ev.Name) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(debounce)
				quiet = timer.C
			} else {
				timer.Reset(debounce)
			}
		case err, ok := <-w.Errors: // the watcher itself failed
			if !ok {
				return errors.New("the file watcher stopped")
			}
			return fmt.Errorf("watching for changes: %w", err)
		case <-quiet: // no event for debounce since the last one
			return nil
		}
	}
}

// goSource reports whether name is a Go source file, and not an editor's
// temporary or backup file (those end in ~, .swp, ___jb_tmp___, and so on,
// so the suffix rules them out).
func goSource(name string) bool {
	base := filepath.Base(name)
	return strings.HasSuffix(base, ".go") && !strings.HasPrefix(base, ".")
}
