package childcheck

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
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
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
		if msg := Leftover(); msg != "" {
			fmt.Fprint(os.Stderr, msg)
			code = 1
		}
	}
	os.Exit(code)
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

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		stat       string
		name       string
		state      byte
		ppid       int
		wantParsed bool
	}{
		{"123 (sleep) S 99 123 99 0", "sleep", 'S', 99, true},
		{"124 (a (weird) name) Z 7 1 1", "a (weird) name", 'Z', 7, true},
		{"125 (x) ) R 8 0", "x) ", 'R', 8, true},
		{"garbage", "", 0, 0, false},
		{"1 (x) RR 2", "", 0, 0, false},
		{"1 (x) R notanumber", "", 0, 0, false},
	} {
		p, ppid, ok := parseStat([]byte(tc.stat))
		require.Equal(t, tc.wantParsed, ok, tc.stat)
		if ok {
			assert.Equal(t, tc.name, p.Name, tc.stat)
			assert.Equal(t, tc.state, p.State, tc.stat)
			assert.Equal(t, tc.ppid, ppid, tc.stat)
		}
	}
}
