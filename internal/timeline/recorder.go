package timeline

import (
	"cmp"
	"context"
	"io"
	"runtime/trace"
	"slices"
	"sync"
	"time"
)

// A Span is one piece of work: what Label did on Row, from Start to End.
// Start and End are measured from the moment the [Recorder] was created.
type Span struct {
	Row   string // who: "worker 3", "producer"
	Label string // what: "job 7"
	Start time.Duration
	End   time.Duration
}

// Duration returns how long the span took.
func (s Span) Duration() time.Duration { return s.End - s.Start }

// A Recorder records spans from any number of goroutines. Create it with
// [New]; its zero value is not usable. A Recorder must not be copied.
type Recorder struct {
	begin time.Time // the time origin of every span

	mu    sync.Mutex // guards spans
	spans []Span
}

// New returns a Recorder whose time origin is now.
func New() *Recorder {
	return &Recorder{begin: time.Now()}
}

// Start begins a span of label on row and returns the function that ends
// it. The end function must be called by the goroutine that called Start,
// once; calls after the first do nothing. The span is recorded when it
// ends. While a runtime/trace is being written, the span is also a region
// of the task in ctx (if any); see the package documentation.
func (r *Recorder) Start(ctx context.Context, row, label string) (end func()) {
	endRegion := startRegion(ctx, row, label)
	start := time.Since(r.begin)
	done := false // only the starting goroutine reads or writes it
	return func() {
		if done {
			return
		}
		done = true
		stop := time.Since(r.begin)
		endRegion()
		r.add(Span{Row: row, Label: label, Start: start, End: stop})
	}
}

// Do records a span of label on row around a call of f, on the caller's
// goroutine. The span is recorded even if f panics.
func (r *Recorder) Do(ctx context.Context, row, label string, f func()) {
	end := r.Start(ctx, row, label)
	defer end()
	f()
}

// Add records a span of label on row that ran from start to end, both
// wall-clock times, for work that was timed elsewhere (in another
// process, say, or by code that cannot import this package). Any
// goroutine may call it. It makes no trace region: a region can only be
// recorded as it happens. A span that starts before the Recorder was
// created starts at 0.
func (r *Recorder) Add(row, label string, start, end time.Time) {
	s := Span{Row: row, Label: label, Start: max(start.Sub(r.begin), 0), End: max(end.Sub(r.begin), 0)}
	s.End = max(s.End, s.Start)
	r.add(s)
}

func (r *Recorder) add(s Span) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans = append(r.spans, s)
}

// Spans returns a copy of the spans recorded so far, ordered by start,
// then row (numbers in names in numeric order), then label, then end: the
// same spans give the same slice, in whatever order their goroutines
// ended them.
func (r *Recorder) Spans() []Span {
	r.mu.Lock()
	spans := slices.Clone(r.spans)
	r.mu.Unlock()
	slices.SortFunc(spans, compareSpans)
	return spans
}

// Render writes the chart of the spans recorded so far to w; see the
// package function [Render].
func (r *Recorder) Render(w io.Writer, opts Options) error {
	return Render(w, r.Spans(), opts)
}

func compareSpans(a, b Span) int {
	return cmp.Or(
		cmp.Compare(a.Start, b.Start),
		compareNames(a.Row, b.Row),
		compareNames(a.Label, b.Label),
		cmp.Compare(a.End, b.End),
	)
}

// startRegion begins a runtime/trace region for a span, and logs its
// label in it, if a trace is being written; it returns the function that
// ends the region. With no trace being written it makes no trace calls.
func startRegion(ctx context.Context, row, label string) (end func()) {
	if !trace.IsEnabled() {
		return func() {}
	}
	region := trace.StartRegion(ctx, row)
	trace.Log(ctx, "label", label)
	return region.End
}

// compareNames compares a and b as text, except that runs of digits
// compare as numbers, so that "worker 9" comes before "worker 10".
func compareNames(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			na, nb := digits(a), digits(b)
			ta, tb := trimZeros(na), trimZeros(nb)
			// A longer number (without leading zeros) is larger; numbers
			// of one length compare as text. "07" and "7" are equal as
			// numbers; the one with fewer zeros comes first.
			if c := cmp.Or(cmp.Compare(len(ta), len(tb)),
				cmp.Compare(ta, tb), cmp.Compare(len(na), len(nb))); c != 0 {
				return c
			}
			a, b = a[len(na):], b[len(nb):]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// digits returns the run of digits that s starts with.
func digits(s string) string {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return s[:n]
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}
