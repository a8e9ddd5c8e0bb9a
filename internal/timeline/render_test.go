package timeline

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// record runs f in a synctest bubble with a new Recorder and returns the
// spans it recorded, measured in fake time, so they are exact.
func record(t *testing.T, f func(ctx context.Context, rec *Recorder)) []Span {
	t.Helper()
	var spans []Span
	synctest.Test(t, func(t *testing.T) {
		rec := New()
		f(t.Context(), rec)
		spans = rec.Spans()
	})
	return spans
}

// work records a span of label on row around a sleep of d (the work, in
// fake time).
func work(ctx context.Context, rec *Recorder, row, label string, d time.Duration) {
	rec.Do(ctx, row, label, func() { time.Sleep(d) })
}

// limited runs n workers that each work 1s, at most limit at once. The
// loop takes each worker's slot before it starts the worker, so that the
// workers start in order and the chart is the same on every run.
func limited(n, limit int) func(ctx context.Context, rec *Recorder) {
	return func(ctx context.Context, rec *Recorder) {
		sem := make(chan struct{}, limit) // one slot per worker allowed at once
		var wg sync.WaitGroup
		for i := 1; i <= n; i++ {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				work(ctx, rec, fmt.Sprintf("worker %d", i), fmt.Sprintf("job %d", i), time.Second)
			})
		}
		wg.Wait()
	}
}

func render(t *testing.T, spans []Span, opts Options) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, Render(&out, spans, opts))
	return out.String()
}

// TestSemaphoreChart checks the chart of 5 workers of 1s with at most 3
// at once: two rounds, so 2s of wall time for 5s of work, and never more
// than 3 bars over one instant.
func TestSemaphoreChart(t *testing.T) {
	spans := record(t, limited(5, 3))
	require.Len(t, spans, 5)
	var starts []time.Duration
	for _, s := range spans {
		assert.Equal(t, time.Second, s.Duration(), "span %+v", s)
		starts = append(starts, s.Start)
	}
	s := time.Second
	assert.Equal(t, []time.Duration{0, 0, 0, s, s}, starts)
	assert.Equal(t, "worker 4", spans[3].Row, "workers start in order")

	out := render(t, spans, Options{})
	assert.Contains(t, out, "wall 2s (first start to last end), work 5s (5 spans)")
	assert.Contains(t, out, "work/wall 2.50x")
	assert.Contains(t, out, "at most 3 at once (first at 0s)")
	timelinetest.Golden(t, "semaphore", out)

	// The same spans in ASCII: the same chart, drawn with other characters.
	ascii := render(t, spans, Options{ASCII: true})
	for _, line := range strings.Split(ascii, "\n") {
		for _, r := range line {
			require.Less(t, r, rune(128), "non-ASCII %q in %q", r, line)
		}
	}
	timelinetest.Golden(t, "semaphore_ascii", ascii)
}

// TestSequentialChart checks spans that follow each other on one row:
// they share a line, in alternating shades, and work equals wall.
func TestSequentialChart(t *testing.T) {
	spans := record(t, func(ctx context.Context, rec *Recorder) {
		work(ctx, rec, "main", "read", time.Second)
		work(ctx, rec, "main", "parse", 2*time.Second)
		work(ctx, rec, "main", "write", 500*time.Millisecond)
		work(ctx, rec, "main", "read again", time.Second)
	})
	out := render(t, spans, Options{Width: 60})
	lines := strings.Split(out, "\n")
	// 53 columns for 4.5s: 1s is 11.8 columns.
	bars := strings.Repeat("█", 12) + strings.Repeat("▓", 23) +
		strings.Repeat("█", 6) + strings.Repeat("▓", 12)
	assert.Equal(t, "main │"+bars+"│", lines[0])
	assert.Contains(t, out, "wall 4.5s (first start to last end), work 4.5s (4 spans)")
	assert.Contains(t, out, "work/wall 1.00x")
	assert.Contains(t, out, "at most 1 at once")
	timelinetest.Golden(t, "sequential", out)
}

// TestManyRowsChart checks that rows come in numeric order of their
// names by default ("worker 10" after "worker 9"), or in order of their
// first start with ByStart, and that the legend stops at its limit.
func TestManyRowsChart(t *testing.T) {
	spans := record(t, func(ctx context.Context, rec *Recorder) {
		var wg sync.WaitGroup
		for i := 1; i <= 12; i++ {
			wg.Go(func() {
				// Later workers start sooner, so that start order is
				// the reverse of name order.
				time.Sleep(time.Duration(12-i) * 250 * time.Millisecond)
				work(ctx, rec, fmt.Sprintf("worker %d", i), "job", time.Second)
			})
		}
		wg.Wait()
	})
	byName := render(t, spans, Options{Legend: 5})
	assert.Less(t, strings.Index(byName, "worker 9 "), strings.Index(byName, "worker 10 "))
	assert.Less(t, strings.Index(byName, "worker 2 "), strings.Index(byName, "worker 11 "))
	assert.Contains(t, byName, "… and 7 more\n")
	assert.Contains(t, byName, "at most 4 at once (first at 750ms)")
	timelinetest.Golden(t, "many_rows", byName)

	byStart := render(t, spans, Options{Order: ByStart, Legend: -1})
	assert.True(t, strings.HasPrefix(byStart, "worker 12 "), "got\n%s", byStart)
	assert.NotContains(t, byStart, "label", "a negative Legend means no legend")
	timelinetest.Golden(t, "many_rows_by_start", byStart)
}

// TestSubColumnSpans checks that a span much shorter than a column still
// shows, as a partial block sized in eighths of a column, and that short
// spans back to back each get a column.
func TestSubColumnSpans(t *testing.T) {
	spans := record(t, func(ctx context.Context, rec *Recorder) {
		var wg sync.WaitGroup
		wg.Go(func() { work(ctx, rec, "long", "10s", 10*time.Second) })
		wg.Go(func() {
			time.Sleep(time.Second)
			work(ctx, rec, "short", "1ms", time.Millisecond)
			time.Sleep(time.Second)
			work(ctx, rec, "short", "50ms", 50*time.Millisecond)
			time.Sleep(time.Second)
			work(ctx, rec, "short", "1ns", time.Nanosecond)
		})
		wg.Go(func() {
			time.Sleep(5 * time.Second)
			for i := range 3 {
				work(ctx, rec, "bursts", fmt.Sprintf("burst %d", i+1), time.Microsecond)
			}
		})
		wg.Wait()
	})
	out := render(t, spans, Options{Width: 60})
	lines := strings.Split(out, "\n")
	// 10s over 51 columns: 1s is 5.1 columns, so 1ms and 1ns take one
	// eighth of a column (the least), 50ms two (0.255 × 8 rounds to 2).
	// They start at 1s, 2s and 3.051s: columns 5, 10 and 16.
	// The three bursts all start at 5s, column 26 (25.5 rounded up), and
	// each moves one column right of the one before.
	assert.Equal(t, "short  │"+strings.Repeat(" ", 5)+"▏"+strings.Repeat(" ", 4)+
		"▎"+strings.Repeat(" ", 5)+"▏"+strings.Repeat(" ", 34)+"│", lines[2])
	assert.Equal(t, "bursts │"+strings.Repeat(" ", 26)+"▏▏▏"+strings.Repeat(" ", 22)+"│", lines[0])
	timelinetest.Golden(t, "subcolumn", out)
}

// TestRowUsedTwiceAtOnce checks that spans that overlap on one row are
// drawn on extra lines under it, not over each other.
func TestRowUsedTwiceAtOnce(t *testing.T) {
	spans := record(t, func(ctx context.Context, rec *Recorder) {
		var wg sync.WaitGroup
		wg.Go(func() { work(ctx, rec, "pool", "a", 2*time.Second) })
		wg.Go(func() {
			time.Sleep(time.Second)
			work(ctx, rec, "pool", "b", 2*time.Second)
		})
		wg.Go(func() {
			time.Sleep(1500 * time.Millisecond)
			work(ctx, rec, "pool", "c", time.Second)
		})
		wg.Go(func() { work(ctx, rec, "solo", "d", time.Second) })
		wg.Wait()
	})
	out := render(t, spans, Options{Width: 40})
	lines := strings.Split(out, "\n")
	// 33 columns for 3s: 1s is 11 columns.
	bar := func(from, to int) string {
		return "│" + strings.Repeat(" ", from) + strings.Repeat("█", to-from) +
			strings.Repeat(" ", 33-to) + "│"
	}
	assert.Equal(t, "pool "+bar(0, 22), lines[0])
	assert.Equal(t, "     "+bar(11, 33), lines[1])
	assert.Equal(t, "     "+bar(17, 28), lines[2], "1.5s to 2.5s: 16.5 and 27.5 round up")
	assert.Equal(t, "solo "+bar(0, 11), lines[3])
	assert.Contains(t, out, "at most 3 at once (first at 1.5s)")
	timelinetest.Golden(t, "row_overlap", out)
}

// TestZeroDurationSpans checks a chart in which no time passed: every
// span is a mark at 0, and there is no ratio to give.
func TestZeroDurationSpans(t *testing.T) {
	spans := record(t, func(ctx context.Context, rec *Recorder) {
		var wg sync.WaitGroup
		for i := 1; i <= 3; i++ {
			wg.Go(func() { work(ctx, rec, fmt.Sprintf("worker %d", i), "instant", 0) })
		}
		wg.Wait()
	})
	out := render(t, spans, Options{Width: 40})
	assert.Contains(t, out, "wall 0s (first start to last end), work 0s (3 spans)")
	assert.Contains(t, out, "work/wall: none, no time passed; at most 3 at once")
	timelinetest.Golden(t, "zero_duration", out)
}

// TestLongNamesAreTruncated checks that a long row name and a long label
// are cut to fit, with a mark that says so.
func TestLongNamesAreTruncated(t *testing.T) {
	row := "a row whose name goes on and on and on"
	label := "a label far longer than any column of the legend"
	spans := []Span{
		{Row: row, Label: label, Start: 0, End: time.Second},
		{Row: "short", Label: "x", Start: 500 * time.Millisecond, End: 2 * time.Second},
	}
	out := render(t, spans, Options{Width: 50})
	assert.NotContains(t, out, row)
	assert.NotContains(t, out, label)
	assert.Contains(t, out, "a row whose name go… │")
	assert.Contains(t, out, "a label far longer than…")
	for _, line := range strings.Split(out, "\n")[:3] {
		assert.LessOrEqual(t, len([]rune(line)), 50, "line %q is wider than the chart", line)
	}
	timelinetest.Golden(t, "long_names", out)

	ascii := render(t, spans, Options{Width: 50, ASCII: true})
	assert.Contains(t, ascii, "a row whose name go~ |")
}

// TestNoSpans checks the message for an empty chart.
func TestNoSpans(t *testing.T) {
	out := render(t, nil, Options{})
	assert.Equal(t, "no spans recorded\n", out)
	timelinetest.Golden(t, "empty", out)
}

// TestEveryLineHasTheWidth checks, for several widths, that every line of
// the chart proper (bars and axis) is exactly as wide as asked.
func TestEveryLineHasTheWidth(t *testing.T) {
	spans := record(t, limited(7, 3))
	for _, width := range []int{MinWidth, 41, 63, 80, 131} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			out := render(t, spans, Options{Width: width})
			lines := strings.Split(out, "\n")
			for _, line := range lines[:len(spans)+1] {
				assert.Equal(t, width, len([]rune(line)), "line %q", line)
			}
			assert.LessOrEqual(t, len([]rune(lines[len(spans)+1])), width, "labels %q", lines[len(spans)+1])
		})
	}
}

// TestMinimumWidth checks that the narrowest chart allowed still draws,
// and that a narrower (or absurdly wide) one is an error that says why,
// with nothing written.
func TestMinimumWidth(t *testing.T) {
	spans := record(t, limited(5, 3))
	timelinetest.Golden(t, "min_width", render(t, spans, Options{Width: MinWidth}))

	for _, width := range []int{MinWidth - 1, 1, -5, MaxWidth + 1} {
		var out bytes.Buffer
		err := Render(&out, spans, Options{Width: width})
		require.Error(t, err, "width %d", width)
		assert.Equal(t, fmt.Sprintf("timeline: width %d is out of range:"+
			" it must be from 40 to 1000 columns", width), err.Error())
		assert.Empty(t, out.String())
	}
}

// TestBadSpans checks that a span that ends before it starts is an
// error naming it.
func TestBadSpans(t *testing.T) {
	for _, s := range []Span{
		{Row: "r", Label: "backwards", Start: 2 * time.Second, End: time.Second},
		{Row: "r", Label: "early", Start: -time.Second, End: time.Second},
	} {
		var out bytes.Buffer
		err := Render(&out, []Span{s}, Options{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), fmt.Sprintf("span %q on row \"r\"", s.Label))
		assert.Empty(t, out.String())
	}
}

// TestOverlap checks the count of spans at once: spans that touch do not
// overlap, and a span of no time counts at its instant.
func TestOverlap(t *testing.T) {
	s := time.Second
	tests := []struct {
		name  string
		spans []Span
		peak  int
		at    time.Duration
	}{
		{"one", []Span{{Start: 0, End: s}}, 1, 0},
		{"touching", []Span{{Start: 0, End: s}, {Start: s, End: 2 * s}}, 1, 0},
		{"nested", []Span{{Start: 0, End: 3 * s}, {Start: s, End: 2 * s}}, 2, s},
		{"instant inside", []Span{{Start: 0, End: 2 * s}, {Start: s, End: s}}, 2, s},
		{"instants together", []Span{{Start: s, End: s}, {Start: s, End: s}}, 2, s},
		{"instant at an end", []Span{{Start: 0, End: s}, {Start: s, End: s}}, 1, 0},
		{"later peak", []Span{{Start: 0, End: s}, {Start: 2 * s, End: 4 * s},
			{Start: 3 * s, End: 5 * s}}, 2, 3 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			peak, at := overlap(tt.spans)
			assert.Equal(t, tt.peak, peak, "peak")
			assert.Equal(t, tt.at, at, "first at")
		})
	}
}

// TestDurationFormat checks that durations are shown to three
// significant digits, with "us" for µs in ASCII.
func TestDurationFormat(t *testing.T) {
	u := &chart{g: unicodeGlyphs}
	a := &chart{g: asciiGlyphs}
	assert.Equal(t, "1s", u.duration(1000412*time.Microsecond))
	assert.Equal(t, "1.23ms", u.duration(1234567*time.Nanosecond))
	assert.Equal(t, "2.5s", u.duration(2500*time.Millisecond))
	assert.Equal(t, "999ns", u.duration(999))
	assert.Equal(t, "0s", u.duration(0))
	assert.Equal(t, "1m40s", u.duration(100*time.Second))
	assert.Equal(t, "12.3µs", u.duration(12345))
	assert.Equal(t, "12.3us", a.duration(12345))
}

// TestTickNearTheEnd draws charts whose total is just over a round tick,
// so that the last tick rounds to the column of the right end (a crash
// once: the tick was written one past the axis line). Every total from 2s
// to 2.1s in 1ms steps, at several widths, must draw full-width lines.
func TestTickNearTheEnd(t *testing.T) {
	for _, width := range []int{MinWidth, 80, 100, 120} {
		for extra := range 100 {
			total := 2*time.Second + time.Duration(extra)*time.Millisecond
			spans := []Span{{Row: "worker 1", Label: "job", Start: 0, End: total}}
			var b strings.Builder
			require.NoError(t, Render(&b, spans, Options{Width: width, Legend: -1}), "total %v, width %d", total, width)
			lines := strings.Split(b.String(), "\n")
			for _, line := range lines[:2] {
				require.Equal(t, width, len([]rune(line)), "total %v, width %d: line %q", total, width, line)
			}
		}
	}
}

// TestRound checks that Options.Round draws a real run's chart, with its
// microseconds of noise, as the exact one, and leaves out spans that
// round to nothing.
func TestRound(t *testing.T) {
	exact := []Span{
		{Row: "worker 1", Label: "job 1", Start: 0, End: time.Second},
		{Row: "worker 2", Label: "job 2", Start: time.Second, End: 2 * time.Second},
	}
	noisy := []Span{
		{Row: "worker 1", Label: "job 1", Start: 3 * time.Microsecond, End: time.Second + 40*time.Microsecond},
		{Row: "worker 2", Label: "job 2", Start: time.Second + 90*time.Microsecond, End: 2*time.Second + 7*time.Microsecond},
		{Row: "worker 2", Label: "handover", Start: time.Second + 10*time.Microsecond, End: time.Second + 80*time.Microsecond},
	}
	want := render(t, exact, Options{Width: 60})
	assert.Equal(t, want, render(t, noisy, Options{Width: 60, Round: 100 * time.Millisecond}))
	assert.NotEqual(t, want, render(t, noisy, Options{Width: 60}), "without Round the noise shows")
}
