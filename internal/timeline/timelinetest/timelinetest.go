// Package timelinetest holds the checks that the tests of the lessons'
// -timeline and -trace flags share: a chart compared with a golden file,
// and an execution trace read back through go tool trace.
//
// Importing it registers the -update test flag, which rewrites the golden
// files instead of comparing with them:
//
//	go test ./lessons/semaphore -run Timeline -update
package timelinetest

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/trace"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden instead of comparing with them")

// Golden compares got with testdata/NAME.golden, after writing got there
// under -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got,
		"%s is out of date: if the new chart is right, run go test -update", path)
}

// SkipIfTracing skips a test that writes a trace while one is already
// being written (go test -trace): a process writes one trace at a time.
// Call it first in such a test.
func SkipIfTracing(t testing.TB) {
	t.Helper()
	if trace.IsEnabled() {
		t.Skip("a trace is already being written (go test -trace)")
	}
}

// header is how a trace file starts: "go 1.26 trace" and three zero bytes
// (the number is the trace format's Go version).
var header = regexp.MustCompile(`^go 1\.\d\d trace\x00\x00\x00`)

// A Trace is a Go execution trace as go tool trace -d=parsed prints it:
// one event a line, such as
//
//	M=… P=… G=… StackID=… RegionBegin Time=… Task=3 Type="worker 2"
type Trace struct {
	parsed string
}

// ReadTrace checks that the program that wrote the file at path has
// stopped tracing and that the file is a Go execution trace, then parses
// it with go tool trace -d=parsed, leaving no child process. Where there is
// no go command, it skips the rest of the test after the header check.
func ReadTrace(t testing.TB, path string) *Trace {
	t.Helper()
	assert.False(t, trace.IsEnabled(), "the run stopped the trace")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(data), 16, "a trace file holds more than its header")
	require.Regexp(t, header, string(data[:16]), "%s is not a Go execution trace", path)

	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to parse the trace with:", err)
	}
	parsed, err := exec.CommandContext(t.Context(), goCmd, "tool", "trace", "-d=parsed", path).Output()
	require.NoError(t, err, "go tool trace -d=parsed %s", path)
	childcheck.None(t)
	return &Trace{parsed: string(parsed)}
}

// Task returns the ID of the task named name (trace.NewTask), failing the
// test if there is none.
func (tr *Trace) Task(t testing.TB, name string) string {
	t.Helper()
	m := regexp.MustCompile(`TaskBegin .* ID=(\d+) .*Type=` + quote(name)).FindStringSubmatch(tr.parsed)
	require.NotNil(t, m, "no task named %q in the trace:\n%s", name, tr.parsed)
	return m[1]
}

// Regions returns how many regions named name began, and how many ended,
// in the task with ID task.
func (tr *Trace) Regions(task, name string) (begun, ended int) {
	return tr.count(`RegionBegin .*Task=` + task + ` Type=` + quote(name)),
		tr.count(`RegionEnd .*Task=` + task + ` Type=` + quote(name))
}

// Labels returns how many times message was logged in the category
// "label" (the span's label, which timeline logs as each region begins)
// in the task with ID task.
func (tr *Trace) Labels(task, message string) int {
	return tr.count(`Log .*Task=` + task + ` Category="label" Message=` + quote(message))
}

// AssertRegions asserts that each region named began and ended at least
// once in the task.
func (tr *Trace) AssertRegions(t testing.TB, task string, names ...string) {
	t.Helper()
	for _, name := range names {
		begun, ended := tr.Regions(task, name)
		assert.Positive(t, begun, "regions named %q begun in task %s", name, task)
		assert.Equal(t, begun, ended, "regions named %q ended as often as they began", name)
	}
}

// AssertLabels asserts that each message was logged as a label at least
// once in the task.
func (tr *Trace) AssertLabels(t testing.TB, task string, messages ...string) {
	t.Helper()
	for _, msg := range messages {
		assert.Positive(t, tr.Labels(task, msg), "label %q logged in task %s", msg, task)
	}
}

func (tr *Trace) count(pattern string) int {
	return len(regexp.MustCompile(pattern).FindAllStringIndex(tr.parsed, -1))
}

// quote is how go tool trace prints a name: Go-quoted, as a regexp that
// matches exactly that.
func quote(name string) string {
	return regexp.QuoteMeta(fmt.Sprintf("%q", name))
}

// Text returns the parsed trace, for checks of its own.
func (tr *Trace) Text() string { return tr.parsed }
