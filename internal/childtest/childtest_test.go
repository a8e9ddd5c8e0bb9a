package childtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Run needs a real *testing.T (for its name and context), so the cases
// that fail run Run in a child of their own and look at its output:
// outerEnv marks that child.
const outerEnv = "CHILDTEST_OUTER"

// parentEnv holds the pid of the process that called Run first.
const parentEnv = "CHILDTEST_PARENT"

// TestBodyRunsInAChild: the body runs, in a process that is not this one.
func TestBodyRunsInAChild(t *testing.T) {
	if os.Getenv(parentEnv) == "" {
		t.Setenv(parentEnv, strconv.Itoa(os.Getpid()))
	}
	ran := false
	Run(t, func(t *testing.T) {
		ran = true
		if strconv.Itoa(os.Getpid()) == os.Getenv(parentEnv) {
			t.Fatal("the body ran in the test's own process")
		}
	})
	if os.Getenv(Env) == "" {
		assert.False(t, ran, "the body ran in the test's own process")
	}
}

// The cases of TestAFailingChildFailsTheTest, each a body that fails in
// its own way.
var failing = map[string]func(t *testing.T){
	"panic": func(t *testing.T) {
		done := make(chan struct{})
		go func() { defer close(done); panic("send on closed channel") }()
		<-done
	},
	"fail": func(t *testing.T) { t.Fatal("the answer is wrong") },
}

// A body that panics in a goroutine, or fails, fails the test that runs it
// through Run, and the message names the cause. We run Run in a child of
// our own (outer), so that its failure can be looked at.
func TestAFailingChildFailsTheTest(t *testing.T) {
	if name := os.Getenv(outerEnv); name != "" {
		Run(t, failing[name])
		return
	}
	for name, want := range map[string]string{
		"panic": "panic: send on closed channel",
		"fail":  "a test failed",
	} {
		t.Run(name, func(t *testing.T) {
			out, err := outer(t, name)
			require.Error(t, err, "the outer test passed:\n%s", out)
			assert.Contains(t, out, "TestAFailingChildFailsTheTest failed in a child process")
			assert.Contains(t, out, want)
		})
	}
}

// outer runs TestAFailingChildFailsTheTest in a child process with case
// name, and returns its output.
func outer(t *testing.T, name string) (string, error) {
	t.Helper()
	cmd := execTest(t, "TestAFailingChildFailsTheTest")
	cmd.Env = append(os.Environ(), outerEnv+"="+name)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCause(t *testing.T) {
	for out, want := range map[string]string{
		"--- FAIL: TestX\npanic: boom\n\ngoroutine 1":             "panic: boom",
		"fatal error: concurrent map writes\n":                    "fatal error: concurrent map writes",
		"==================\nWARNING: DATA RACE\nWrite at 0x00c0": "WARNING: DATA RACE",
		"--- FAIL: TestX\n    x_test.go:12: wrong\n":              "a test failed",
	} {
		assert.Equal(t, want, Cause(out), "%q", out)
	}
}

func TestOutputQuotesTheStartOrAllAfterSIGQUIT(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	long := b.String()
	assert.Equal(t, Lines, strings.Count(output(long), "\n"))
	quit := "SIGQUIT: quit\n" + long
	assert.Equal(t, quit, output(quit))
}
