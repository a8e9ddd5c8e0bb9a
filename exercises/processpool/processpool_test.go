package processpool

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests use the package's API only, so that they test the stub and
// the solution alike, and they run under the race detector (go run
// ./cmd/workbook check processpool adds -race).
//
// The workers are this test binary (os/exec's helper-process idiom):
// started with WorkerEnv=1, TestMain serves jobs with ServeWorker instead
// of running the tests. Its registry is Funcs plus the test functions of
// testFuncs, which crash, fail or wait on purpose.
//
// No test sleeps. Where a test must act while jobs run, the jobs tell it
// they have started, through a gate (a Unix socket). A Map that could
// hang (a crash it never notices, a ctx it ignores) runs inside
// hangcheck.Within, which fails the test after 5 s of real time. Every
// test that starts workers ends by checking that no child process is
// left, running or zombie (noChildLeft). Tests that start workers must
// not use t.Parallel: another test's children would count as this one's.

func TestMain(m *testing.M) {
	if os.Getenv(WorkerEnv) == "1" {
		if err := ServeWorker(testFuncs(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	childcheck.VerifyTestMain(m)
}

const (
	dirEnv  = "PROCESSPOOL_TEST_DIR"  // where crash-once-on-7 keeps its marker
	gateEnv = "PROCESSPOOL_TEST_GATE" // the gate's socket, for block and gated
)

// testFuncs is the test workers' registry: Funcs, and
//
//	pid                 returns the worker's pid, whatever the item
//	refuse-negative     returns the item, or an error for a negative one
//	crash-once-on-7     doubles; the first time any worker sees 7, it panics
//	crash-always-on-7   doubles; a worker that sees 7 exits with status 3
//	block               tells the gate it has started, then waits to be
//	                    killed (or for the gate to close: an error)
//	block-unless-negative
//	                    fails at once on a negative item, as
//	                    refuse-negative does; blocks on the others, as
//	                    block does
//	gated               returns 10·item; item 1 waits at the gate until
//	                    the test lets it go, the others only say they ran
func testFuncs() map[string]Func {
	funcs := Funcs()
	maps.Copy(funcs, map[string]Func{
		"pid": func(int) (int, error) { return os.Getpid(), nil },
		"refuse-negative": func(n int) (int, error) {
			if n < 0 {
				return 0, fmt.Errorf("negative item %d", n)
			}
			return n, nil
		},
		"crash-once-on-7": func(n int) (int, error) {
			if n == 7 {
				marker := filepath.Join(os.Getenv(dirEnv), "crashed-7")
				f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
				if err == nil { // we made it: this is the first attempt
					f.Close()
					panic("crash-once-on-7: crashing on purpose")
				}
			}
			return 2 * n, nil
		},
		"crash-always-on-7": func(n int) (int, error) {
			if n == 7 {
				fmt.Fprintln(os.Stderr, "crash-always-on-7: exiting with status 3")
				os.Exit(3)
			}
			return 2 * n, nil
		},
		"block": func(n int) (int, error) {
			return n, atGate(n, true)
		},
		"block-unless-negative": func(n int) (int, error) {
			if n < 0 {
				return 0, fmt.Errorf("negative item %d", n)
			}
			return n, atGate(n, true)
		},
		"gated": func(n int) (int, error) {
			return 10 * n, atGate(n, n == 1)
		},
	})
	return funcs
}

// atGate tells the gate that the job for item has started and, if wait,
// waits until the test lets it go. It returns an error if the gate is
// closed (the test is over).
func atGate(item int, wait bool) error {
	conn, err := net.Dial("unix", os.Getenv(gateEnv))
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := fmt.Fprintln(conn, item); err != nil || !wait {
		return err
	}
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if line != "go\n" {
		return errors.New("the gate closed")
	}
	return nil
}

// command returns the Command that starts this test binary as a worker,
// with env added, and a directory for crash-once-on-7's marker.
func command(t *testing.T, env ...string) (Command, string) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	// The race detector's pause at exit would make every worker slow to
	// stop.
	base := []string{WorkerEnv + "=1", "GORACE=atexit_sleep_ms=0", dirEnv + "=" + dir}
	return Command{Path: exe, Env: append(base, env...)}, dir
}

// A gate is where block and gated jobs report that they have started,
// and wait to be let go. Each job that reports arrives on arrivals.
// Closing the gate makes every job still waiting fail.
type gate struct {
	path     string
	ln       net.Listener
	arrivals chan arrival // one per job that has connected and said its item
	closed   chan struct{}
	wg       sync.WaitGroup // the accept loop and one goroutine per job
	once     sync.Once      // close runs once

	mu    sync.Mutex // guards conns
	conns []net.Conn
}

// An arrival is one job that has started.
type arrival struct {
	item int
	conn net.Conn
}

// letGo lets the job finish.
func (a arrival) letGo() { fmt.Fprintln(a.conn, "go") }

// newGate opens a gate, which is closed when t ends.
func newGate(t *testing.T) *gate {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gate.sock")
	ln, err := net.Listen("unix", path)
	require.NoError(t, err)
	g := &gate{path: path, ln: ln, arrivals: make(chan arrival), closed: make(chan struct{})}
	g.wg.Go(g.accept)
	t.Cleanup(g.close)
	return g
}

// env is the gate's entry for a Command's Env.
func (g *gate) env() string { return gateEnv + "=" + g.path }

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
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil {
				return // killed before it said its item, or the gate closed
			}
			item, _ := strconv.Atoi(strings.TrimSpace(line))
			select {
			case g.arrivals <- arrival{item, conn}: // the test has it
			case <-g.closed: // the test is over
			}
		})
	}
}

// close closes the gate: every job still waiting fails, and every
// goroutine of the gate has returned when close does.
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

// A call is Map running in a goroutine of its own.
type call struct {
	done chan struct{} // closed when Map has returned
	out  []int
	err  error
}

// mapAsync calls Map in a new goroutine. Receive from done before reading
// out and err. When t ends, the gate g (if not nil) is closed, which ends
// any job still waiting at it, and t waits for Map to return, so that the
// next test does not see its workers. (Without a gate, if t has failed,
// it does not wait: a Map that hung once would only hang again.)
func mapAsync(t *testing.T, g *gate, ctx context.Context, cmd Command, workers int,
	fn string, items []int) *call {
	c := &call{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.out, c.err = Map(ctx, cmd, workers, fn, items)
	}()
	t.Cleanup(func() {
		if g != nil {
			g.close()
		} else if t.Failed() {
			return // it hung already: it would only hang again
		}
		hangcheck.Within(t, "Map, once the test was over", func() { <-c.done })
	})
	return c
}

// mapWithin calls Map and fails t if it has not returned within
// hangcheck's bound.
func mapWithin(t *testing.T, ctx context.Context, cmd Command, workers int,
	fn string, items []int) ([]int, error) {
	t.Helper()
	c := mapAsync(t, nil, ctx, cmd, workers, fn, items)
	hangcheck.Within(t, fmt.Sprintf("Map(%s)", fn), func() { <-c.done })
	return c.out, c.err
}

// numbers returns 1, 2, ..., n.
func numbers(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// TestMapReturnsResultsInInputOrder maps double and square over 50 items
// with 1, 2 and 4 workers, and over 3 items with 8 workers.
func TestMapReturnsResultsInInputOrder(t *testing.T) {
	for _, tc := range []struct{ workers, items int }{{1, 50}, {2, 50}, {4, 50}, {8, 3}} {
		t.Run(fmt.Sprintf("workers=%d/items=%d", tc.workers, tc.items), func(t *testing.T) {
			cmd, _ := command(t)
			items := numbers(tc.items)
			doubles, err := Map(t.Context(), cmd, tc.workers, "double", items)
			require.NoError(t, err)
			squares, err := Map(t.Context(), cmd, tc.workers, "square", items)
			require.NoError(t, err)
			require.Len(t, doubles, tc.items)
			require.Len(t, squares, tc.items)
			for i, n := range items {
				assert.Equal(t, 2*n, doubles[i], "double(%d), item %d", n, i)
				assert.Equal(t, n*n, squares[i], "square(%d), item %d", n, i)
			}
			noChildLeft(t)
		})
	}
}

// TestMapKeepsInputOrderWhenJobsFinishOutOfOrder makes the jobs finish
// in an order that is not the input's: with two workers, the job for item
// 1 waits at the gate until the job for item 3 has started, and 3 starts
// only once 2 is answered (a worker runs one job at a time). So the
// answers arrive 2 before 1, every time; Map must still return them in
// input order.
func TestMapKeepsInputOrderWhenJobsFinishOutOfOrder(t *testing.T) {
	g := newGate(t)
	cmd, _ := command(t, g.env())
	c := mapAsync(t, g, t.Context(), cmd, 2, "gated", []int{1, 2, 3})
	var first *arrival // the job for item 1, waiting
	released, seen := false, 0
	hangcheck.Within(t, "Map(gated)", func() {
		for seen < 3 {
			select {
			case a := <-g.arrivals: // a job has started
				seen++
				if a.item == 1 {
					first = &a
				}
				if a.item == 3 {
					released = true
				}
			case <-c.done: // Map returned before every job started
				return
			}
			if first != nil && released {
				first.letGo() // 2 is answered and 3 has started: let 1 go
				first = nil
			}
		}
		<-c.done
	})
	require.NoError(t, c.err)
	assert.Equal(t, []int{10, 20, 30}, c.out, "answers in input order")
	noChildLeft(t)
}

// TestMapReusesItsWorkerProcesses maps pid, which answers with the pid
// of the worker that ran it, over 20 items with 2 workers: every job runs
// in a worker process, not in this one, and in at most 2 processes: a
// pool reuses its workers.
func TestMapReusesItsWorkerProcesses(t *testing.T) {
	cmd, _ := command(t)
	pids, err := Map(t.Context(), cmd, 2, "pid", numbers(20))
	require.NoError(t, err)
	require.Len(t, pids, 20)
	distinct := map[int]bool{}
	for _, pid := range pids {
		assert.NotEqual(t, os.Getpid(), pid, "a job ran in the parent")
		assert.NotZero(t, pid)
		distinct[pid] = true
	}
	assert.LessOrEqual(t, len(distinct), 2, "pids %v: more worker processes than workers", slices.Collect(maps.Keys(distinct)))
	noChildLeft(t)
}

// TestMapRunsOneJobPerWorkerAtOnce maps block over 4 items with 3
// workers: once 3 jobs have started, this process has exactly 3 children,
// all busy. Cancelling ctx then kills them: Map returns ctx's error, and
// no child is left.
func TestMapRunsOneJobPerWorkerAtOnce(t *testing.T) {
	g := newGate(t)
	cmd, _ := command(t, g.env())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := mapAsync(t, g, ctx, cmd, 3, "block", numbers(4))
	started := map[int]bool{}
	kids := -1 // children while three jobs run; -1 where childcheck cannot tell
	hangcheck.Within(t, "Map(block) after ctx was cancelled", func() {
		for len(started) < 3 {
			select {
			case a := <-g.arrivals: // a job has started; it waits for ever
				started[a.item] = true
			case <-c.done: // Map returned before three jobs started
				return
			}
		}
		if k, err := childcheck.Children(); err == nil {
			kids = len(k)
		}
		cancel()
		<-c.done
	})
	assert.Equal(t, map[int]bool{1: true, 2: true, 3: true}, started, "items started first")
	if kids >= 0 {
		assert.Equal(t, 3, kids, "worker processes while 3 jobs run")
	}
	assert.ErrorIs(t, c.err, context.Canceled)
	assert.Nil(t, c.out)
	noChildLeft(t)
}

// TestMapRetriesACrashedWorkerOnce maps crash-once-on-7 over 10 items: the
// first worker to see 7 panics. Map must notice (the worker's stdout
// ends), start a fresh worker, send it 7 again, and return every answer.
// With one worker, the retry can only run on a replacement.
func TestMapRetriesACrashedWorkerOnce(t *testing.T) {
	for _, workers := range []int{1, 2} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			cmd, dir := command(t)
			out, err := mapWithin(t, t.Context(), cmd, workers, "crash-once-on-7", numbers(10))
			require.NoError(t, err)
			assert.Equal(t, []int{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}, out)
			assert.FileExists(t, filepath.Join(dir, "crashed-7"), "the first attempt did crash")
			noChildLeft(t)
		})
	}
}

// TestMapFailsOnSecondCrash maps crash-always-on-7 over 10 items: 7 kills
// its worker, and the replacement too. Map fails with an error that names
// the item, and reaps every worker.
func TestMapFailsOnSecondCrash(t *testing.T) {
	cmd, _ := command(t)
	out, err := mapWithin(t, t.Context(), cmd, 2, "crash-always-on-7", numbers(10))
	require.Error(t, err)
	assert.ErrorContains(t, err, "processpool: item 6: crash-always-on-7(7): ")
	assert.ErrorContains(t, err, "crashed")
	assert.Nil(t, out)
	noChildLeft(t)
}

// TestMapReturnsTheFunctionsError checks that an error the function
// returns in the worker, and a function the worker does not have, fail
// Map with an error that names the item and carries the worker's message.
func TestMapReturnsTheFunctionsError(t *testing.T) {
	cmd, _ := command(t)
	out, err := mapWithin(t, t.Context(), cmd, 1, "refuse-negative", []int{1, -2, 3})
	assert.EqualError(t, err, "processpool: item 1: refuse-negative(-2): negative item -2")
	assert.Nil(t, out)

	out, err = mapWithin(t, t.Context(), cmd, 2, "triple", []int{5})
	assert.EqualError(t, err, `processpool: item 0: triple(5): unknown function "triple"`)
	assert.Nil(t, out)
	noChildLeft(t)
}

// TestMapFirstErrorStopsTheOtherWorkers maps block-unless-negative over
// 1 and -2 with 2 workers: one worker gets the job for 1, which blocks
// until it is killed, and the other the job for -2, which fails at once.
// The first error wins and stops the other workers, even in the middle of
// a job: Map must kill the worker running the job for 1 and return the
// error for -2, not wait for a job that never ends.
func TestMapFirstErrorStopsTheOtherWorkers(t *testing.T) {
	g := newGate(t)
	cmd, _ := command(t, g.env())
	c := mapAsync(t, g, t.Context(), cmd, 2, "block-unless-negative", []int{1, -2})
	hangcheck.Within(t, "Map(block-unless-negative) after the job for -2 "+
		"failed (does the first error kill the worker still running the job "+
		"for 1?)", func() { <-c.done })
	assert.EqualError(t, c.err,
		"processpool: item 1: block-unless-negative(-2): negative item -2",
		"want the first error, the one for -2, not the killed job's")
	assert.Nil(t, c.out, "the results, with an error")
	noChildLeft(t)
}

// TestMapWithCtxAlreadyDoneRunsNothing calls Map with ctx already done:
// it returns ctx's error and runs no job (crash-once-on-7 leaves no
// marker).
func TestMapWithCtxAlreadyDoneRunsNothing(t *testing.T) {
	cmd, dir := command(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out, err := mapWithin(t, ctx, cmd, 2, "crash-once-on-7", []int{7, 8})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, out)
	assert.NoFileExists(t, filepath.Join(dir, "crashed-7"), "a job ran after ctx was done")
	noChildLeft(t)
}

// TestMapWithNoItems returns an empty result, with no error.
func TestMapWithNoItems(t *testing.T) {
	cmd, _ := command(t)
	out, err := Map(t.Context(), cmd, 2, "double", nil)
	require.NoError(t, err)
	assert.Empty(t, out)
	noChildLeft(t)
}

// TestMapRejectsBadArguments checks the errors for a bad number of
// workers, an empty path and a program that does not exist; none leaves
// a child behind.
func TestMapRejectsBadArguments(t *testing.T) {
	cmd, _ := command(t)
	for _, workers := range []int{0, -1} {
		out, err := Map(t.Context(), cmd, workers, "double", []int{1})
		assert.EqualError(t, err, fmt.Sprintf("processpool: workers = %d; want at least 1", workers))
		assert.Nil(t, out)
	}
	out, err := Map(t.Context(), Command{}, 2, "double", []int{1})
	assert.EqualError(t, err, "processpool: Command.Path is empty")
	assert.Nil(t, out)

	missing := Command{Path: filepath.Join(t.TempDir(), "no-such-worker")}
	out, err = mapWithin(t, t.Context(), missing, 2, "double", []int{1, 2, 3})
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Nil(t, out)
	noChildLeft(t)
}

// TestServeWorker checks the worker's side (provided, not part of the
// exercise) in this process, on pipes: one Reply per Job, in order; an
// error as a message; nil at the end of the input.
func TestServeWorker(t *testing.T) {
	jobsR, jobsW, err := os.Pipe()
	require.NoError(t, err)
	repliesR, repliesW, err := os.Pipe()
	require.NoError(t, err)
	defer repliesR.Close()
	var wg sync.WaitGroup
	var serveErr error
	wg.Go(func() {
		serveErr = ServeWorker(testFuncs(), jobsR, repliesW)
		repliesW.Close()
		jobsR.Close()
	})
	enc, dec := gob.NewEncoder(jobsW), gob.NewDecoder(repliesR)
	for _, tc := range []struct {
		job  Job
		want Reply
	}{
		{Job{"double", 21}, Reply{Value: 42}},
		{Job{"refuse-negative", -1}, Reply{Err: "negative item -1"}},
		{Job{"square", 5}, Reply{Value: 25}},
		{Job{"nope", 1}, Reply{Err: `unknown function "nope"`}},
	} {
		require.NoError(t, enc.Encode(tc.job))
		var r Reply
		require.NoError(t, dec.Decode(&r))
		assert.Equal(t, tc.want, r, "%+v", tc.job)
	}
	require.NoError(t, jobsW.Close())
	wg.Wait()
	assert.NoError(t, serveErr, "the end of the input is not an error")
}
