package childcheck

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// TestMain is the helper-process idiom: started with childEnv set, this
// binary blocks until its stdin is closed and exits.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}
	VerifyTestMain(m)
}

const childEnv = "CHILDCHECK_TEST_CHILD"

// startChild starts this test binary as a child that runs until its stdin
// is closed.
func startChild(t *testing.T) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	return cmd, stdin
}

func pids(kids []Proc) []int {
	var ps []int
	for _, k := range kids {
		ps = append(ps, k.PID)
	}
	return ps
}

func TestChildrenSeesRunningChildUntilWaited(t *testing.T) {
	if _, err := Children(); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	cmd, stdin := startChild(t)

	kids, err := Children()
	require.NoError(t, err)
	require.Contains(t, pids(kids), cmd.Process.Pid)
	i := slices.IndexFunc(kids, func(p Proc) bool { return p.PID == cmd.Process.Pid })
	assert.NotEqual(t, byte('Z'), kids[i].State)
	assert.Contains(t, kids[i].String(), "still running")

	require.NoError(t, stdin.Close())
	require.NoError(t, cmd.Wait())
	kids, err = Children()
	require.NoError(t, err)
	assert.Empty(t, kids, "a waited-for child is reaped")
}

func TestChildrenSeesZombie(t *testing.T) {
	if _, err := Children(); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	cmd, stdin := startChild(t)
	require.NoError(t, stdin.Close())
	// Block until the child has exited, without reaping it.
	require.NoError(t, waitExitedNoReap(cmd.Process.Pid))

	kids, err := Children()
	require.NoError(t, err)
	require.Len(t, kids, 1)
	assert.Equal(t, byte('Z'), kids[0].State)
	assert.Contains(t, Leftover(), "zombie: exited but never waited for")

	rec := &recorder{TB: t}
	None(rec)
	assert.Len(t, rec.errors, 1, "None reports the zombie")

	require.NoError(t, cmd.Wait())
	assert.Empty(t, Leftover())
	rec = &recorder{TB: t}
	None(rec)
	assert.Empty(t, rec.errors)
}

// recorder is a testing.TB that records Errorf calls instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// TestVerify checks what VerifyTestMain does after the tests have run: it
// passes a clean binary, and fails one that leaves a goroutine or a child,
// saying which.
func TestVerify(t *testing.T) {
	var out strings.Builder
	assert.Equal(t, 3, verify(3, &out), "failed tests keep their exit code")
	assert.Empty(t, out.String(), "and nothing is checked")

	before := goleak.IgnoreCurrent() // the test runner's own goroutines
	assert.Equal(t, 0, verify(0, &out, before))
	assert.Empty(t, out.String())

	t.Run("goroutine", func(t *testing.T) {
		var out strings.Builder
		now := goleak.IgnoreCurrent() // this subtest's goroutines, not the leak
		release := make(chan struct{})
		done := make(chan struct{})
		go func() { // the leak: blocked until released
			defer close(done)
			<-release
		}()
		code := verify(0, &out, before, now)
		close(release)
		<-done
		assert.Equal(t, 1, code)
		assert.Contains(t, out.String(), "found unexpected goroutines")
		assert.Contains(t, out.String(), "TestVerify")
	})

	t.Run("child", func(t *testing.T) {
		if _, err := Children(); err != nil {
			t.Skipf("no /proc here: %v", err)
		}
		var out strings.Builder
		cmd, stdin := startChild(t)
		defer func() { // had verify not reaped it: end it, and reap it
			stdin.Close()
			_ = cmd.Wait()
		}()
		code := verify(0, &out, before, goleak.IgnoreCurrent())
		assert.Equal(t, 1, code)
		assert.Contains(t, out.String(),
			fmt.Sprintf("childcheck: child process left behind: pid %d", cmd.Process.Pid))
		kids, err := Children()
		require.NoError(t, err)
		assert.Empty(t, kids, "verify reaped the child it reported")
	})
}

// TestReap leaves a running child and a zombie, and checks that Reap
// kills and waits for both: the process table holds neither afterwards.
func TestReap(t *testing.T) {
	if _, err := Children(); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	running, stdin := startChild(t)
	zombie, zstdin := startChild(t)
	require.NoError(t, zstdin.Close())
	if err := waitExitedNoReap(zombie.Process.Pid); err != nil {
		t.Skipf("cannot wait without reaping here: %v", err)
	}

	got := Reap()
	assert.ElementsMatch(t, []int{running.Process.Pid, zombie.Process.Pid}, pids(got))
	kids, err := Children()
	require.NoError(t, err)
	assert.Empty(t, kids, "nothing left after Reap")
	// Had Reap left it running, closing its stdin would end it normally
	// and Wait would reap it and return nil.
	require.NoError(t, stdin.Close())
	assert.Error(t, running.Wait(), "the running child was killed and reaped by Reap")
	assert.Empty(t, Reap(), "a second Reap finds nothing")
}
