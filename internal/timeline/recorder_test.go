package timeline

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecorderFromManyGoroutines checks that spans recorded by many
// goroutines at once are all kept, exactly (run it with -race), and come
// back in a fixed order whatever order they ended in.
func TestRecorderFromManyGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := New()
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				// Later ids start sooner and end later: ends come in
				// another order than starts.
				time.Sleep(time.Duration(50-i) * time.Millisecond)
				end := rec.Start(t.Context(), fmt.Sprintf("worker %d", i), "job")
				time.Sleep(time.Duration(2*i) * time.Millisecond)
				end()
			})
		}
		wg.Wait()
		spans := rec.Spans()
		require.Len(t, spans, 50)
		for k, s := range spans {
			i := 49 - k // sorted by start: the last worker first
			assert.Equal(t, fmt.Sprintf("worker %d", i), s.Row)
			assert.Equal(t, time.Duration(50-i)*time.Millisecond, s.Start)
			assert.Equal(t, time.Duration(2*i)*time.Millisecond, s.Duration())
		}
	})
}

// TestEndTwiceRecordsOnce checks that only the first call of an end
// function counts.
func TestEndTwiceRecordsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := New()
		end := rec.Start(t.Context(), "main", "once")
		time.Sleep(time.Second)
		end()
		time.Sleep(time.Second)
		end()
		assert.Equal(t, []Span{{Row: "main", Label: "once", Start: 0, End: time.Second}}, rec.Spans())
	})
}

// TestSpanNotShownUntilEnded checks that Spans has only ended spans.
func TestSpanNotShownUntilEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := New()
		end := rec.Start(t.Context(), "main", "open")
		assert.Empty(t, rec.Spans())
		end()
		assert.Len(t, rec.Spans(), 1)
	})
}

// TestDoRecordsEvenIfFPanics checks that Do records its span when f
// panics, and lets the panic go on.
func TestDoRecordsEvenIfFPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := New()
		assert.PanicsWithValue(t, "boom", func() {
			rec.Do(t.Context(), "main", "panics", func() {
				time.Sleep(time.Second)
				panic("boom")
			})
		})
		assert.Equal(t, []Span{{Row: "main", Label: "panics", Start: 0, End: time.Second}}, rec.Spans())
	})
}

// TestCompareNames checks the numeric-aware order of row names.
func TestCompareNames(t *testing.T) {
	names := []string{"worker 10", "worker 9", "worker 1", "consumer", "worker 010",
		"worker 2b", "worker 2a", "worker", "producer 2", "producer 10", "", "w 1 x 10", "w 1 x 9"}
	slices.SortFunc(names, compareNames)
	assert.Equal(t, []string{"", "consumer", "producer 2", "producer 10", "w 1 x 9", "w 1 x 10",
		"worker", "worker 1", "worker 2a", "worker 2b", "worker 9", "worker 10", "worker 010"}, names)
	assert.Zero(t, compareNames("job 7", "job 7"))
	assert.Negative(t, compareNames("job 7", "job 07"))
}

// TestAdd checks that spans timed elsewhere land at their offsets from the
// Recorder's creation, in fake time so that the offsets are exact.
func TestAdd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := time.Now()
		time.Sleep(time.Second)
		r := New()
		start := time.Now()
		time.Sleep(2 * time.Second)
		r.Add("process 42", "blocks 0-7", start, time.Now())
		r.Add("process 43", "early", before, start.Add(time.Second))
		r.Add("process 44", "backwards", start.Add(time.Second), start)
		assert.Equal(t, []Span{
			{Row: "process 42", Label: "blocks 0-7", Start: 0, End: 2 * time.Second},
			{Row: "process 43", Label: "early", Start: 0, End: time.Second},
			{Row: "process 44", Label: "backwards", Start: time.Second, End: time.Second},
		}, r.Spans())
	})
}
