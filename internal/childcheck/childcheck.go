// Package childcheck finds the child processes of the current process, so
// that tests can prove that no child outlives its owner: neither a running
// child nor a zombie (a child that exited but was never waited for).
//
// Every command a test starts must be waited for (cmd.Wait, cmd.Run,
// cmd.Output), which reaps it; once it has been, it is gone from the
// process table and Children no longer reports it. A test that calls
//
//	defer childcheck.None(t)
//
// or a TestMain that calls childcheck.VerifyTestMain(m) therefore fails on
// exactly the leaks that matter. Because a child started by one test is
// visible to every test in the binary, tests that start children should
// not run in parallel with a test that calls None.
//
// Children reads /proc and works on Linux only; elsewhere it returns
// ErrUnsupported, and None and VerifyTestMain check nothing.
package childcheck

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/proc"
	"go.uber.org/goleak"
)

// ErrUnsupported is returned by Children where /proc is not available.
var ErrUnsupported = errors.New("childcheck: listing child processes needs Linux /proc")

// A Proc is one child process.
type Proc struct {
	PID   int
	State byte   // as in /proc/PID/stat: R running, S sleeping, Z zombie, ...
	Name  string // the executable's name, at most 15 bytes
}

func (p Proc) String() string {
	s := fmt.Sprintf("pid %d (%s)", p.PID, p.Name)
	if p.State == 'Z' {
		s += " zombie: exited but never waited for"
	} else {
		s += " still running"
	}
	return s
}

// Children returns the processes whose parent is the current process, in
// increasing PID order.
func Children() ([]Proc, error) {
	all, err := proc.All()
	if err != nil {
		return nil, ErrUnsupported
	}
	self := os.Getpid()
	var kids []Proc
	for _, p := range all {
		if p.PPID == self {
			kids = append(kids, Proc{PID: p.PID, State: p.State, Name: p.Name})
		}
	}
	slices.SortFunc(kids, func(a, b Proc) int { return a.PID - b.PID })
	return kids, nil
}

// None fails t, listing them, if the current process has any child process,
// running or zombie. It checks nothing where Children is unsupported.
func None(t testing.TB) {
	t.Helper()
	kids, err := Children()
	if errors.Is(err, ErrUnsupported) {
		return
	}
	for _, k := range kids {
		t.Errorf("child process left behind: %v", k)
	}
}

// VerifyTestMain runs the tests and then, if they passed, fails the binary
// if any goroutine is left (goleak.Find, with opts) or any child process is
// left (Leftover), printing what it found. Passed or not, it then kills and
// reaps every child process left (Reap), so that even code under test that
// leaks children leaves nothing running and no zombie once the binary
// exits. It is goleak.VerifyTestMain plus the check for child processes;
// call it last in TestMain, after the helper-process branch that turns the
// test binary into a worker:
//
//	func TestMain(m *testing.M) {
//		if os.Getenv(workerEnv) == "1" {
//			os.Exit(serve())
//		}
//		childcheck.VerifyTestMain(m)
//	}
func VerifyTestMain(m *testing.M, opts ...goleak.Option) {
	os.Exit(verify(m.Run(), os.Stderr, opts...))
}

// verify is VerifyTestMain after m.Run: it returns the exit code for the
// tests' code, reporting leaks to w.
func verify(code int, w io.Writer, opts ...goleak.Option) int {
	defer Reap()
	if code != 0 {
		return code // the tests failed: leaks are likely and beside the point
	}
	if err := goleak.Find(opts...); err != nil {
		fmt.Fprintln(w, err)
		code = 1
	}
	if msg := Leftover(); msg != "" {
		fmt.Fprint(w, msg)
		code = 1
	}
	return code
}

// Leftover returns a report of the current process's children, one per
// line, or "" if there is none or Children is unsupported.
func Leftover() string {
	kids, _ := Children()
	var b strings.Builder
	for _, k := range kids {
		fmt.Fprintf(&b, "childcheck: child process left behind: %v\n", k)
	}
	return b.String()
}
