package timeline

import (
	"errors"
	"fmt"
	"os"
	"runtime/trace"
)

// A Trace is a runtime/trace being written to a file, from [StartTrace]
// to [Trace.Stop]. Open the file with go tool trace: its "User-defined
// regions" and "User-defined tasks" pages show the spans by row and the
// run's task. Only the goroutine that started a Trace may stop it.
type Trace struct {
	f *os.File // nil once stopped
}

// StartTrace creates (or truncates) the file at path and starts writing
// the process's runtime/trace to it. It fails if the file cannot be
// created, or if a trace is already being written (for example under
// go test -trace): a process writes at most one trace at a time.
func StartTrace(path string) (*Trace, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("timeline: trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		// We leave no empty file behind, which go tool trace would only
		// fail to read.
		err = fmt.Errorf("timeline: trace %s: %w", path, err)
		return nil, errors.Join(err, f.Close(), os.Remove(path))
	}
	return &Trace{f: f}, nil
}

// Stop stops the trace, which flushes it, and closes its file. It returns
// the error from closing the file. Calls after the first do nothing and
// return nil. A nil *Trace does nothing.
func (t *Trace) Stop() error {
	if t == nil || t.f == nil {
		return nil
	}
	trace.Stop() // returns once the trace is written out
	err := t.f.Close()
	t.f = nil
	if err != nil {
		return fmt.Errorf("timeline: trace: %w", err)
	}
	return nil
}
