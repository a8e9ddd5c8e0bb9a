//go:build unix

package main

// These tests run deadlocks that really hang, each in a child process that
// the test kills: with SIGQUIT (Ctrl-\), which makes the Go runtime print
// every goroutine's stack and exit with status 2. Their child processes
// are started with exec.CommandContext under a one-minute bound, which
// only a broken lesson reaches, and always waited for. They need Unix
// signals, hence the build constraint.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childBound is how long a child may run before its test gives up and
// kills it. Every child here is killed by its test long before; a child
// still running after childBound means that the test is broken.
const childBound = time.Minute

// TestHangModesStayStuck runs each -hang mode of the lesson, through main,
// in a child, and checks that its goroutines stay stuck: a watcher in the
// child (see helper_test.go) reports when the dump shows them blocked;
// then a Ctrl-C cancels main's ctx and changes nothing; then SIGQUIT's
// dump shows each of them still blocked, where the README says.
func TestHangModesStayStuck(t *testing.T) {
	const hint = "this hangs: Ctrl-C cannot stop it;" +
		" Ctrl-\\ prints every goroutine and quits"
	type blocked struct {
		state string // the goroutine's state in the dump
		in    string // a function on its stack
		count int    // how many goroutines are so blocked
	}
	tests := []struct {
		mode      string
		stuck     string   // what the watcher waits for (stuckEnv)
		wantLines []string // the lesson's output, in any order
		wantDump  []blocked
	}{
		{
			mode:  "relock",
			stuck: "sync.Mutex.Lock=1",
			wantLines: []string{hint,
				"depositAll, written to call deposit, locks the mutex it holds"},
			wantDump: []blocked{
				{"sync.Mutex.Lock", ".(*account).depositAllRelocking(", 1},
			},
		},
		{
			mode:  "order",
			stuck: "sync.Mutex.Lock=2,sync.WaitGroup.Wait=1",
			wantLines: []string{hint,
				"A holds account 1 and waits for account 2, with Lock",
				"B holds account 2 and waits for account 1, with Lock"},
			wantDump: []blocked{
				{"sync.Mutex.Lock", ".oppositeOrders.func1()", 2},
				{"sync.WaitGroup.Wait", ".oppositeOrders(", 1},
			},
		},
		{
			mode:  "channel",
			stuck: "chan send=1,sync.WaitGroup.Wait=1",
			wantLines: []string{hint,
				"a worker sends on an unbuffered channel;" +
					" we wait for the worker before we receive"},
			wantDump: []blocked{
				{"chan send", ".hang.", 1},
				{"sync.WaitGroup.Wait", ".hang(", 1},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			exe, err := os.Executable()
			require.NoError(t, err)
			c := startChild(t, exe, "-hang", tt.mode)
			c.cmd.Env = append(os.Environ(), helperEnv+"=1",
				stuckEnv+"="+tt.stuck, "GORACE=atexit_sleep_ms=0")
			c.start(t)

			lines, ok := c.readUntil(stuckLine)
			if !ok {
				err := c.wait()
				t.Fatalf("the child ended (%v) before its goroutines were stuck;"+
					" it printed:\n%s\nstderr:\n%s",
					err, strings.Join(lines, "\n"), &c.stderr)
			}
			assert.ElementsMatch(t, tt.wantLines, lines,
				"what -hang %s prints before it blocks", tt.mode)

			require.NoError(t, c.cmd.Process.Signal(os.Interrupt))
			if _, ok := c.readUntil(cancelledLine); !ok {
				err := c.wait()
				t.Fatalf("the child ended (%v) on Ctrl-C; stderr:\n%s",
					err, &c.stderr)
			}

			require.NoError(t, c.cmd.Process.Signal(syscall.SIGQUIT))
			rest, _ := c.readUntil("")
			err = c.wait()
			assert.Empty(t, rest, "the child printed after it was stuck")
			assertExitStatus(t, 2, err)
			dump := c.stderr.String()
			require.True(t, strings.HasPrefix(dump, "SIGQUIT: quit"),
				"stderr does not start with SIGQUIT's dump:\n%s", dump)
			for _, b := range tt.wantDump {
				assert.Equal(t, b.count, countIn(dump, b.state, b.in),
					"goroutines in [%s] with %s on their stack, in the dump "+
						"after Ctrl-C:\n%s", b.state, b.in, dump)
			}

			// The goroutine that os/signal started waits for signals in a
			// system call, which is why the runtime never calls this
			// program deadlocked.
			assert.Equal(t, 1, countIn(dump, "syscall", "os/signal.signal_recv()"),
				"goroutines waiting for signals in a system call:\n%s", dump)
			if tt.mode == "order" {
				assertWaitForCycle(t, dump)
			}
		})
	}
}

// assertWaitForCycle checks what the README reads from the dump of -hang
// order: the arguments in each mover's frames show which account it holds
// (its from) and which mutex it waits for in lockSlow, and that mutex is
// the one inside the account the other mover holds.
func assertWaitForCycle(t *testing.T, dump string) {
	t.Helper()
	mover := regexp.MustCompile(`\.hang\.func1\(\{\{0x[0-9a-f]+, 0x1\}, ` +
		`(0x[0-9a-f]+), (0x[0-9a-f]+), 0x[0-9a-f]+\}\)`)
	waitsFor := regexp.MustCompile(`\(\*Mutex\)\.lockSlow\((0x[0-9a-f]+)\)`)
	type edge struct{ holds, waitsFor uint64 }
	var edges []edge
	for _, g := range goroutines(dump) {
		m, w := mover.FindStringSubmatch(g.stack), waitsFor.FindStringSubmatch(g.stack)
		if g.state != "sync.Mutex.Lock" || m == nil || w == nil {
			continue
		}
		from, to, mu := parseHex(t, m[1]), parseHex(t, m[2]), parseHex(t, w[1])
		assert.Equal(t, to+uint64(unsafe.Offsetof(account{}.mu)), mu,
			"a mover waits for the mutex inside its to account:\n%s", g.stack)
		edges = append(edges, edge{holds: from, waitsFor: to})
	}
	require.Len(t, edges, 2, "movers whose arguments the dump shows:\n%s", dump)
	assert.Equal(t, edges[0].holds, edges[1].waitsFor, "one mover waits for "+
		"the account the other holds, and the other way round")
	assert.Equal(t, edges[1].holds, edges[0].waitsFor, "one mover waits for "+
		"the account the other holds, and the other way round")
}

// parseHex parses a number such as 0x88fd61b2090.
func parseHex(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
	require.NoError(t, err)
	return n
}

// countIn counts the goroutines of dump in state with fn on their stack.
func countIn(dump, state, fn string) int {
	n := 0
	for _, g := range goroutines(dump) {
		if g.state == state && strings.Contains(g.stack, fn) {
			n++
		}
	}
	return n
}

// TestRuntimeReportsDeadlockOnlyWhenNothingElseRuns runs testdata/asleep,
// the channel deadlock of -hang channel in a program of its own. With
// nothing else running, the runtime stops it with "all goroutines are
// asleep". With a signal handler, a timer, or a build with -race, it does
// not: the program hangs until SIGQUIT, with no report.
//
// No test can show that a report will never come. What these show is that
// the program printed the line after which it blocks, and was still
// running, with no report, when SIGQUIT came; with nothing else running,
// the report comes as soon as the goroutines block.
func TestRuntimeReportsDeadlockOnlyWhenNothingElseRuns(t *testing.T) {
	bin := buildAsleep(t, false)
	const line = ": a worker sends on an unbuffered channel;" +
		" main waits for the worker before it receives"

	t.Run("nothing", func(t *testing.T) {
		c := startChild(t, bin, "-with", "nothing")
		c.start(t)
		lines, _ := c.readUntil("")
		err := c.wait()
		assert.Equal(t, []string{"with nothing" + line}, lines)
		assertExitStatus(t, 2, err)
		report := c.stderr.String()
		require.True(t, strings.HasPrefix(report,
			"fatal error: all goroutines are asleep - deadlock!\n"),
			"stderr:\n%s", report)
		// The report shows every goroutine, where it is blocked.
		got := states(report)
		assert.Equal(t, map[string]int{"sync.WaitGroup.Wait": 1, "chan send": 1},
			got, "goroutines in the report, by state:\n%s", report)
	})

	hangs := []struct{ name, bin, with string }{
		{"signal", bin, "signal"},
		{"stopped-signal", bin, "stopped-signal"},
		{"timer", bin, "timer"},
	}
	if race := buildAsleep(t, true); race != "" {
		hangs = append(hangs, struct{ name, bin, with string }{
			"race build", race, "nothing"})
	}
	for _, h := range hangs {
		t.Run(h.name, func(t *testing.T) {
			c := startChild(t, h.bin, "-with", h.with)
			c.start(t)
			lines, ok := c.readUntil("with " + h.with + line)
			if !ok {
				err := c.wait()
				t.Fatalf("the program ended (%v) before it blocked; it printed"+
					" %q; stderr:\n%s", err, lines, &c.stderr)
			}
			require.NoError(t, c.cmd.Process.Signal(syscall.SIGQUIT))
			rest, _ := c.readUntil("")
			err := c.wait()
			assert.Empty(t, rest)
			assertExitStatus(t, 2, err)
			report := c.stderr.String()
			assert.NotContains(t, report, "all goroutines are asleep")
			assert.True(t, strings.HasPrefix(report, "SIGQUIT: quit"),
				"the program was not running when SIGQUIT came:\n%s", report)
		})
	}
}

// A child is a process a test starts and always waits for. Its standard
// error is written by a goroutine of exec's until it exits: read stderr
// only after wait.
type child struct {
	cmd    *exec.Cmd
	stdout *bufio.Scanner
	stderr bytes.Buffer
	waited bool
}

// startChild prepares a child that runs name with args. The caller may
// adjust c.cmd, then calls c.start. The child is killed, if it is still
// running, and waited for, when the test ends.
func startChild(t *testing.T, name string, args ...string) *child {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), childBound)
	t.Cleanup(cancel)
	c := &child{cmd: exec.CommandContext(ctx, name, args...)}
	c.cmd.Stderr = &c.stderr
	return c
}

// start starts the child, and arranges for it to be killed and waited for
// at the end of the test.
func (c *child) start(t *testing.T) {
	t.Helper()
	stdout, err := c.cmd.StdoutPipe()
	require.NoError(t, err)
	c.stdout = bufio.NewScanner(stdout)
	require.NoError(t, c.cmd.Start())
	t.Cleanup(func() {
		if !c.waited {
			c.cmd.Process.Kill() // an error means it has exited already
			c.wait()
		}
	})
}

// readUntil reads lines from the child's standard output until a line
// equal to last, and returns the lines before it and true; or until the
// output ends, and returns them all and false. With last "", it reads to
// the end.
func (c *child) readUntil(last string) ([]string, bool) {
	var lines []string
	for c.stdout.Scan() {
		if c.stdout.Text() == last {
			return lines, true
		}
		lines = append(lines, c.stdout.Text())
	}
	return lines, false
}

// wait waits for the child to exit, after its output has been read.
func (c *child) wait() error {
	c.waited = true
	return c.cmd.Wait()
}

// assertExitStatus checks that err, from Wait, reports exit status want.
func assertExitStatus(t *testing.T, want int, err error) {
	t.Helper()
	var exitErr *exec.ExitError
	if assert.ErrorAs(t, err, &exitErr, "want exit status %d", want) {
		assert.Equal(t, want, exitErr.ExitCode(), "exit status (%v)", err)
	}
}

// buildAsleep builds testdata/asleep into a temporary directory and
// returns its path. Without race, it builds with cgo off, so that nothing
// but the program itself keeps the runtime from its deadlock check. With
// race, it builds with -race, and returns "" if this toolchain cannot. It
// skips the test if there is no go command.
func buildAsleep(t *testing.T, race bool) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "asleep")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(t.Context(), "go",
		append(args, "./testdata/asleep")...)
	if !race {
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	}
	out, err := cmd.CombinedOutput() // waits for go build to exit
	switch {
	case errors.Is(err, exec.ErrNotFound):
		t.Skip("no go command on PATH to build testdata/asleep")
	case race && err != nil && (bytes.Contains(out, []byte("-race")) ||
		bytes.Contains(out, []byte("C compiler"))):
		t.Logf("this toolchain cannot build with -race:\n%s", out)
		return ""
	case err != nil:
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}
