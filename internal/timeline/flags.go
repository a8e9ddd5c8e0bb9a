package timeline

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/trace"
	"strconv"
	"time"
)

// Flags are a lesson's command-line switches for showing when things ran.
// [Flags.Register] adds them to a flag.FlagSet; after parsing,
// [Flags.Start] acts on them. The zero value shows nothing.
type Flags struct {
	Timeline bool   // -timeline: print a chart of the spans at the end
	ASCII    bool   // -ascii: draw the chart with ASCII characters only
	Width    int    // -width: the chart's width; 0: $COLUMNS, or 80
	Trace    string // -trace: write a runtime/trace to this file

	// Round is not a flag: a lesson sets it to round the chart's times
	// (see Options.Round).
	Round time.Duration
}

// Register adds -timeline, -ascii, -width and -trace to fs, stored in f.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.BoolVar(&f.Timeline, "timeline", false,
		"print a chart of when each piece of work ran")
	fs.BoolVar(&f.ASCII, "ascii", false,
		"draw the -timeline chart with ASCII characters only")
	fs.IntVar(&f.Width, "width", 0, fmt.Sprintf(
		"the -timeline chart's width in columns, %d to %d (default $COLUMNS, or %d)",
		MinWidth, MaxWidth, DefaultWidth))
	fs.StringVar(&f.Trace, "trace", "",
		"write a runtime/trace to `file`, for go tool trace")
}

// Check reports a bad flag value, naming the flag: call it with the
// lesson's other checks, before printing anything. Start calls it too.
func (f *Flags) Check() error {
	if f.Width != 0 && (f.Width < MinWidth || f.Width > MaxWidth) {
		return fmt.Errorf("-width must be from %d to %d, got %d", MinWidth, MaxWidth, f.Width)
	}
	return nil
}

// options returns the chart's options: the width is -width, else
// $COLUMNS when it is a width Render accepts, else DefaultWidth.
func (f *Flags) options() Options {
	width := f.Width
	if width == 0 {
		if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil &&
			n >= MinWidth && n <= MaxWidth {
			width = n
		}
	}
	return Options{Width: width, ASCII: f.ASCII, Round: f.Round}
}

// Start acts on the flags. With neither -timeline nor -trace it returns
// ctx and a nil *Observer, which does nothing. With -trace it starts the
// trace and a task named name for the whole run, and returns a context
// carrying the task: pass it (or contexts derived from it) to
// [Observer.Start] so that the spans belong to the task. The caller owes
// a call to [Observer.Stop], on this goroutine, once the run is over.
//
// Start returns an error naming the flag if a value is bad or the trace
// file cannot be created; then nothing was started.
func (f *Flags) Start(ctx context.Context, name string) (context.Context, *Observer, error) {
	if err := f.Check(); err != nil {
		return ctx, nil, err
	}
	if !f.Timeline && f.Trace == "" {
		return ctx, nil, nil
	}
	obs := &Observer{opts: f.options()}
	if f.Timeline {
		obs.rec = New()
	}
	if f.Trace != "" {
		tr, err := StartTrace(f.Trace)
		if err != nil {
			return ctx, nil, fmt.Errorf("-trace %s: %w", f.Trace, err)
		}
		obs.trace = tr
		ctx, obs.task = trace.NewTask(ctx, name)
	}
	return ctx, obs, nil
}

// An Observer records spans for a chart (-timeline), as trace regions
// (-trace), or both. It is made by [Flags.Start]. Its Start and Do may be
// called from any number of goroutines; Render and Stop belong to the
// goroutine that called Flags.Start. Every method of a nil *Observer
// does nothing and returns nil.
type Observer struct {
	rec   *Recorder   // nil without -timeline
	trace *Trace      // nil without -trace
	task  *trace.Task // nil without -trace
	opts  Options
}

// Start begins a span of label on row and returns the function that ends
// it, which must be called once, by the goroutine that called Start; see
// [Recorder.Start].
func (o *Observer) Start(ctx context.Context, row, label string) (end func()) {
	switch {
	case o == nil:
		return func() {}
	case o.rec != nil:
		return o.rec.Start(ctx, row, label)
	default: // -trace alone: a region, and no span to keep
		return startRegion(ctx, row, label)
	}
}

// Do records a span of label on row around a call of f, on the caller's
// goroutine. A nil *Observer only calls f.
func (o *Observer) Do(ctx context.Context, row, label string, f func()) {
	end := o.Start(ctx, row, label)
	defer end()
	f()
}

// Render writes the chart of the spans recorded so far to w, if -timeline
// was given, after a blank line that sets it apart from what the lesson
// printed before. Call it once the goroutines that record spans have been
// joined: a span not yet ended is not shown.
func (o *Observer) Render(w io.Writer) error {
	if o == nil || o.rec == nil {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return o.rec.Render(w, o.opts)
}

// Spans returns the spans recorded so far (see [Recorder.Spans]), or nil
// without -timeline.
func (o *Observer) Spans() []Span {
	if o == nil || o.rec == nil {
		return nil
	}
	return o.rec.Spans()
}

// Stop ends the run's task and stops the trace, if -trace was given, and
// returns the error from writing the trace file. Calls after the first do
// nothing.
func (o *Observer) Stop() error {
	if o == nil || o.trace == nil {
		return nil
	}
	o.task.End()
	err := o.trace.Stop()
	o.trace = nil
	if err != nil {
		return fmt.Errorf("-trace: %w", err)
	}
	return nil
}
