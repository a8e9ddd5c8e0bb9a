// Package childtest runs one test in a child process of the test binary,
// for tests whose failure is likely a crash: a panic in a goroutine of the
// code under test ("send on closed channel") or "concurrent map writes"
// ends the whole test binary, and go test then names no failed test. In a
// child, the crash fails that one test, with the line that says why.
package childtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Env names the test that a child process of the test binary runs.
const Env = "WORKBOOK_CHILD_TEST"

// Lines is how much of a failed child's output Run quotes: the start of
// it, unless the child was stopped with SIGQUIT (workbook check does that
// to a hung test), when all of it is quoted, since the stacks of its
// goroutines say where it was stuck.
const Lines = 60

// Run runs body in a child process of the test binary (os/exec's helper
// process idiom), as the test t alone, and fails t if the child fails,
// with the line that says why (a panic, a fatal error, a data race, or a
// failed test) and the child's output. In the child, Run just calls body.
// The child is killed if t's context is done (the test binary's timeout).
func Run(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	if os.Getenv(Env) == t.Name() {
		body(t)
		return
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0],
		"-test.run=^"+t.Name()+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), Env+"="+t.Name())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed in a child process (%v): %s\nits output:\n%s",
			t.Name(), err, Cause(string(out)), output(string(out)))
	}
}

// Cause returns the line of a child's output that says why it failed: a
// panic, a fatal error or a data race, or else "a test failed".
func Cause(out string) string {
	for _, prefix := range []string{
		"panic: ", "fatal error: ", "WARNING: DATA RACE",
	} {
		for line := range strings.Lines(out) {
			if strings.HasPrefix(line, prefix) {
				return strings.TrimSpace(line)
			}
		}
	}
	return "a test failed"
}

// output returns what Run quotes of a failed child's output.
func output(out string) string {
	if strings.Contains(out, "SIGQUIT: quit") {
		return out
	}
	lines := strings.SplitAfter(out, "\n")
	return strings.Join(lines[:min(Lines, len(lines))], "")
}
