package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// A ui says how to decorate what we print on one stream: colour and
// progress bars only when the stream is a terminal, and colour only if
// the NO_COLOR convention (https://no-color.org) and TERM allow it.
// Anything else (a pipe, a file, a test's buffer) gets plain text, so that
// output can be piped, grepped and compared.
type ui struct {
	tty   bool // the stream is a terminal: progress bars, clearing the screen
	color bool // and it may be coloured
}

// uiFor returns the ui for w.
func uiFor(w io.Writer) ui {
	f, ok := w.(*os.File)
	if !ok {
		return ui{}
	}
	fd := f.Fd()
	tty := isatty.IsTerminal(fd) || isatty.IsCygwinTerminal(fd)
	_, noColor := os.LookupEnv("NO_COLOR")
	return ui{
		tty:   tty,
		color: tty && !noColor && os.Getenv("TERM") != "dumb",
	}
}

// paint returns s in the given colour when u may colour, else s itself.
func (u ui) paint(attr color.Attribute, s string) string {
	if !u.color {
		return s
	}
	c := color.New(attr)
	c.EnableColor() // we decided above; color's own check looks at os.Stdout only
	return c.Sprint(s)
}

func (u ui) good(s string) string { return u.paint(color.FgGreen, s) }
func (u ui) bad(s string) string  { return u.paint(color.FgRed, s) }
func (u ui) dim(s string) string  { return u.paint(color.Faint, s) }
func (u ui) bold(s string) string { return u.paint(color.Bold, s) }

// meter returns a one-line bar for done out of total: blocks on a
// terminal, nothing (the caller prints the numbers) otherwise. It is a
// static picture; the running bars of verify and the status screen come
// from the progressbar package.
func (u ui) meter(done, total, width int) string {
	if !u.tty || total == 0 {
		return ""
	}
	full := done * width / total
	return "[" + u.good(strings.Repeat("█", full)) + u.dim(strings.Repeat("░", width-full)) + "]"
}

// clear returns the sequence that clears a terminal screen, or a separator
// line for plain output.
func (u ui) clear() string {
	if u.tty {
		return "\x1b[H\x1b[2J"
	}
	return "\n"
}

// passCount says how many of total exercises pass: "3 of 22 exercises
// pass (13%)".
func passCount(done, total int) string {
	if total == 0 {
		return "no exercises"
	}
	return fmt.Sprintf("%d of %s pass (%d%%)", done, plural(total, "exercise"), done*100/total)
}

// plural returns "1 exercise", "2 exercises".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
