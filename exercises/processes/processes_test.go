package processes

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check processes adds -race).
//
// The external command is this test binary (os/exec's helper-process
// idiom): started with toolEnv set, TestMain runs fakeTool instead of the
// tests. What the fake tool does depends on the name of the file it is
// given, so that each test picks its behaviour by naming its files:
//
//	ok-*    prints its arguments on stdout, and exits 0
//	fail-*  prints a line on stdout and a message on stderr, and exits 3
//	big-*   prints 1 MiB on stdout, and exits 0
//	wait-*  tells the test's gate it has started, then waits for the gate
//	        to let it go (it exits 0) or close (it exits 4); or to be killed
//
// No test sleeps. Where a test must act while commands run, the wait-
// tools tell it they have started. A RunAll that could hang (on a full
// pipe, or on commands it never kills) runs inside hangcheck.Within,
// which fails the test once it has waited 5 s using no CPU (or 90 s in
// all, if it is busy); the test's ctx (from
// t.Context) then kills what is left. Every test that starts commands
// ends by checking that no child process is left, running or zombie
// (noChildLeft).
// Tests that start commands must not use t.Parallel: another test's
// children would count as this one's.

func TestMain(m *testing.M) {
	if os.Getenv(toolEnv) == "1" {
		os.Exit(fakeTool(os.Args[1:]))
	}
	childcheck.VerifyTestMain(m)
}

const (
	toolEnv = "PROCESSES_TEST_FAKE_TOOL" // "1": run fakeTool
	gateEnv = "PROCESSES_TEST_GATE"      // the gate's socket, for wait- files
	bigSize = 1 << 20                    // what a big- file prints: 1 MiB
)

// fakeTool is the external command: args are the arguments RunAll gave
// it, the file last. It returns the exit status.
func fakeTool(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "fake: no file given")
		return 2
	}
	file := args[len(args)-1]
	switch {
	case strings.HasPrefix(file, "ok-"):
		fmt.Println(strings.Join(args, " "))
		return 0
	case strings.HasPrefix(file, "fail-"):
		fmt.Println("partial output")
		fmt.Fprintf(os.Stderr, "fake: %s: no such record\n", file)
		return 3
	case strings.HasPrefix(file, "big-"):
		// A pipe holds about 64 KiB: until someone reads, this write
		// blocks, and the tool does not exit.
		os.Stdout.Write([]byte(strings.Repeat("x", bigSize)))
		return 0
	case strings.HasPrefix(file, "wait-"):
		conn, err := net.Dial("unix", os.Getenv(gateEnv))
		if err != nil {
			fmt.Fprintf(os.Stderr, "fake: %s: %v\n", file, err)
			return 5
		}
		fmt.Fprintln(conn, file) // "I have started"
		line, _ := bufio.NewReader(conn).ReadString('\n')
		if line != "go\n" {
			return 4 // the gate closed: the test is over
		}
		fmt.Println("released")
		return 0
	}
	fmt.Fprintf(os.Stderr, "fake: %s: unknown kind of file\n", file)
	return 2
}

// tool returns the path of the fake tool (this test binary), and sets
// toolEnv for the commands that t starts.
func tool(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	t.Setenv(toolEnv, "1") // inherited by the commands RunAll starts
	return exe
}

// A gate is where wait- tools report that they have started, and wait to
// be let go. Each started tool arrives on arrivals. Closing the gate
// makes every tool still waiting exit.
type gate struct {
	ln       net.Listener
	arrivals chan arrival // one per tool that has connected and named its file
	closed   chan struct{}
	wg       sync.WaitGroup // the accept loop and one goroutine per tool
	once     sync.Once      // close runs once

	mu    sync.Mutex // guards conns
	conns []net.Conn
}

// An arrival is one wait- tool that has started.
type arrival struct {
	file string
	conn net.Conn
}

// letGo lets the tool finish: it prints "released" and exits 0.
func (a arrival) letGo() { fmt.Fprintln(a.conn, "go") }

// newGate opens a gate for the wait- tools of t, which is closed when t
// ends.
func newGate(t *testing.T) *gate {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gate.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	t.Setenv(gateEnv, path)
	g := &gate{ln: ln, arrivals: make(chan arrival), closed: make(chan struct{})}
	g.wg.Go(g.accept)
	t.Cleanup(g.close)
	return g
}

func (g *gate) accept() {
	for {
		conn, err := g.ln.Accept()
		if err != nil {
			return // the gate is closed
		}
		g.mu.Lock()
		g.conns = append(g.conns, conn)
		g.mu.Unlock()
		g.wg.Go(func() {
			file, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				return // killed before it said hello, or the gate closed
			}
			select {
			case g.arrivals <- arrival{strings.TrimSpace(file), conn}: // the test has it
			case <-g.closed: // the test is over
			}
		})
	}
}

// close closes the gate: every tool still waiting exits, and every
// goroutine of the gate has returned when close does. Calls after the
// first do nothing.
func (g *gate) close() {
	g.once.Do(func() {
		close(g.closed)
		g.ln.Close()
		g.mu.Lock()
		for _, c := range g.conns {
			c.Close()
		}
		g.mu.Unlock()
		g.wg.Wait()
	})
}

// noChildLeft fails t if this process has a child process left, running
// or zombie. Then it reaps the zombies, so that one test's leftovers do
// not fail the tests after it.
func noChildLeft(t *testing.T) {
	t.Helper()
	childcheck.None(t)
	kids, _ := childcheck.Children()
	for _, k := range kids {
		if k.State != 'Z' {
			continue
		}
		if p, err := os.FindProcess(k.PID); err == nil {
			p.Wait() // a zombie has exited: this returns at once
		}
	}
}

// A call is RunAll running in a goroutine of its own.
type call struct {
	done    chan struct{} // closed when RunAll has returned
	results []Result
	err     error
}

// runAll calls RunAll in a new goroutine. Receive from done before
// reading results and err. If t ends first (a hang was reported), the
// commands are stopped, by ctx (t.Context is done) and by closing g if it
// is not nil, and t waits for RunAll to return, so that the next test
// does not see its children.
func runAll(t *testing.T, g *gate, ctx context.Context, limit int, name string,
	args, files []string) *call {
	c := &call{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.results, c.err = RunAll(ctx, limit, name, args, files)
	}()
	t.Cleanup(func() {
		// A failed test may have left commands running: we kill and reap
		// them, even if RunAll hangs, so that the next test (or the next
		// repetition of this one, with -count) starts with none.
		defer func() {
			if t.Failed() {
				childcheck.Reap()
			}
		}()
		if g != nil {
			g.close()
		}
		hangcheck.Within(t, "RunAll, once the test was over", func() { <-c.done })
	})
	return c
}

// TestResultsInInputOrder checks every field of the results of commands
// that succeed and fail, in the order of the files, with a limit of 2.
func TestResultsInInputOrder(t *testing.T) {
	exe := tool(t)
	files := []string{"ok-1", "fail-2", "ok-3", "fail-4", "ok-5"}
	results, err := RunAll(t.Context(), 2, exe, []string{"-v"}, files)
	require.NoError(t, err)
	require.Len(t, results, len(files))
	for i, r := range results {
		assert.Equal(t, files[i], r.File, "results[%d] is for the wrong file", i)
		if strings.HasPrefix(files[i], "ok-") {
			assert.Equal(t, Result{File: files[i], ExitCode: 0,
				Stdout: "-v " + files[i] + "\n"}, r)
			continue
		}
		assert.Equal(t, 3, r.ExitCode, files[i])
		assert.Equal(t, "partial output\n", r.Stdout, files[i])
		assert.Equal(t, "fake: "+files[i]+": no such record\n", r.Stderr, files[i])
		var exitErr *exec.ExitError
		if assert.ErrorAs(t, r.Err, &exitErr, files[i]) {
			assert.Equal(t, 3, exitErr.ExitCode(), files[i])
		}
	}
	noChildLeft(t)
}

// TestResultsInInputOrderWhenFinishedOutOfOrder makes the commands finish
// in another order than the files': with a limit of 2, the test holds
// wait-0 at the gate until every command has started, and lets each of the
// others go as soon as it starts. wait-2 can start only once wait-1 has
// finished and given back its slot, and wait-3 once wait-2 has; so wait-1
// and wait-2 finish before wait-0, every time. The results must still come
// in the order of the files.
func TestResultsInInputOrderWhenFinishedOutOfOrder(t *testing.T) {
	exe := tool(t)
	g := newGate(t)
	files := []string{"wait-0", "wait-1", "wait-2", "wait-3"}
	var c *call
	hangcheck.Within(t, "RunAll of 4 commands, 2 at a time", func() {
		c = runAll(t, g, t.Context(), 2, exe, nil, files)
		var held []arrival // wait-0, until the others have started
		for range files {
			select {
			case a := <-g.arrivals: // a command has started
				if a.file == "wait-0" {
					held = append(held, a)
				} else {
					a.letGo()
				}
			case <-c.done: // RunAll returned before starting them all
				return
			}
		}
		for _, a := range held {
			a.letGo()
		}
		<-c.done
	})
	require.NoError(t, c.err)
	require.Len(t, c.results, len(files))
	for i, r := range c.results {
		assert.Equal(t, Result{File: files[i], ExitCode: 0, Stdout: "released\n"}, r,
			"results[%d]: want %s's result there, in the order of the files, "+
				"not in the order the commands finished (wait-1 first, wait-0 last)",
			i, files[i])
	}
	noChildLeft(t)
}

// TestPassesArgsBeforeTheFile checks the command line: the args in
// order, then the file; and that the caller's args are left as they were.
func TestPassesArgsBeforeTheFile(t *testing.T) {
	exe := tool(t)
	args := []string{"--mode", "strict", "-x"}
	results, err := RunAll(t.Context(), 3, exe, args, []string{"ok-a", "ok-b"})
	require.NoError(t, err)
	require.Len(t, results, 2)
	assert.Equal(t, "--mode strict -x ok-a\n", results[0].Stdout)
	assert.Equal(t, "--mode strict -x ok-b\n", results[1].Stdout)
	assert.Equal(t, []string{"--mode", "strict", "-x"}, args)
	noChildLeft(t)
}

// TestArgsWithSpareCapacity passes args whose backing array has room to
// spare, and runs many commands at once: a file appended into that room
// would be written by one goroutine while another reads it, a data race,
// and could reach the wrong command.
func TestArgsWithSpareCapacity(t *testing.T) {
	exe := tool(t)
	args := make([]string, 1, 20)
	args[0] = "-v"
	var files []string
	for i := range 12 {
		files = append(files, fmt.Sprintf("ok-%02d", i))
	}
	results, err := RunAll(t.Context(), 4, exe, args, files)
	require.NoError(t, err)
	require.Len(t, results, len(files))
	for i, r := range results {
		assert.Equal(t, "-v "+files[i]+"\n", r.Stdout)
	}
	noChildLeft(t)
}

// TestLargeOutput runs commands that each print 1 MiB, far more than a
// pipe holds: their output must be read while they run, not after they
// exit, or they never exit.
func TestLargeOutput(t *testing.T) {
	exe := tool(t)
	files := []string{"big-1", "ok-2", "big-3"}
	var c *call
	hangcheck.Within(t, "RunAll of commands that print 1 MiB", func() {
		c = runAll(t, nil, t.Context(), 2, exe, nil, files)
		<-c.done
	})
	require.NoError(t, c.err)
	require.Len(t, c.results, 3)
	for _, i := range []int{0, 2} {
		r := c.results[i]
		assert.Equal(t, 0, r.ExitCode, r.File)
		assert.NoError(t, r.Err, r.File)
		assert.Len(t, r.Stdout, bigSize, r.File)
		assert.Equal(t, strings.Repeat("x", bigSize), r.Stdout, r.File)
	}
	assert.Equal(t, "ok-2\n", c.results[1].Stdout)
	noChildLeft(t)
}

// TestAtMostLimitAtOnce runs 10 commands with a limit of 3. Each one
// waits at the gate until the test lets it go; the test lets one go only
// when 3 are waiting (or when all 10 have started), so that the limit is
// reached. Each time a command starts, the test counts this process's
// child processes: every command RunAll has started and not yet waited
// for. It must never be more than 3, and must reach 3. Correct code can
// never fail this. Code that ignores the limit fails once a fourth command
// has started before the test lets the first one go; that is a race the
// test does not control, but such code starts all ten commands at once,
// and a command (a Go program starting up) takes milliseconds to reach
// the gate.
func TestAtMostLimitAtOnce(t *testing.T) {
	const limit, n = 3, 10
	exe := tool(t)
	g := newGate(t)
	var files []string
	for i := range n {
		files = append(files, fmt.Sprintf("wait-%02d", i))
	}
	var c *call
	peak, started := 0, map[string]bool{}
	hangcheck.Within(t, "RunAll of 10 commands, 3 at a time", func() {
		c = runAll(t, g, t.Context(), limit, exe, nil, files)
		var waiting []arrival
		for len(started) < n {
			select {
			case a := <-g.arrivals: // a command has started
				started[a.file] = true
				waiting = append(waiting, a)
				running := len(waiting)
				if kids, err := childcheck.Children(); err == nil {
					running = len(kids)
				}
				peak = max(peak, running)
			case <-c.done: // RunAll returned before starting them all
				return
			}
			for len(waiting) >= limit || (len(started) == n && len(waiting) > 0) {
				waiting[0].letGo()
				waiting = waiting[1:]
			}
		}
		<-c.done
	})
	assert.Len(t, started, n, "commands started")
	assert.Equal(t, limit, peak, "commands running at once, at most")
	require.NoError(t, c.err)
	require.Len(t, c.results, n)
	for i, r := range c.results {
		assert.Equal(t, Result{File: files[i], ExitCode: 0, Stdout: "released\n"}, r)
	}
	noChildLeft(t)
}

// TestCancelKillsRunningAndStartsNoMore starts two commands that wait
// for ever (limit 2), and cancels ctx once both have started. RunAll must
// return ctx's error promptly: the two are killed and waited for, and the
// two files behind them are never started. No child may be left.
func TestCancelKillsRunningAndStartsNoMore(t *testing.T) {
	exe := tool(t)
	g := newGate(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	files := []string{"wait-a", "wait-b", "ok-c", "ok-d"}
	var c *call
	started := map[string]bool{}
	hangcheck.Within(t, "RunAll after ctx was cancelled", func() {
		c = runAll(t, g, ctx, 2, exe, nil, files)
		for len(started) < 2 {
			select {
			case a := <-g.arrivals: // a command has started; it waits for ever
				started[a.file] = true
			case <-c.done: // RunAll returned before they started
				return
			}
		}
		cancel()
		<-c.done
	})
	assert.Equal(t, map[string]bool{"wait-a": true, "wait-b": true}, started)
	assert.ErrorIs(t, c.err, context.Canceled)
	require.Len(t, c.results, 4)
	for i, r := range c.results[:2] {
		assert.Equal(t, files[i], r.File)
		assert.Equal(t, -1, r.ExitCode, "%s was killed: it has no exit status", r.File)
		assert.Error(t, r.Err, r.File)
		assert.Empty(t, r.Stdout, "%s was let go, not killed", r.File)
	}
	for i, r := range c.results[2:] {
		assert.Equal(t, Result{File: files[2+i], ExitCode: -1, Err: context.Canceled}, r,
			"%s must not start after the cancel", files[2+i])
	}
	noChildLeft(t)
}

// TestAlreadyCancelledStartsNothing calls RunAll with ctx already done:
// it starts no command, and says so in every result.
func TestAlreadyCancelledStartsNothing(t *testing.T) {
	exe := tool(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	results, err := RunAll(ctx, 2, exe, nil, []string{"ok-a", "ok-b", "ok-c"})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, []Result{
		{File: "ok-a", ExitCode: -1, Err: context.Canceled},
		{File: "ok-b", ExitCode: -1, Err: context.Canceled},
		{File: "ok-c", ExitCode: -1, Err: context.Canceled},
	}, results)
	noChildLeft(t)
}

// TestMissingCommand checks that a command that cannot be started is an
// error in each result, not for RunAll as a whole: a path that does not
// exist, and a name that is not on $PATH. With five files and a limit of
// 2, each failed start must give its slot back, or the third file waits
// for one for ever.
func TestMissingCommand(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-tool")
	files := []string{"ok-a", "ok-b", "ok-c", "ok-d", "ok-e"}
	var c *call
	hangcheck.Within(t, "RunAll of a program that cannot be started, on 5 "+
		"files with a limit of 2 (does a command that fails to start give "+
		"its slot back?)", func() {
		c = runAll(t, nil, t.Context(), 2, missing, nil, files)
		<-c.done
	})
	require.NoError(t, c.err, "RunAll's own error, when commands fail to start")
	require.Len(t, c.results, len(files))
	for i, r := range c.results {
		assert.Equal(t, files[i], r.File, "results[%d] is for the wrong file", i)
		assert.Equal(t, -1, r.ExitCode, "%s never started: it has no exit status", r.File)
		assert.ErrorIs(t, r.Err, fs.ErrNotExist, "%s: the error from starting a missing program", r.File)
	}

	results, err := RunAll(t.Context(), 2, "no-such-tool-on-path", nil, []string{"ok-a"})
	require.NoError(t, err)
	require.Len(t, results, 1)
	assert.Equal(t, -1, results[0].ExitCode)
	assert.ErrorIs(t, results[0].Err, exec.ErrNotFound)
	noChildLeft(t)
}

// TestNoFiles checks that no files give no results and no error.
func TestNoFiles(t *testing.T) {
	results, err := RunAll(t.Context(), 1, tool(t), nil, nil)
	require.NoError(t, err)
	assert.Empty(t, results)
}

// TestBadLimit checks that a limit below 1 is an error naming it, and
// that nothing is run.
func TestBadLimit(t *testing.T) {
	exe := tool(t)
	for _, limit := range []int{0, -3} {
		results, err := RunAll(t.Context(), limit, exe, nil, []string{"ok-a"})
		require.Error(t, err, "limit %d", limit)
		assert.EqualError(t, err, fmt.Sprintf("processes: limit must be at least 1, got %d", limit))
		assert.Nil(t, results)
		assert.False(t, errors.Is(err, context.Canceled))
	}
	noChildLeft(t)
}
