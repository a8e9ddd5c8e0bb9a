package timeline

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/trace"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// skipIfTracing skips a test that writes a trace when one is already being
// written (go test -trace): a process writes one trace at a time.
func skipIfTracing(t *testing.T) {
	t.Helper()
	if trace.IsEnabled() {
		t.Skip("a trace is already being written (go test -trace)")
	}
}

// traceHeader is how a trace file starts: "go 1.26 trace" and three zero
// bytes, from Go 1.26 (the number is the trace format's Go version).
var traceHeader = regexp.MustCompile(`^go 1\.\d\d trace\x00\x00\x00`)

// TestTraceHasTaskAndRegions writes a trace with -trace and -timeline,
// with spans from two goroutines, and checks the file: its header, and,
// through go tool trace -d=parsed, that the run is a task named after the
// lesson and each span a region of that task, named after its row, with
// its label logged.
func TestTraceHasTaskAndRegions(t *testing.T) {
	skipIfTracing(t)
	path := filepath.Join(t.TempDir(), "trace.out")
	ctx, obs, err := (&Flags{Timeline: true, Trace: path}).Start(t.Context(), "lesson-under-test")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, row := range []string{"producer", "consumer 1"} {
		wg.Go(func() {
			obs.Do(ctx, row, "item for "+row, func() {})
		})
	}
	wg.Wait()
	require.NoError(t, obs.Stop())
	require.NoError(t, obs.Stop(), "a second Stop does nothing")
	assert.False(t, trace.IsEnabled(), "Stop stopped the trace")
	assert.Len(t, obs.Spans(), 2, "-timeline recorded the spans too")

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(data), 16)
	assert.Regexp(t, traceHeader, string(data[:16]))

	t.Run("go tool trace", func(t *testing.T) {
		goCmd, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command to parse the trace with:", err)
		}
		out, err := exec.CommandContext(t.Context(), goCmd, "tool", "trace", "-d=parsed", path).Output()
		require.NoError(t, err)
		parsed := string(out)
		task := regexp.MustCompile(`TaskBegin .* ID=(\d+) .*Type="lesson-under-test"`).FindStringSubmatch(parsed)
		require.NotNil(t, task, "no task named lesson-under-test in\n%s", parsed)
		id := task[1]
		for _, row := range []string{"producer", "consumer 1"} {
			for _, event := range []string{"RegionBegin", "RegionEnd"} {
				assert.Regexp(t, event+` .*Task=`+id+` Type="`+row+`"`, parsed)
			}
			assert.Regexp(t, `Log .*Task=`+id+` Category="label" Message="item for `+row+`"`, parsed)
		}
		assert.Contains(t, parsed, `TaskEnd`)
		childcheck.None(t)
	})
}

// TestTraceAloneRecordsNoSpans checks -trace without -timeline: regions
// in the trace, nothing kept for a chart.
func TestTraceAloneRecordsNoSpans(t *testing.T) {
	skipIfTracing(t)
	path := filepath.Join(t.TempDir(), "trace.out")
	ctx, obs, err := (&Flags{Trace: path}).Start(t.Context(), "lesson")
	require.NoError(t, err)
	require.NotNil(t, obs)
	assert.True(t, trace.IsEnabled())
	obs.Do(ctx, "main", "work", func() {})
	assert.Nil(t, obs.Spans())
	require.NoError(t, obs.Stop())
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Positive(t, info.Size())
}

// TestStartTraceTwiceFails checks that a second trace cannot start while
// one is being written, and leaves no file behind.
func TestStartTraceTwiceFails(t *testing.T) {
	skipIfTracing(t)
	dir := t.TempDir()
	tr, err := StartTrace(filepath.Join(dir, "first.out"))
	require.NoError(t, err)
	defer tr.Stop()
	second := filepath.Join(dir, "second.out")
	_, err = StartTrace(second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timeline: trace "+second+": ")
	assert.Contains(t, err.Error(), "already enabled")
	assert.NoFileExists(t, second)
}
