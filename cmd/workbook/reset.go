package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// reset restores the stub files of an exercise, after listing the files it
// will overwrite and asking for confirmation on wb.stdin (-yes skips the
// question). It touches only the exercise's stub files, never its tests,
// its README or any file the stub does not have. It returns exitCode(1)
// if the student declines.
func (wb *workbook) reset(stdout io.Writer, args []string) error {
	fset := newFlagSet("reset")
	yes := fset.Bool("yes", false, "do not ask for confirmation")
	name, root, err := wb.exerciseArg(fset, args, "reset")
	if err != nil {
		return err
	}
	stubs, err := fs.ReadDir(wb.stubs, name)
	if err != nil || len(stubs) == 0 {
		return fmt.Errorf("no original copy of exercises/%s is built into this command", name)
	}

	// We compare first, to name only the files that would change.
	type file struct {
		rel  string // slash-separated, relative to root
		data []byte
	}
	var changed []file
	for _, e := range stubs {
		data, err := fs.ReadFile(wb.stubs, path.Join(name, e.Name()))
		if err != nil {
			return err
		}
		rel := path.Join("exercises", name, e.Name())
		cur, err := os.ReadFile(fromSlash(root, rel))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err != nil || !bytes.Equal(cur, data) {
			changed = append(changed, file{rel, data})
		}
	}
	if len(changed) == 0 {
		fmt.Fprintf(stdout, "exercises/%s is as it started: nothing to reset.\n", name)
		return nil
	}

	fmt.Fprintf(stdout, "This replaces, with the original stub:\n")
	for _, f := range changed {
		fmt.Fprintf(stdout, "    %s\n", f.rel)
	}
	fmt.Fprintln(stdout, "Your changes to it are lost (unless you committed them). Nothing else is touched.")
	if !*yes {
		fmt.Fprint(stdout, "Reset? [y/N] ")
		if !confirmed(wb.stdin) {
			fmt.Fprintln(stdout, "Not reset: nothing changed.")
			return exitCode(exitFail)
		}
	}
	for _, f := range changed {
		if err := writeAtomic(fromSlash(root, f.rel), f.data); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "Reset exercises/%s. Start again with `go run ./cmd/workbook check %s`.\n", name, name)
	return nil
}

// confirmed reads one line from r and reports whether it says yes. No
// input (nil, EOF) is no.
func confirmed(r io.Reader) bool {
	if r == nil {
		return false
	}
	line, _ := bufio.NewReader(r).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// writeAtomic replaces the file at name with data, through a temporary
// file and a rename, so that an editor or a watcher never sees half of it.
func writeAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".workbook-reset-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}
