package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// hint prints the next hint of an exercise: the first time hint 1, then
// hint 2, and so on, remembering in the progress file how many the student
// has seen; with -all, every hint. The hints are exercises/<name>/hints.md
// (see parseHints), the one place they are written.
func (wb *workbook) hint(stdout io.Writer, args []string) error {
	fs := newFlagSet("hint")
	all := fs.Bool("all", false, "show every hint")
	name, root, err := wb.exerciseArg(fs, args, "hint")
	if err != nil {
		return err
	}
	hints, err := readHints(root, name)
	if err != nil {
		return err
	}

	prog := loadProgress(root)
	seen := min(prog.Hints[name], len(hints))
	out := uiFor(stdout)
	show := func(i int) {
		fmt.Fprintf(stdout, "%s\n\n%s\n", out.bold(fmt.Sprintf("Hint %d of %d for %s", i+1, len(hints), name)), hints[i])
	}
	switch {
	case *all:
		for i := range hints {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			show(i)
		}
		seen = len(hints)
	case seen == len(hints):
		fmt.Fprintf(stdout, "You have seen all %d hints for %s. Here is the last one again.\n\n", len(hints), name)
		show(seen - 1)
	default:
		show(seen)
		seen++
	}
	if seen < len(hints) {
		fmt.Fprintf(stdout, "\nStill stuck? Run `go run ./cmd/workbook hint %s` again for the next hint.\n", name)
	} else {
		fmt.Fprintf(stdout, "\nThat is the last hint. Once `go run ./cmd/workbook check %s` passes,\n`go run ./cmd/workbook solution %s` shows the reference solution and its notes.\n", name, name)
	}
	prog.Hints[name] = seen
	return prog.save(root)
}

// readHints reads and parses exercises/<name>/hints.md under root.
func readHints(root, name string) ([]string, error) {
	file := path.Join("exercises", name, "hints.md")
	data, err := os.ReadFile(fromSlash(root, file))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has no hints yet (no %s)", name, file)
	}
	if err != nil {
		return nil, err
	}
	hints, err := parseHints(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return hints, nil
}

// parseHints splits a hints file into its hints. The file is Markdown: a
// title, then one "## Hint N" section per hint, numbered from 1 in order.
// Text before the first hint is not a hint.
func parseHints(text string) ([]string, error) {
	var (
		hints []string
		cur   *strings.Builder
	)
	for line := range strings.Lines(text) {
		if rest, ok := strings.CutPrefix(line, "## Hint "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil || n != len(hints)+1 {
				return nil, fmt.Errorf("heading %q: want \"## Hint %d\"", strings.TrimSpace(line), len(hints)+1)
			}
			hints = append(hints, "")
			cur = &strings.Builder{}
			continue
		}
		if cur != nil {
			cur.WriteString(line)
			hints[len(hints)-1] = strings.TrimSpace(cur.String())
		}
	}
	if len(hints) == 0 {
		return nil, errors.New(`no hints: want one section per hint, headed "## Hint 1", "## Hint 2" and so on`)
	}
	for i, h := range hints {
		if h == "" {
			return nil, fmt.Errorf("hint %d is empty", i+1)
		}
	}
	return hints, nil
}
