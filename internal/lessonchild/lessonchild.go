// Package lessonchild runs a lesson's main in a child process, from the
// lesson's own tests. A lesson whose point is a data race (or a crash, or a
// hang) cannot show it inside its test binary without failing the tests,
// so its tests re-run the lesson as a child and read what the child
// printed: the helper-process idiom of os/exec's own tests.
//
// The lesson's TestMain runs main instead of the tests in a child:
//
//	func TestMain(m *testing.M) {
//		if lessonchild.IsChild() {
//			main()     // exits 1 by itself on an error
//			os.Exit(0) // under -race, status 66 if a race was reported
//		}
//		goleak.VerifyTestMain(m)
//	}
//
// Every command returned here is tied to t.Context(): it is killed if the
// test ends first. The caller starts it and must Wait for it (Run and
// Output do), so that no child outlives its test.
package lessonchild

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// env, set to 1 in a child's environment, marks the child.
const env = "WORKBOOK_LESSON_CHILD"

// IsChild reports whether this process is a child started by Command or
// Race, which should run the lesson's main instead of its tests.
func IsChild() bool { return os.Getenv(env) == "1" }

// Command returns a command that runs this test binary as a child, with
// args, in which IsChild reports true. The child is built with -race
// exactly when this test binary is.
func Command(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("lessonchild: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), exe, args...)
	// atexit_sleep_ms=0 skips the race detector's 1 s pause at exit. We
	// replace any GORACE the caller set, so that the exit status on a race
	// stays the default, 66.
	cmd.Env = append(os.Environ(), env+"=1", "GORACE=atexit_sleep_ms=0")
	return cmd
}

// Race returns a command that runs the lesson in the current directory
// built with -race, with args: this test binary as a child (Command) if it
// was built with -race, or else the lesson built with go build -race into a
// temporary directory. It skips the test only if the toolchain cannot
// build with -race at all (no go command, no cgo, no C compiler).
func Race(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	if RaceEnabled {
		return Command(t, args...)
	}
	bin := filepath.Join(t.TempDir(), "lesson")
	build := exec.CommandContext(t.Context(), "go", "build", "-race", "-o", bin, ".")
	out, err := build.CombinedOutput() // waits for go build to exit
	switch {
	case errors.Is(err, exec.ErrNotFound):
		t.Skip("no go command on PATH to build the lesson with -race")
	case err != nil && (bytes.Contains(out, []byte("-race")) ||
		bytes.Contains(out, []byte("C compiler"))):
		// "-race requires cgo", "-race is not supported on ...", or no C
		// compiler for the cgo that -race needs.
		t.Skipf("this toolchain cannot build with -race:\n%s", out)
	case err != nil:
		t.Fatalf("go build -race: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}
