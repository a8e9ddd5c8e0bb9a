package timelinetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTraceCounts writes a trace by hand, two tasks with regions and
// labels of their own, and checks that the counts see each task's events
// and no other's, and names with quotes and regexp characters exactly.
func TestTraceCounts(t *testing.T) {
	SkipIfTracing(t)
	path := filepath.Join(t.TempDir(), "trace.out")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, trace.Start(f))

	ctx, task := trace.NewTask(context.Background(), "lesson")
	for range 2 {
		trace.WithRegion(ctx, "worker 1", func() { trace.Log(ctx, "label", "job (1)") })
	}
	trace.WithRegion(ctx, `say "hi"`, func() {})
	r := trace.StartRegion(ctx, "never ended") // ended after the trace stops
	task.End()
	other, otherTask := trace.NewTask(context.Background(), "other")
	trace.WithRegion(other, "worker 1", func() { trace.Log(other, "label", "job (1)") })
	otherTask.End()

	trace.Stop()
	r.End()
	require.NoError(t, f.Close())

	tr := ReadTrace(t, path)
	id := tr.Task(t, "lesson")
	otherID := tr.Task(t, "other")
	assert.NotEqual(t, id, otherID)

	begun, ended := tr.Regions(id, "worker 1")
	assert.Equal(t, [2]int{2, 2}, [2]int{begun, ended}, "worker 1 in lesson")
	begun, ended = tr.Regions(otherID, "worker 1")
	assert.Equal(t, [2]int{1, 1}, [2]int{begun, ended}, "worker 1 in other")
	begun, ended = tr.Regions(id, `say "hi"`)
	assert.Equal(t, [2]int{1, 1}, [2]int{begun, ended}, "a name with quotes")
	begun, ended = tr.Regions(id, "never ended")
	assert.Equal(t, [2]int{1, 0}, [2]int{begun, ended}, "a region still open when the trace stopped")
	begun, ended = tr.Regions(id, "worker")
	assert.Equal(t, [2]int{0, 0}, [2]int{begun, ended}, "a prefix of a name is not the name")

	assert.Equal(t, 2, tr.Labels(id, "job (1)"))
	assert.Equal(t, 1, tr.Labels(otherID, "job (1)"))
	assert.Zero(t, tr.Labels(id, "job 1"), "parentheses are matched as text")
	tr.AssertRegions(t, id, "worker 1", `say "hi"`)
	tr.AssertLabels(t, id, "job (1)")
}

// TestGolden compares with a golden file it writes itself.
func TestGolden(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir("testdata", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("testdata", "chart.golden"), []byte("a │██\n"), 0o644))
	Golden(t, "chart", "a │██\n")
}
