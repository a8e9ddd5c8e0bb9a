package timeline

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	// DefaultWidth is the width of a chart whose Options give none.
	DefaultWidth = 80
	// MinWidth is the narrowest chart Render draws: with the longest row
	// name it allows, that leaves 17 columns for the bars.
	MinWidth = 40
	// MaxWidth is the widest chart Render draws.
	MaxWidth = 1000

	maxNameWidth  = 20 // longer row names are truncated
	maxLabelWidth = 24 // longer labels are truncated in the legend
	defaultLegend = 20 // legend lines when Options.Legend is 0
)

// Order is the order of the rows of a chart.
type Order int

const (
	// ByName sorts the rows by name, with runs of digits compared as
	// numbers: "worker 9" comes before "worker 10". It is the default:
	// the rows stay in place from run to run.
	ByName Order = iota
	// ByStart puts the rows in the order of their first span's start
	// (ties by name), so that the chart reads as a waterfall.
	ByStart
)

// Options say how Render draws a chart. The zero value draws a Unicode
// chart 80 columns wide, rows by name, with a legend of up to 20 spans.
type Options struct {
	// Width is the number of columns of every line of the chart proper
	// (the legend and summary may be longer); 0 means DefaultWidth. A width
	// less than MinWidth or more than MaxWidth is an error.
	Width int
	// ASCII draws with ASCII characters only: '#' and '=' for bars, '|'
	// for spans shorter than half a column.
	ASCII bool
	// Order is the order of the rows.
	Order Order
	// Legend is the most spans listed in the legend: 0 means 20, and a
	// negative number means no legend.
	Legend int
	// Round, if positive, rounds every span's start and end to a multiple
	// of it before drawing. A lesson whose work is simulated with sleeps
	// of, say, 1s sets it to 100ms: the microseconds that starting
	// goroutines takes are noise, and a real run then draws the same chart
	// as the run in fake time that its tests check. Spans that round to no
	// time at all are left out.
	Round time.Duration
}

// glyphs are the characters a chart is drawn with.
type glyphs struct {
	bars          [2]rune // alternate between spans that follow each other
	partial       []rune  // 1/8 to 8/8 of a column, for short spans
	side          rune    // the left and right edges of the bars
	axis, tick    rune
	left, right   rune // the ends of the axis
	ellipsis      string
	micro         string // how a microsecond is written
	truncationTip string // what replaces the end of a truncated name
}

var unicodeGlyphs = glyphs{
	bars:          [2]rune{'█', '▓'},
	partial:       []rune("▏▎▍▌▋▊▉█"),
	side:          '│',
	axis:          '─',
	tick:          '┴',
	left:          '└',
	right:         '┘',
	ellipsis:      "…",
	micro:         "µs",
	truncationTip: "…",
}

var asciiGlyphs = glyphs{
	bars:          [2]rune{'#', '='},
	partial:       []rune("||||||||"),
	side:          '|',
	axis:          '-',
	tick:          '+',
	left:          '+',
	right:         '+',
	ellipsis:      "...",
	micro:         "us",
	truncationTip: "~",
}

// Render writes a Gantt chart of spans to w: one line per row (more where
// a row's spans overlap), a time axis from 0 to the latest end, a legend
// that lists the spans, and a summary: the wall time from the first start
// to the last end, the sum of the spans' durations (the work), their
// ratio, and the most spans that ran at once. With no spans it writes
// "no spans recorded". The output depends only on spans and opts, not on
// their order in spans.
//
// Render returns an error, and writes nothing, if opts.Width is out of
// range or a span ends before it starts or starts before 0.
func Render(w io.Writer, spans []Span, opts Options) error {
	width := cmp.Or(opts.Width, DefaultWidth)
	if width < MinWidth || width > MaxWidth {
		return fmt.Errorf("timeline: width %d is out of range: it must be from %d to %d columns",
			width, MinWidth, MaxWidth)
	}
	if opts.Round > 0 {
		rounded := make([]Span, 0, len(spans))
		for _, s := range spans {
			s.Start, s.End = s.Start.Round(opts.Round), s.End.Round(opts.Round)
			if s.End > s.Start {
				rounded = append(rounded, s)
			}
		}
		spans = rounded
	}
	for _, s := range spans {
		if s.Start < 0 || s.End < s.Start {
			return fmt.Errorf("timeline: span %q on row %q runs from %v to %v:"+
				" it must not start before 0 or end before it starts",
				s.Label, s.Row, s.Start, s.End)
		}
	}
	if len(spans) == 0 {
		_, err := io.WriteString(w, "no spans recorded\n")
		return err
	}
	g := unicodeGlyphs
	if opts.ASCII {
		g = asciiGlyphs
	}
	c := chart{g: g, spans: slices.Clone(spans)}
	slices.SortFunc(c.spans, compareSpans)
	c.rows = rowOrder(c.spans, opts.Order)
	for _, s := range c.spans {
		c.total = max(c.total, s.End)
	}
	for _, r := range c.rows {
		c.nameWidth = max(c.nameWidth, utf8.RuneCountInString(r.name))
	}
	c.nameWidth = min(max(c.nameWidth, 1), maxNameWidth)
	c.cols = width - c.nameWidth - 3 // a space and the two sides
	legend := cmp.Or(opts.Legend, defaultLegend)

	var b strings.Builder
	c.bars(&b)
	c.axis(&b)
	if legend > 0 {
		c.legend(&b, legend)
	}
	c.summary(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

// A chart holds what Render works out before it draws.
type chart struct {
	g         glyphs
	spans     []Span // sorted by compareSpans
	rows      []row
	total     time.Duration // the latest end: the right end of the axis
	nameWidth int           // the width of the row names' column
	cols      int           // the width of the bars
}

// A row is one row's name and spans, in start order.
type row struct {
	name  string
	spans []Span
}

// rowOrder groups spans (sorted by compareSpans) by row, in order.
func rowOrder(spans []Span, order Order) []row {
	var rows []row
	index := map[string]int{}
	for _, s := range spans {
		i, ok := index[s.Row]
		if !ok {
			i = len(rows)
			index[s.Row] = i
			rows = append(rows, row{name: s.Row})
		}
		rows[i].spans = append(rows[i].spans, s)
	}
	// The rows are now in the order of their first start, ties by name,
	// since that is the order of spans: ByStart needs nothing more.
	if order != ByStart {
		slices.SortFunc(rows, func(a, b row) int { return compareNames(a.name, b.name) })
	}
	return rows
}

// col returns the column boundary nearest to t.
func (c *chart) col(t time.Duration) int {
	if c.total == 0 {
		return 0
	}
	// Integer arithmetic, rounded half up: a float could put the same
	// time on either side of a boundary on different machines.
	return int((2*int64(t)*int64(c.cols) + int64(c.total)) / (2 * int64(c.total)))
}

// bars draws one line per lane of each row.
func (c *chart) bars(b *strings.Builder) {
	for _, r := range c.rows {
		for i, lane := range lanes(r.spans) {
			name := ""
			if i == 0 {
				name = c.truncate(r.name, c.nameWidth)
			}
			fmt.Fprintf(b, "%-*s %c%s%c\n", c.nameWidth, name, c.g.side,
				string(c.drawLane(lane)), c.g.side)
		}
	}
}

// lanes splits spans (in start order) into lanes in which no two spans
// overlap: each span goes into the first lane that is free by its start.
func lanes(spans []Span) [][]Span {
	var ls [][]Span
	for _, s := range spans {
		i := slices.IndexFunc(ls, func(l []Span) bool { return l[len(l)-1].End <= s.Start })
		if i < 0 {
			ls = append(ls, nil)
			i = len(ls) - 1
		}
		ls[i] = append(ls[i], s)
	}
	return ls
}

// drawLane draws the spans of one lane, which do not overlap in time.
func (c *chart) drawLane(lane []Span) []rune {
	cells := []rune(strings.Repeat(" ", c.cols))
	next := 0 // the first column that no earlier span has drawn on
	for k, s := range lane {
		// A span covers the columns between the boundaries nearest to its
		// start and end. Where rounding would draw it over the span
		// before, it starts one column later: every span shows.
		start := min(max(c.col(s.Start), next), c.cols-1)
		end := min(c.col(s.End), c.cols)
		if end > start {
			for i := start; i < end; i++ {
				cells[i] = c.g.bars[k%2]
			}
			next = end
			continue
		}
		// Shorter than half a column: a partial block, in eighths of a
		// column, and at least one eighth.
		eighths := 1
		if c.total > 0 {
			d := int64(s.Duration())
			eighths = int((2*d*int64(c.cols)*8 + int64(c.total)) / (2 * int64(c.total)))
			eighths = min(max(eighths, 1), 8)
		}
		cells[start] = c.g.partial[eighths-1]
		next = start + 1
	}
	return cells
}

// axis draws the time axis under the bars: ticks at round multiples of a
// step, labelled, from 0 to the total.
func (c *chart) axis(b *strings.Builder) {
	ticks := c.ticks()
	line := []rune(strings.Repeat(string(c.g.axis), c.cols))
	for _, t := range ticks {
		// A tick close enough to the total rounds to the right end's
		// column, one past the line: the corner marks that place.
		if col := c.col(t); col < c.cols {
			line[col] = c.g.tick
		}
	}
	fmt.Fprintf(b, "%*s %c%s%c\n", c.nameWidth, "", c.g.left, string(line), c.g.right)

	// The labels: 0 under the left end, the total ending under the right
	// end, and each tick's under the tick, where it does not crowd its
	// neighbours.
	labels := []rune(strings.Repeat(" ", c.nameWidth+1+c.cols+2))
	first := c.nameWidth + 1 // the column of the left end
	zero := c.duration(0)
	copy(labels[first:], []rune(zero))
	free := first + utf8.RuneCountInString(zero) + 1 // the first free column
	last := []rune(c.duration(c.total))
	lastAt := len(labels) - len(last)
	if c.total > 0 {
		copy(labels[lastAt:], last)
	}
	for _, t := range ticks {
		text := []rune(c.duration(t))
		at := first + 1 + c.col(t)
		if c.col(t) >= c.cols || at < free || at+len(text) >= lastAt {
			continue
		}
		copy(labels[at:], text)
		free = at + len(text) + 1
	}
	b.WriteString(strings.TrimRight(string(labels), " "))
	b.WriteString("\n")
}

// ticks returns the ticks strictly between 0 and the total, at the
// smallest round step (1, 2 or 5 times a power of ten nanoseconds) at
// which every label fits with two columns to spare.
func (c *chart) ticks() []time.Duration {
	if c.total == 0 {
		return nil
	}
	for power := time.Duration(1); power < c.total; power *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			step := m * power
			if int64(c.total/step) > int64(c.cols) {
				continue // more ticks than columns: too close to label
			}
			widest := utf8.RuneCountInString(c.duration(c.total))
			var ticks []time.Duration
			for t := step; t < c.total; t += step {
				ticks = append(ticks, t)
				widest = max(widest, utf8.RuneCountInString(c.duration(t)))
			}
			if int64(step)*int64(c.cols) >= int64(widest+2)*int64(c.total) {
				return ticks
			}
		}
	}
	return nil
}

// legend lists up to n spans, row by row, in start order.
func (c *chart) legend(b *strings.Builder, n int) {
	labelWidth := len("label")
	for _, s := range c.spans {
		labelWidth = max(labelWidth, utf8.RuneCountInString(s.Label))
	}
	labelWidth = min(labelWidth, maxLabelWidth)
	var lines [][4]string
	for _, r := range c.rows {
		for _, s := range r.spans {
			lines = append(lines, [4]string{
				c.truncate(r.name, c.nameWidth), c.truncate(s.Label, labelWidth),
				c.duration(s.Start), c.duration(s.Duration()),
			})
		}
	}
	shown := lines[:min(n, len(lines))]
	startWidth := len("start")
	for _, l := range shown {
		startWidth = max(startWidth, utf8.RuneCountInString(l[2]))
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "%-*s  %-*s  %-*s  %s\n", c.nameWidth, "row", labelWidth, "label",
		startWidth, "start", "took")
	for _, l := range shown {
		fmt.Fprintf(b, "%-*s  %-*s  %-*s  %s\n", c.nameWidth, l[0], labelWidth, l[1],
			startWidth, l[2], l[3])
	}
	if more := len(lines) - len(shown); more > 0 {
		fmt.Fprintf(b, "%s and %d more\n", c.g.ellipsis, more)
	}
}

// summary writes the wall time, the work, their ratio, and the most spans
// that ran at once.
func (c *chart) summary(b *strings.Builder) {
	first := c.spans[0].Start
	var work time.Duration
	for _, s := range c.spans {
		work += s.Duration()
	}
	wall := c.total - first
	peak, at := overlap(c.spans)
	b.WriteString("\n")
	fmt.Fprintf(b, "wall %s (first start to last end), work %s (%s)\n",
		c.duration(wall), c.duration(work), plural(len(c.spans), "span"))
	if wall > 0 {
		fmt.Fprintf(b, "work/wall %.2fx: the speedup over one at a time;"+
			" at most %d at once (first at %s)\n",
			float64(work)/float64(wall), peak, c.duration(at))
	} else {
		fmt.Fprintf(b, "work/wall: none, no time passed; at most %d at once\n", peak)
	}
}

// overlap returns the most spans in progress at one instant, and the
// first instant at which that many were. A span that ends when another
// starts does not overlap it; a span of no duration counts at its instant.
func overlap(spans []Span) (peak int, at time.Duration) {
	type event struct {
		t    time.Duration
		kind int // 0: an end, 1: a start, 2: the end of a span of no time
	}
	var events []event
	for _, s := range spans {
		end := 0
		if s.End == s.Start {
			end = 2
		}
		events = append(events, event{s.Start, 1}, event{s.End, end})
	}
	slices.SortFunc(events, func(a, b event) int {
		return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.kind, b.kind))
	})
	n := 0
	for _, e := range events {
		if e.kind == 1 {
			n++
			if n > peak {
				peak, at = n, e.t
			}
		} else {
			n--
		}
	}
	return peak, at
}

// duration formats d to three significant digits: a real run's
// 1.000412s is shown as 1s.
func (c *chart) duration(d time.Duration) string {
	unit := time.Duration(1)
	for x := d; x >= 1000; x /= 10 {
		unit *= 10
	}
	s := d.Round(unit).String()
	return strings.Replace(s, "µs", c.g.micro, 1)
}

// truncate shortens s to n runes, ending it with the truncation mark.
func (c *chart) truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	tip := []rune(c.g.truncationTip)
	return string([]rune(s)[:n-len(tip)]) + string(tip)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
