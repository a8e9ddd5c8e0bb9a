package timeline

import (
	"os"
	"path/filepath"
	"runtime/trace"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTraceHasTaskAndRegions writes a trace with -trace and -timeline,
// with spans from two goroutines, and checks the file: through go tool
// trace -d=parsed, the run is a task named after the lesson and each span
// a region of that task, named after its row, with its label logged.
func TestTraceHasTaskAndRegions(t *testing.T) {
	timelinetest.SkipIfTracing(t)
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

	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "lesson-under-test")
	for _, row := range []string{"producer", "consumer 1"} {
		begun, ended := tr.Regions(id, row)
		assert.Equal(t, [2]int{1, 1}, [2]int{begun, ended}, "regions named %q", row)
		assert.Equal(t, 1, tr.Labels(id, "item for "+row), "labels of %q", row)
	}
	assert.Contains(t, tr.Text(), "TaskEnd")
}

// TestTraceAloneRecordsNoSpans checks -trace without -timeline: regions
// in the trace, nothing kept for a chart.
func TestTraceAloneRecordsNoSpans(t *testing.T) {
	timelinetest.SkipIfTracing(t)
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
	timelinetest.SkipIfTracing(t)
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
