// Package timeline shows when things ran: it records spans of work (which
// row did what, from when to when) and draws them as a Gantt chart in plain
// text, with a time axis, a legend and a summary line (wall time, total
// work, their ratio, and the most spans that ran at once). It can also
// write a runtime/trace file in which each span is a region, for
// go tool trace.
//
// Lessons adopt it through [Flags], which adds -timeline, -ascii, -width
// and -trace to a flag.FlagSet:
//
//	var show timeline.Flags
//	show.Register(fs)
//	// after fs.Parse:
//	ctx, obs, err := show.Start(ctx, "semaphore")
//	if err != nil {
//		return err
//	}
//	defer obs.Stop()
//	// in each goroutine:
//	end := obs.Start(ctx, "download 3", "fetch")
//	// ... the work ...
//	end()
//	// once every goroutine has been joined:
//	obs.Render(w)
//
// A nil *Observer (no -timeline and no -trace) does nothing, cheaply.
//
// # Concurrency contract
//
// A [Recorder] or an [Observer] may be used by any number of goroutines at
// once: Start and Do record each span under a mutex, held only to append
// it, so they never block for long. A span is recorded when its end
// function is called; calling the end function synchronizes before a later
// Spans or Render that sees the span, in the sense of the Go memory model
// (https://go.dev/ref/mem). Spans whose end function has not been called
// are not shown, so call Render after joining the goroutines.
//
// The end function returned by Start must be called by the goroutine that
// called Start: while a trace is being written each span is also a
// runtime/trace region, and a region must end on the goroutine that began
// it. Calls after the first do nothing. Do calls its function on the
// caller's goroutine, so it keeps this rule by construction.
//
// Render, Stop, [StartTrace] and [Trace.Stop] belong to the goroutine that
// owns the run (the lesson's run function); they are not meant to be
// called concurrently with each other. At most one trace can be written by
// a process at a time (a runtime/trace rule): StartTrace fails while
// another is being written, for example under go test -trace.
//
// The clock is time.Now, so inside a testing/synctest bubble the spans are
// measured in fake time and a chart is exactly the same on every run. A
// Recorder must then be created inside the bubble. Note that Start and the
// end function lock a sync.Mutex: it is held for an append only, so this
// is safe in a bubble, but the lock is not a point at which synctest.Wait
// considers a goroutine durably blocked.
//
// # Tracing
//
// [StartTrace] writes a runtime/trace to a file until [Trace.Stop]. While
// any trace is being written (trace.IsEnabled), each span is also a
// region whose type is the span's row ("worker 3"), and the span's label
// is logged in it under the category "label"; so go tool trace groups the
// regions by row, as the chart does. [Flags.Start] with -trace also makes
// one task, named after the lesson, for the whole run, and returns a
// context carrying it: spans started with that context (or one derived
// from it) belong to the task. With no trace being written, a span costs
// no trace calls at all. Note that a trace cannot be started inside a
// testing/synctest bubble (the runtime stops the program): test -trace
// outside the bubble.
//
// # Reading the chart
//
// Each row is one line; a row whose spans overlap (one row used by two
// goroutines at once) takes as many lines as it had spans at once. A bar
// covers the columns its start and end fall nearest to; a span shorter
// than half a column is drawn as a partial block, in eighths of a column,
// so that it still shows. Spans that follow each other on a line alternate
// between two shades so that each one can be told apart.
package timeline
