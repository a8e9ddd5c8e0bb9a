package exercise

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A deadlocked test uses no CPU: IdleAfter stops it long before
// HangAfter would.
func TestAnIdleTestIsStoppedEarly(t *testing.T) {
	t.Parallel()
	r, err := Test(t.Context(), moduleRoot(t), diag+"reentrant", Options{Race: true, HangAfter: time.Minute, IdleAfter: time.Second})
	require.NoError(t, err)
	require.NotNil(t, r.Stopped, "the output was:\n%s", r.Output)
	assert.True(t, r.Stopped.Idle, "stopped for being idle")
	assert.Less(t, r.Stopped.After, 30*time.Second, "stopped before HangAfter")
	d := Diagnose(r)
	require.Len(t, d.Hangs, 1)
	assert.Equal(t, HowIdle, d.Hangs[0].How)
	assert.Equal(t, "(*Account).Balance", d.Hangs[0].Stuck[0].At.Func)
}

// grandchildren finds a child's child, and not the child itself.
func TestGrandchildren(t *testing.T) {
	// sh forks the sleep before it echoes: once we read the line, the
	// grandchild exists. We kill it; nothing waits it out.
	cmd := exec.CommandContext(t.Context(), "sh", "-c", "sleep 60 & echo started; wait")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line)
	found := grandchildren(os.Getpid())
	require.Len(t, found, 1, "the sleep started by sh")
	assert.NotEqual(t, cmd.Process.Pid, found[0], "the child itself is not a grandchild")
	require.NoError(t, syscall.Kill(found[0], syscall.SIGKILL))
}
