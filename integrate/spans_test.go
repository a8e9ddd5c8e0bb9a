package integrate

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spanLog collects what a SpanFunc is told, from many goroutines.
type spanLog struct {
	mu   sync.Mutex // protects rows and blocks
	rows map[string]bool
	seen []int64 // every block reported, once per report
}

func (l *spanLog) record(row, label string, start, end time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rows == nil {
		l.rows = map[string]bool{}
	}
	l.rows[row] = true
	var first, last int64
	if _, err := fmt.Sscanf(label, "blocks %d-%d", &first, &last); err != nil {
		if _, err := fmt.Sscanf(label, "block %d", &first); err != nil {
			panic("bad label " + label)
		}
		last = first
	}
	if end.Before(start) {
		panic("span ends before it starts: " + label)
	}
	for k := first; k <= last; k++ {
		l.seen = append(l.seen, k)
	}
}

// checkEveryBlockOnce checks that the spans covered blocks 0..n-1, each
// exactly once.
func (l *spanLog) checkEveryBlockOnce(t *testing.T, n int64) {
	t.Helper()
	seen := slices.Sorted(slices.Values(l.seen))
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i)
	}
	assert.Equal(t, want, seen, "blocks reported")
}

func TestWithSpansGoroutines(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40*BlockSize + 3}
	var log spanLog
	v, err := Goroutines(WithSpans(t.Context(), log.record), p, 3)
	require.NoError(t, err)
	want, err := Serial(t.Context(), p)
	require.NoError(t, err)
	assert.Equal(t, want, v)
	log.checkEveryBlockOnce(t, 41)
	assert.NotEmpty(t, log.rows)
	for row := range log.rows {
		assert.Contains(t, []string{"goroutine 1", "goroutine 2", "goroutine 3"}, row)
	}
}

func TestWithSpansProcesses(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 20 * BlockSize}
	var log spanLog
	v, err := Processes(WithSpans(t.Context(), log.record), p, 2)
	require.NoError(t, err)
	want, err := Serial(t.Context(), p)
	require.NoError(t, err)
	assert.Equal(t, want, v)
	log.checkEveryBlockOnce(t, 20)
	assert.LessOrEqual(t, len(log.rows), 2, "at most one row per worker process: %v", log.rows)
	for row := range log.rows {
		pid, ok := strings.CutPrefix(row, "process ")
		require.True(t, ok, row)
		assert.NotEqual(t, fmt.Sprint(os.Getpid()), pid, "a worker, not this process")
	}
}

func TestWithoutSpansNothingIsReported(t *testing.T) {
	assert.Nil(t, spansOf(t.Context()))
	assert.Equal(t, "block 7", blocksLabel(7, 8))
	assert.Equal(t, "blocks 8-15", blocksLabel(8, 16))
}
