package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
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
	}
	return wb, dir
}

// commitAll makes dir a git repository with everything in it committed,
// and reports whether it could (false without git). It keeps git away from
// any repository, identity or settings the environment points at.
func commitAll(t *testing.T, dir string) bool {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		return false
	}
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GIT_") })
	env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull)
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "."},
		{"-c", "user.name=Student", "-c", "user.email=student@example.com", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "fixture"},
	} {
		cmd := exec.CommandContext(t.Context(), "git", args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %s: %s", strings.Join(args, " "), out)
	}
	return true
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
	committed := commitAll(t, dir)
	// Edited after the commit, racy is "failing"; stub is still "not
	// started" (or "failing", where git cannot tell).
	writeFile(t, dir, "exercises/racy/racy.go", fixture["exercises/racy/racy.go"]+"\n// Edited.\n")

	t.Run("check passes a solved exercise", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "adder"})
		assert.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		assert.Equal(t, "PASS adder: all tests pass under the race detector\n", stdout.String())
		assert.Equal(t, "testing exercises/adder under the race detector...\n", stderr.String())
	})

	t.Run("check fails a stub with the test's message", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "stub"})
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		out := stdout.String()
		assert.True(t, strings.HasPrefix(out, "FAIL stub\n"), "got:\n%s", out)
		assert.Contains(t, out, verdictFailed+"\n    TestAdd\n        stub_test.go:7: Add(2, 3) = 0; want 5\n")
		assert.NotContains(t, out, verdictRace)
		assert.NotContains(t, out, "=== RUN", "raw output without -v")
	})

	t.Run("check -v after the name adds the raw output", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "stub", "-v"})
		assert.Equal(t, exitFail, code)
		out := stdout.String()
		raw, summary := strings.Index(out, "=== RUN   TestAdd\n"), strings.Index(out, "FAIL stub\n")
		assert.True(t, raw >= 0 && summary > raw, "raw output, then the summary; got:\n%s", out)
	})

	t.Run("check finds a data race in the exercise", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "racy"})
		assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		out := stdout.String()
		assert.Contains(t, out, verdictRace)
		assert.Contains(t, out, "\n    exercises/racy/racy.go:10: ")
		assert.Contains(t, out, "      WARNING: DATA RACE\n")
		assert.Contains(t, out, "    TestCount\n")
		assert.NotContains(t, out, dir, "paths relative to the root")
	})

	t.Run("status shows each state and the next step", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := wb.run(t.Context(), &stdout, &stderr, nil)
		require.Equal(t, 0, code, "stderr:\n%s", &stderr)
		stub := "failing (stub)"
		if committed {
			stub = "not started (stub)"
		}
		// The titles line up after the longest description.
		w := len(stub)
		if !committed {
			w = len("passing (adder)")
		}
		row := func(n int, name, what, title string) string {
			return fmt.Sprintf("%3d. %-7s  %-*s  %s\n", n, name, w, what, title)
		}
		want := "Basics\n" +
			row(1, "hello", "passing (adder)", "Say hello") +
			row(2, "stubby", stub, "Fill in a stub") +
			"\nLocks\n" +
			row(3, "racing", "failing (racy)", "Race") +
			row(4, "reading", "no exercise", "Only reading") +
			"\nNext: read lessons/stubby/README.md, run `go run ./lessons/stubby`,\n" +
			"then solve exercises/stub and run `go run ./cmd/workbook check stub`.\n"
		assert.Equal(t, want, stdout.String())
		assert.Equal(t, "checking exercises...\n", stderr.String())
	})

	t.Run("status says when every exercise passes", func(t *testing.T) {
		solved := &workbook{root: wb.root, sections: fixtureSections, lessons: fixtureLessons[:1]}
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, solved.run(t.Context(), &stdout, &stderr, nil), "stderr:\n%s", &stderr)
		assert.Contains(t, stdout.String(), "\nAll exercises pass (1 of 1). Well done: you have finished the workbook.\n")
		assert.NotContains(t, stdout.String(), "Next:")
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
