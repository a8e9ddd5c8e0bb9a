package hangcheck

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/proc"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		io.Copy(io.Discard, os.Stdin) // a child process: wait for stdin to close
		return
	}
	goleak.VerifyTestMain(m)
}

// childEnv makes the test binary a child process that waits for its stdin
// to close.
const childEnv = "HANGCHECK_TEST_CHILD"

// recorder is a testing.TB that records Fatalf instead of ending the
// goroutine, so that a test can look at what Within reported.
type recorder struct {
	testing.TB
	fatal string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
}

func TestWithinReturnsWhenFnDoes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		begin := time.Now()
		ran := false
		Within(rec, "a quick call", func() {
			time.Sleep(time.Second)
			ran = true
		})
		assert.True(t, ran, "Within returned before fn did")
		assert.Equal(t, time.Second, time.Since(begin), "Within waits exactly as long as fn")
		assert.Empty(t, rec.fatal)
	})
}

// In a synctest bubble the timer is fake, so the hang is reported at
// exactly Bound without waiting for real.
func TestWithinReportsAHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		Within(rec, "the second Lock", func() { <-stuck })
		assert.Equal(t, Bound, time.Since(begin))
		require.Contains(t, rec.fatal, "the second Lock did not return within 5s")
		close(stuck) // let fn's goroutine end, so the bubble can finish
	})
}

// The report includes the stack of the goroutine Within started, so that
// a reader (or the workbook's check) sees where the call is stuck.
func TestWithinReportsWhereTheCallIsStuck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		Within(rec, "the receive", func() { <-stuck })
		require.Contains(t, rec.fatal, "Where the call is stuck:\ngoroutine ")
		assert.Contains(t, rec.fatal, "[chan receive (durable), synctest bubble")
		assert.Contains(t, rec.fatal, "hangcheck.TestWithinReportsWhereTheCallIsStuck.")
		close(stuck)
	})
}

// Meters for the tests: in a synctest bubble time.Since(begin) is fake
// time, so a meter can say how busy the test was at every moment.

// idle is a meter for a test that uses no CPU.
func idle() (time.Duration, bool) { return 0, true }

// busyUntil is a meter for a test that keeps one CPU busy from begin
// until stop, and then uses none.
func busyUntil(begin time.Time, stop time.Duration) func() (time.Duration, bool) {
	return func() (time.Duration, bool) { return min(time.Since(begin), stop), true }
}

// A call that keeps the CPU busy is making progress, however slowly: on a
// loaded machine a correct call may take many times Bound, and must not
// be reported.
func TestABusyCallIsNotReportedAtBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		begin := time.Now()
		within(rec, "a slow call", func() { time.Sleep(6 * Bound) }, busyUntil(begin, time.Hour))
		assert.Equal(t, 6*Bound, time.Since(begin), "Within waits for a busy call")
		assert.Empty(t, rec.fatal, "a busy call was reported as a hang")
	})
}

// A call that spins for ever is reported at Limit.
func TestACallBusyForEverIsReportedAtLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		within(rec, "the spin", func() { <-stuck }, busyUntil(begin, time.Hour))
		assert.Equal(t, Limit, time.Since(begin))
		require.Contains(t, rec.fatal, "the spin did not return within 1m30s, while the test kept using CPU")
		close(stuck)
	})
}

// A call that worked for a while and then stopped using CPU is reported
// IdleWindow after it stopped: the deadlock came late.
func TestACallIsReportedOnceItHasBeenIdleForTheWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		within(rec, "the late deadlock", func() { <-stuck }, busyUntil(begin, 20*time.Second))
		assert.Equal(t, 20*time.Second+IdleWindow, time.Since(begin))
		require.Contains(t, rec.fatal, "the late deadlock did not return within 5s, while the test used no CPU")
		close(stuck)
	})
}

// An idle call is reported at Bound, not earlier, even though it has been
// idle for IdleWindow long before.
func TestAnIdleCallIsReportedAtBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		within(rec, "the receive", func() { <-stuck }, idle)
		assert.Equal(t, Bound, time.Since(begin))
		assert.NotEmpty(t, rec.fatal)
		close(stuck)
	})
}

// Where the CPU time cannot be read, a call is reported at Bound, as if
// it were idle.
func TestWithoutAMeterACallIsReportedAtBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{TB: t}
		stuck := make(chan struct{})
		begin := time.Now()
		within(rec, "the receive", func() { <-stuck }, func() (time.Duration, bool) { return 0, false })
		assert.Equal(t, Bound, time.Since(begin))
		require.Contains(t, rec.fatal, "the receive did not return within 5s")
		close(stuck)
	})
}

// tree finds a process and everything below it, and nothing else.
func TestTree(t *testing.T) {
	all := []proc.Stat{
		{PID: 1, PPID: 0}, {PID: 10, PPID: 1}, {PID: 11, PPID: 10},
		{PID: 12, PPID: 11}, {PID: 13, PPID: 10}, {PID: 20, PPID: 1},
	}
	var pids []int
	for _, s := range tree(all, 10) {
		pids = append(pids, s.PID)
	}
	assert.Equal(t, []int{10, 11, 13, 12}, pids)
}

// The report lists the child processes still running, and the CPU they
// use counts as the test's.
func TestChildProcessesAreListed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("listing child processes needs Linux /proc")
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	assert.Contains(t, stuck(), "Child processes of the test: pid "+strconv.Itoa(cmd.Process.Pid)+" (")
	_, ok := cpuUsed()
	assert.True(t, ok, "cpuUsed cannot read the CPU time on Linux")
}
