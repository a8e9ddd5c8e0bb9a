package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a tiny workbook: its own go.mod with the workbook's module
// path, three exercises (one solved, one untouched stub, one with a data
// race) and one lesson. Its tests use plain testing, so it needs no
// dependencies.
var fixture = map[string]string{
	"go.mod": "module " + modulePath + "\n\ngo 1.25.0\n",

	"exercises/adder/adder.go": `package adder

// Add returns a + b.
func Add(a, b int) int { return a + b }
`,
	"exercises/adder/adder_test.go": addTest("adder"),

	"exercises/stub/stub.go": `package stub

// Add returns a + b.
func Add(a, b int) int {
	// TODO: add a and b.
	return 0
}
`,
	"exercises/stub/stub_test.go": addTest("stub"),

	// Line 10 is the racy increment.
	"exercises/racy/racy.go": `package racy

import "sync"

// Count increments a shared counter from n goroutines, without a lock.
func Count(n int) int {
	total := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { total++ })
	}
	wg.Wait()
	return total
}
`,
	"exercises/racy/racy_test.go": `package racy

import "testing"

func TestCount(t *testing.T) {
	if got := Count(100); got != 100 {
		t.Errorf("Count(100) = %d; want 100", got)
	}
}
`,

	// Add never returns: the goroutine that should answer never sends.
	// Its test runs in a synctest bubble, which reports the deadlock at
	// once instead of waiting for go test's timeout.
	"exercises/stuck/stuck.go": `package stuck

// Add returns a + b, computed by another goroutine that forgets to send.
func Add(a, b int) int {
	ch := make(chan int)
	go func() { _ = a + b }()
	return <-ch
}
`,
	"exercises/stuck/stuck_test.go": `package stuck

import (
	"testing"
	"testing/synctest"
)

func TestAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if got := Add(2, 3); got != 5 {
			t.Errorf("Add(2, 3) = %d; want 5", got)
		}
	})
}
`,

	// Withdraw locks, then calls Balance, which locks again: a test that
	// calls it never ends (line 15 calls, line 24 waits).
	"exercises/locked/locked.go": `package locked

import "sync"

// An Account is a balance guarded by a mutex.
type Account struct {
	mu      sync.Mutex // guards balance
	balance int
}

// Withdraw takes n out of the account if there is enough.
func (a *Account) Withdraw(n int) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Balance() < n {
		return false
	}
	a.balance -= n
	return true
}

// Balance returns the balance.
func (a *Account) Balance() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.balance
}
`,
	"exercises/locked/locked_test.go": `package locked

import "testing"

func TestWithdraw(t *testing.T) {
	var a Account
	if a.Withdraw(1) {
		t.Error("Withdraw(1) from an empty account succeeded")
	}
}
`,

	// Inc has a value receiver: it locks and increments a copy (line 11).
	"exercises/copied/copied.go": `package copied

import "sync"

// A Counter counts.
type Counter struct {
	mu sync.Mutex // guards n
	n  int
}

func (c Counter) Inc() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
}

// N returns the count.
func (c *Counter) N() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
`,
	"exercises/copied/copied_test.go": `package copied

import "testing"

func TestInc(t *testing.T) {
	var c Counter
	c.Inc()
	if got := c.N(); got != 1 {
		t.Errorf("after one Inc, N() = %d; want 1", got)
	}
}
`,

	"exercises/stub/hints.md": "# Hints: stub\n\n## Hint 1\n\nWhat does + do?\n\n## Hint 2\n\nReturn `a + b`.\n",
	"solutions/stub/stub.go": `package stub

// Add returns a + b.
func Add(a, b int) int { return a + b }
`,
	"solutions/stub/README.md": "# stub: notes\n\nAddition is commutative.\n",
	"solutions/adder/adder.go": `package adder

// Add returns a + b.
func Add(a, b int) int { return a + b }
`,

	"lessons/hello/main.go": `// The hello command prints its arguments and exits with the status -exit
// asks for; with -wait, it first waits for an interrupt.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	exit := flag.Int("exit", 0, "exit status")
	wait := flag.Bool("wait", false, "wait for an interrupt")
	flag.Parse()
	fmt.Println("args:", flag.Args())
	if *wait {
		fmt.Println("waiting")
		<-ctx.Done()
		fmt.Println("stopped")
	}
	stop()
	os.Exit(*exit)
}
`,
}

func addTest(pkg string) string {
	return "package " + pkg + `

import "testing"

func TestAdd(t *testing.T) {
	if got := Add(2, 3); got != 5 {
		t.Errorf("Add(2, 3) = %d; want 5", got)
	}
}
`
}

// fixtureLessons are the fixture's reading order. Lesson and exercise
// names differ, so that the next step must use each in its place.
var fixtureLessons = []catalog.Lesson{
	{Name: "hello", Title: "Say hello", Section: "basics", Python: "print", Exercise: "adder"},
	{Name: "stubby", Title: "Fill in a stub", Section: "basics", Python: "pass", Exercise: "stub"},
	{Name: "racing", Title: "Race", Section: "locks", Python: "threading", Exercise: "racy"},
	{Name: "reading", Title: "Only reading", Section: "locks", Python: "help()"},
	{Name: "waiting", Title: "Wait forever", Section: "locks", Python: "queue.get()", Exercise: "stuck"},
}

// fixtureStubs are the fixture's original stubs, for reset.
var fixtureStubs = fstest.MapFS{
	"stub/stub.go":   {Data: []byte(fixture["exercises/stub/stub.go"])},
	"racy/racy.go":   {Data: []byte(fixture["exercises/racy/racy.go"])},
	"stuck/stuck.go": {Data: []byte(fixture["exercises/stuck/stuck.go"])},
}

var fixtureSections = []catalog.Section{{Name: "basics", Title: "Basics"}, {Name: "locks", Title: "Locks"}}

// newFixture writes the fixture to a new directory and returns a workbook
// on it.
func newFixture(t *testing.T) (*workbook, string) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range fixture {
		writeFile(t, dir, name, content)
	}
	wb := &workbook{
		root:     func() (string, error) { return dir, nil },
		sections: fixtureSections,
		lessons:  fixtureLessons,
		stubs:    fixtureStubs,
		debounce: 20 * time.Millisecond,
	}
	return wb, dir
}

// TestAgainstAFixtureModule runs the real thing (go test -race, go build,
// git) on a fixture module. The subtests share one fixture, so that the
// go command's caches serve the later ones; each "go test -race" still
// costs seconds.
func TestAgainstAFixtureModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a fixture module")
	}
	wb, dir := newFixture(t)
	// Edited, racy is "failing"; stub and stuck are as the workbook ships
	// them (fixtureStubs), so "not started".
	writeFile(t, dir, "exercises/racy/racy.go", fixture["exercises/racy/racy.go"]+"\n// Edited.\n")

	t.Run("check passes a solved exercise", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "adder"})
		assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		assert.Equal(t, "PASS adder: all tests pass under the race detector\n", stdout.String())
		assert.Equal(t, "testing exercises/adder under the race detector...\n", stderr.String())
	})

	t.Run("check fails a stub with the test's message and file:line", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "stub"})
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		assert.Equal(t, "FAIL stub\n\n"+
			verdictFailed+"\n"+
			"    TestAdd\n"+
			"        exercises/stub/stub_test.go:7: Add(2, 3) = 0; want 5\n"+
			"\nFor everything the tests printed: go run ./cmd/workbook check -v stub\n", stdout.String())
	})

	t.Run("check -v after the name adds the raw output after the verdict", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "stub", "-v"})
		assert.Equal(t, exitFail, code)
		out := stdout.String()
		raw, summary := strings.Index(out, "=== RUN   TestAdd\n"), strings.Index(out, "FAIL stub\n")
		assert.True(t, summary == 0 && raw > summary, "the summary, then the raw output; got:\n%s", out)
		assert.Contains(t, out, "\n--- everything the tests printed ---\n")
		assert.Contains(t, out, "exercises/stub/stub_test.go:7: Add(2, 3) = 0; want 5\n", "-v adds, never replaces")
	})

	t.Run("check finds a data race in the exercise", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "racy"})
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		// The race detector's report (addresses, goroutine numbers) varies;
		// everything before it does not.
		out, _, _ := strings.Cut(stdout.String(), "      WARNING: DATA RACE\n")
		assert.Equal(t, "FAIL racy\n\n"+verdictRace+"\n"+
			"    Line 10 of exercises/racy/racy.go (`wg.Go(func() { total++ })`) runs in two\n"+
			"    goroutines at once, at least one of them writing, and nothing orders them.\n"+
			"    (in TestCount)\n"+
			"    The race detector's report begins:\n", out)
		assert.NotContains(t, stdout.String(), dir, "paths relative to the root")
	})

	more := *wb
	more.lessons = append(slices.Clip(fixtureLessons),
		catalog.Lesson{Name: "locked", Section: "locks", Exercise: "locked"},
		catalog.Lesson{Name: "copied", Section: "locks", Exercise: "copied"})

	t.Run("check finds a hang in seconds, names the line and the likely cause", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		code := more.run(t.Context(), &stdout, &stderr, []string{"check", "locked"})
		took := time.Since(start)
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		assert.Equal(t, "FAIL locked\n\n"+verdictDeadlock+"\n"+
			"    TestWithdraw did not finish: "+exercise.HowIdle+".\n"+
			"    Where your code is stuck:\n"+
			"      exercises/locked/locked.go:24: (*Account).Balance, waiting (sync.Mutex.Lock)\n"+
			"          called from exercises/locked/locked.go:15: (*Account).Withdraw\n"+
			"    Likely cause: (*Account).Withdraw (line 15) calls (*Account).Balance, which\n"+
			"    waits for a lock at line 24; if (*Account).Withdraw already holds that lock,\n"+
			"    this goroutine waits for itself: Go's mutexes are not re-entrant (Python's RLock\n"+
			"    is), so call a helper that expects the lock to be held instead.\n"+
			"\n"+verdictFailed+"\n"+
			"    TestWithdraw\n"+
			"        did not finish (see the hang above)\n"+
			"\nFor everything the tests printed: go run ./cmd/workbook check -v locked\n", stdout.String())
		// Not a speed claim: a bound that says the watchdog, not go
		// test's two-minute timeout, ended the run.
		assert.Less(t, took, time.Minute, "check took %v", took)
	})

	t.Run("check reports go vet's findings in plain words", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := more.run(t.Context(), &stdout, &stderr, []string{"check", "copied"})
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		assert.Equal(t, "FAIL copied\n\n"+verdictVet+"\n"+
			"    exercises/copied/copied.go:11: Inc passes lock by value: github.com/concurrency-workbook/workbook/exercises/copied.Counter contains sync.Mutex\n"+
			"        The method gets a copy of the struct, mutex and all: it locks the copy's\n"+
			"        mutex and changes the copy, so nothing is guarded and updates vanish. Use a\n"+
			"        pointer receiver (func (a *T) ...) and pass the struct by pointer.\n"+
			"\n"+verdictFailed+"\n"+
			"    TestInc\n"+
			"        exercises/copied/copied_test.go:9: after one Inc, N() = 0; want 1\n"+
			"\nFor everything the tests printed: go run ./cmd/workbook check -v copied\n", stdout.String())
	})

	t.Run("check takes an exercise's name as a student types it", func(t *testing.T) {
		// check, like every command that takes an exercise, reads the
		// name with exerciseArg: each spelling is tried there, and the
		// last one, from inside the exercise's folder, runs a whole
		// check (a check is seconds under the race detector).
		for _, arg := range []string{"adder", "ADDER", "exercises/adder", "./exercises/adder/", "exercises/adder/adder.go", "solutions/adder", "hello"} {
			name, _, err := wb.exerciseArg(newFlagSet("check"), []string{arg}, "check")
			require.NoError(t, err, "check %s", arg)
			assert.Equal(t, "adder", name, "check %s", arg)
		}
		t.Chdir(filepath.Join(dir, "exercises", "adder"))
		var stdout, stderr bytes.Buffer
		assert.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"check", "."}), "check . inside exercises/adder: stderr:\n%s", &stderr)
		assert.Equal(t, "PASS adder: all tests pass under the race detector\n", stdout.String(), "check . inside exercises/adder")
	})

	t.Run("a lesson without an exercise says so", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitUsage, wb.run(t.Context(), &stdout, &stderr, []string{"hint", "reading"}))
		assert.Equal(t, "workbook: the lesson reading has no exercise\nThe exercises are: adder, stub, racy, stuck.\n", stderr.String())
	})

	t.Run("progress shows each state, counts and the next step", func(t *testing.T) {
		row := func(n int, name, what, title string) string {
			return fmt.Sprintf("%3d. %-7s  %-*s  %s\n", n, name, len("not started (stuck)"), what, title)
		}
		want := "Go concurrency workbook: 1 of 4 exercises pass (25%)\n\n" +
			"Basics (1 of 2 pass)\n" +
			row(1, "hello", "passing (adder)", "Say hello") +
			row(2, "stubby", "not started (stub)", "Fill in a stub") +
			"\nLocks (0 of 2 pass)\n" +
			row(3, "racing", "failing (racy)", "Race") +
			row(4, "reading", "no exercise", "Only reading") +
			row(5, "waiting", "not started (stuck)", "Wait forever") +
			"\nNext: read lessons/stubby/README.md, run `go run ./lessons/stubby`,\n" +
			"then solve exercises/stub and run `go run ./cmd/workbook check stub`\n" +
			"(or `go run ./cmd/workbook watch` to re-check on every save).\n"

		// check has already tested adder and racy; stub and stuck are as
		// they started, which needs no test.
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, nil)
		require.Equal(t, 0, code, "stderr:\n%s", &stderr)
		assert.Equal(t, want, stdout.String())
		assert.Empty(t, stderr.String(), "nothing changed since check, and the stubs need no test")

		// "progress" says the same.
		stdout.Reset()
		require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"progress"}), "stderr:\n%s", &stderr)
		assert.Equal(t, want, stdout.String())

		// An edit invalidates only that exercise's cached result.
		writeFile(t, dir, "exercises/adder/adder.go", fixture["exercises/adder/adder.go"]+"\n// Edited.\n")
		stderr.Reset()
		require.Equal(t, 0, wb.run(t.Context(), io.Discard, &stderr, nil))
		assert.Equal(t, "testing 1 exercise...\n", stderr.String())
	})

	t.Run("progress says when every exercise passes", func(t *testing.T) {
		solved := &workbook{root: wb.root, sections: fixtureSections, lessons: fixtureLessons[:1]}
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, solved.run(t.Context(), &stdout, &stderr, nil), "stderr:\n%s", &stderr)
		assert.Contains(t, stdout.String(), "Go concurrency workbook: 1 of 1 exercise pass (100%)\n")
		assert.Contains(t, stdout.String(), "\nAll exercises pass (1 of 1). Well done: you have finished the workbook.\n")
		assert.NotContains(t, stdout.String(), "Next:")
	})

	t.Run("check explains a deadlock", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "stuck"})
		assert.Equal(t, exitFail, code)
		assert.Contains(t, stdout.String(), verdictDeadlock)
		assert.Contains(t, stdout.String(), "TestAdd")
	})

	t.Run("hint shows one more hint per call", func(t *testing.T) {
		hint := func(args ...string) string {
			var stdout, stderr bytes.Buffer
			code := wb.run(t.Context(), &stdout, &stderr, append([]string{"hint"}, args...))
			require.Equal(t, 0, code, "stderr:\n%s", &stderr)
			return stdout.String()
		}
		assert.Equal(t, "Hint 1 of 2 for stub\n\nWhat does + do?\n"+
			"\nStill stuck? Run `go run ./cmd/workbook hint stub` again for the next hint.\n", hint("stub"))
		second := hint("stub")
		assert.True(t, strings.HasPrefix(second, "Hint 2 of 2 for stub\n\nReturn `a + b`.\n"), second)
		assert.Contains(t, second, "That is the last hint.")
		assert.True(t, strings.HasPrefix(hint("stub"), "You have seen all 2 hints for stub. Here is the last one again.\n\nHint 2 of 2"))
		all := hint("-all", "stub")
		assert.Contains(t, all, "Hint 1 of 2 for stub\n\nWhat does + do?\n\nHint 2 of 2 for stub\n")

		var stdout, stderr bytes.Buffer
		assert.Equal(t, exitFail, wb.run(t.Context(), &stdout, &stderr, []string{"hint", "adder"}))
		assert.Contains(t, stderr.String(), "adder has no hints yet (no exercises/adder/hints.md)")
	})

	t.Run("solution waits until the exercise passes", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"solution", "stub"})
		assert.Equal(t, exitFail, code)
		assert.Contains(t, stdout.String(), "Not yet: exercises/stub does not pass (not started).\n")
		assert.Contains(t, stdout.String(), "go run ./cmd/workbook solution -force stub")
		assert.NotContains(t, stdout.String(), "commutative")

		stdout.Reset()
		require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"solution", "-force", "stub"}))
		out := stdout.String()
		assert.True(t, strings.HasPrefix(out, "Spoiler: this is the reference solution of stub"), out)
		assert.Contains(t, out, "==> solutions/stub/stub.go\n\npackage stub\n")
		assert.Contains(t, out, "==> solutions/stub/README.md\n\n# stub: notes\n\nAddition is commutative.\n")

		stdout.Reset()
		require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"solution", "adder"}))
		assert.True(t, strings.HasPrefix(stdout.String(), "==> solutions/adder/adder.go\n"), "a passing exercise's solution, without a warning")
	})

	t.Run("verify tests everything and fails unless all pass", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"verify"})
		assert.Equal(t, exitFail, code)
		out := stdout.String()
		assert.Equal(t, "exercise  result\n"+
			"adder     PASS\n"+
			"stub      -     not started\n"+
			"racy      FAIL  data race, 1 test fails\n"+
			"stuck     -     not started\n"+
			"\n1 of 4 exercises pass (25%).\n", out)
		assert.Empty(t, stderr.String(), "every result is known: nothing to test")

		solved := &workbook{root: wb.root, sections: fixtureSections, lessons: fixtureLessons[:1]}
		stdout.Reset()
		assert.Equal(t, 0, solved.run(t.Context(), &stdout, io.Discard, []string{"verify"}))
		assert.Contains(t, stdout.String(), "1 of 1 exercise pass (100%).")
	})

	t.Run("watch re-checks on a rename-style save and moves on", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		out := newWatchWriter()
		done := make(chan int, 1)
		go func() { done <- wb.run(ctx, out, io.Discard, []string{"watch"}) }()

		out.waitFor(t, "Watching exercises/stub for changes")
		assert.Contains(t, out.String(), "workbook watch: exercises/stub\n\nFAIL stub\n")
		// Save as JetBrains IDEs and many others do: write a new file
		// beside the old one, then rename it over the old one.
		tmp := filepath.Join(dir, "exercises", "stub", "stub.go___jb_tmp___")
		require.NoError(t, os.WriteFile(tmp, []byte(fixture["solutions/stub/stub.go"]), 0o644))
		require.NoError(t, os.Rename(tmp, filepath.Join(dir, "exercises", "stub", "stub.go")))

		out.waitFor(t, "stub passes. Moving on.")
		assert.Contains(t, out.String(), "PASS stub: all tests pass under the race detector\n")
		out.waitFor(t, "Watching exercises/racy for changes")
		cancel()
		select {
		case code := <-done:
			assert.Equal(t, 0, code)
		case <-time.After(time.Minute): // a bound on a bug, not a wait
			t.Fatal("watch did not return after Ctrl-C")
		}
		assert.True(t, strings.HasSuffix(out.String(), "\nStopped watching.\n"), out.String())
	})

	t.Run("reset restores the stub after asking", func(t *testing.T) {
		stubFile := filepath.Join(dir, "exercises", "stub", "stub.go")
		read := func() string {
			data, err := os.ReadFile(stubFile)
			require.NoError(t, err)
			return string(data)
		}
		require.Equal(t, fixture["solutions/stub/stub.go"], read(), "watch's test saved the solution")

		// Declined: nothing changes.
		var stdout, stderr bytes.Buffer
		wb.stdin = strings.NewReader("n\n")
		assert.Equal(t, exitFail, wb.run(t.Context(), &stdout, &stderr, []string{"reset", "stub"}))
		assert.Equal(t, "This replaces, with the original stub:\n    exercises/stub/stub.go\n"+
			"Your changes to it are lost (unless you committed them). Nothing else is touched.\n"+
			"Reset? [y/N] Not reset: nothing changed.\n", stdout.String())
		assert.Equal(t, fixture["solutions/stub/stub.go"], read())

		// Confirmed.
		stdout.Reset()
		wb.stdin = strings.NewReader("y\n")
		assert.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"reset", "stub"}))
		assert.Equal(t, fixture["exercises/stub/stub.go"], read())
		assert.Equal(t, fixture["exercises/stub/stub_test.go"], readFile(t, dir, "exercises/stub/stub_test.go"), "tests untouched")
		assert.Equal(t, fixture["exercises/stub/hints.md"], readFile(t, dir, "exercises/stub/hints.md"), "hints untouched")

		// Nothing to do now; and -yes does not ask.
		stdout.Reset()
		assert.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"reset", "-yes", "stub"}))
		assert.Equal(t, "exercises/stub is as it started: nothing to reset.\n", stdout.String())
		writeFile(t, dir, "exercises/stub/stub.go", "package stub\n")
		stdout.Reset()
		wb.stdin = nil
		assert.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"reset", "stub", "-yes"}))
		assert.Equal(t, fixture["exercises/stub/stub.go"], read())
	})

	t.Run("without cgo, check says so once, first, and the pass is not counted as checked for races", func(t *testing.T) {
		t.Setenv("CGO_ENABLED", "0")
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "adder"})
		assert.Equal(t, 0, code, "stderr:\n%s", &stderr)
		assert.Equal(t, "PASS adder: all tests pass, but not checked for races: the race detector is not available here\n", stdout.String())
		assert.Equal(t, raceMissing+"\n\ntesting exercises/adder...\n", stderr.String())

		stdout.Reset()
		stderr.Reset()
		require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, nil))
		assert.Contains(t, stdout.String(), " 1. hello    passing (not checked for races) (adder)  Say hello\n")
		assert.Equal(t, raceMissing+"\n\n", stderr.String(), "the note, once; nothing tested")

		// With cgo back, the result is tested again under the race detector.
		t.Setenv("CGO_ENABLED", "1")
		stdout.Reset()
		stderr.Reset()
		require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, nil))
		assert.Equal(t, "testing 1 exercise...\n", stderr.String())
		assert.Contains(t, stdout.String(), " 1. hello    passing (adder)")
	})

	t.Run("run passes the lesson its flags and returns its exit code", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"run", "hello", "-exit", "3", "a", "b"})
		assert.Equal(t, 3, code, "stderr:\n%s", &stderr)
		assert.Equal(t, "args: [a b]\n", stdout.String())
		assert.Empty(t, stderr.String())
	})

	t.Run("run interrupts the lesson and lets it finish", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		// We cancel as Ctrl-C would, once the lesson is waiting for it.
		stdout := &cancelWriter{want: "waiting\n", cancel: cancel}
		var stderr bytes.Buffer
		code := wb.run(ctx, stdout, &stderr, []string{"run", "hello", "-wait"})
		assert.Equal(t, 0, code, "stderr:\n%s", &stderr)
		assert.Equal(t, "args: []\nwaiting\nstopped\n", stdout.buf.String())
	})
}

// A cancelWriter keeps what is written to it and calls cancel once that
// contains want. Only one goroutine may write to it.
type cancelWriter struct {
	buf    bytes.Buffer
	want   string
	cancel context.CancelFunc
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.cancel()
	}
	return len(p), nil
}

// readFile returns the contents of the slash-separated path rel under dir.
func readFile(t *testing.T, dir, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	require.NoError(t, err)
	return string(data)
}

// A watchWriter keeps what watch writes, from watch's goroutine, and lets
// the test wait until a given text has appeared.
type watchWriter struct {
	mu      sync.Mutex // protects buf and changed
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newWatchWriter() *watchWriter { return &watchWriter{changed: make(chan struct{})} }

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until the output contains s. The minute is a bound on a
// broken watch, not a wait: a working one gets there in seconds.
func (w *watchWriter) waitFor(t *testing.T, s string) {
	t.Helper()
	bound := time.After(time.Minute)
	for {
		w.mu.Lock()
		found, changed := strings.Contains(w.buf.String(), s), w.changed
		w.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed: // more output
		case <-bound:
			t.Fatalf("watch never printed %q; it printed:\n%s", s, w.String())
		}
	}
}
