package main

import (
	"fmt"
	"io"
	"time"

	"github.com/concurrency-workbook/workbook/internal/exercise"
)

// A liveLine shows what a test run is doing while it runs: on a terminal,
// one line rewritten in place ("running TestX, 4s"); piped, a plain line
// when a test has been running a while, so that a log shows where the
// time went. Only one goroutine may use it.
type liveLine struct {
	w     io.Writer
	tty   bool
	shown bool            // a line is on the terminal
	said  map[string]bool // piped: the tests we have said are slow
}

// slowTest is when a piped live line mentions a test still running.
const slowTest = 2 * time.Second

func newLiveLine(w io.Writer) *liveLine {
	return &liveLine{w: w, tty: uiFor(w).tty, said: map[string]bool{}}
}

func (l *liveLine) show(p exercise.Progress) {
	if !l.tty {
		if p.Test != "" && p.For >= slowTest && !l.said[p.Test] {
			l.said[p.Test] = true
			fmt.Fprintf(l.w, "%s is still running after %s...\n", p.Test, p.For.Truncate(time.Second))
		}
		return
	}
	var line string
	switch {
	case p.Building:
		line = "building the tests..."
	case p.Test != "":
		line = fmt.Sprintf("running %s, %s", p.Test, p.For.Truncate(time.Second))
	default:
		line = "running the tests..."
	}
	if n := p.Passed + p.Failed; n > 0 {
		line += fmt.Sprintf(" (%d passed, %d failed)", p.Passed, p.Failed)
	}
	fmt.Fprintf(l.w, "\r\x1b[K%s", line)
	l.shown = true
}

// clear removes the line from the terminal.
func (l *liveLine) clear() {
	if l.shown {
		fmt.Fprint(l.w, "\r\x1b[K")
		l.shown = false
	}
}
