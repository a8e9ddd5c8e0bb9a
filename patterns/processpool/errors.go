package processpool

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// ErrClosed is returned by [Pool.Do] and [Map] after [Pool.Close] has been
// called.
var ErrClosed = errors.New("processpool: pool is closed")

// A RemoteError is an error that the worker's function returned. Only its
// message crosses the process boundary, so errors.Is cannot match the
// worker's error values; compare Msg, or encode what the caller needs in
// the response type instead. The worker is fine and the job is not
// retried.
type RemoteError struct {
	PID int    // the worker that ran the job
	Msg string // the error's message, as err.Error() gave it in the worker
}

func (e *RemoteError) Error() string {
	return fmt.Sprintf("processpool: worker %d: %s", e.PID, e.Msg)
}

// A CrashError says a worker process died, broke the protocol, or did not
// answer a job in time, while the pool waited for it. [Pool.Do] returns
// one when a job failed on two workers in a row: the second failure, with
// the first in Previous.
type CrashError struct {
	// Op is what the pool was doing: "start" (waiting for the worker's
	// hello), "job" (waiting for a response) or "close" (waiting for the
	// worker to exit at the end of its input).
	Op  string
	PID int
	// State is how the process ended, as exec.Cmd.Wait saw it; a worker
	// that broke the protocol or timed out was killed by the pool, and
	// shows that.
	State *os.ProcessState
	// Cause is what the pool saw: the stream ended (io.EOF,
	// io.ErrUnexpectedEOF), was not a valid frame, or could not be
	// written; or the worker did not answer in time (a *TimeoutError).
	Cause error
	// Stderr is the end of what the worker wrote to its stderr: the last
	// few KiB, where a Go panic's message and stack are.
	Stderr string
	// Previous is the failure of the first attempt, when this is the
	// failure of the retry.
	Previous *CrashError
}

func (e *CrashError) Error() string {
	var b strings.Builder
	switch p := e.Previous; {
	case p != nil && p.timedOut() && e.timedOut():
		fmt.Fprintf(&b, "processpool: job timed out twice: worker pid %d %v; "+
			"retried once on a fresh worker, pid %d, which also %v; both were killed",
			p.PID, p.Cause, e.PID, e.Cause)
	case p != nil:
		verb := "crashed"
		if p.timedOut() || e.timedOut() {
			verb = "failed"
		}
		fmt.Fprintf(&b, "processpool: worker %s twice running the job (pid %d, then pid %d); ",
			verb, p.PID, e.PID)
		if p.timedOut() {
			fmt.Fprintf(&b, "the first time: %v; ", p.Cause)
		}
		b.WriteString("the second time: ")
		e.describe(&b)
	case e.timedOut():
		fmt.Fprintf(&b, "processpool: worker timed out (%s): ", e.Op)
		e.describe(&b)
	default:
		fmt.Fprintf(&b, "processpool: worker crashed (%s): ", e.Op)
		e.describe(&b)
	}
	if e.Stderr != "" {
		fmt.Fprintf(&b, "\nstderr tail:\n%s", strings.TrimRight(e.Stderr, "\n"))
	}
	return b.String()
}

// describe writes the pid, the exit status and the cause.
func (e *CrashError) describe(b *strings.Builder) {
	status := "exit status unknown"
	if e.State != nil {
		status = e.State.String() // "exit status 3", "signal: killed"
	}
	fmt.Fprintf(b, "pid %d, %s: %v", e.PID, status, e.Cause)
}

func (e *CrashError) timedOut() bool {
	var t *TimeoutError
	var st *StartTimeoutError
	return errors.As(e.Cause, &t) || errors.As(e.Cause, &st)
}

// Unwrap returns Cause, so that errors.Is(err, [ErrJobTimeout]) reports
// whether the (last) attempt timed out.
func (e *CrashError) Unwrap() error { return e.Cause }

// ExitCode returns the worker's exit code, or -1 if it was killed by a
// signal or its state is unknown.
func (e *CrashError) ExitCode() int {
	if e.State == nil {
		return -1
	}
	return e.State.ExitCode()
}

// ErrJobTimeout is matched, with errors.Is, by the error of a job whose
// worker did not answer within its deadline ([Command.JobTimeout],
// [Pool.DoTimeout]) on its last attempt.
var ErrJobTimeout = errors.New("processpool: job timed out")

// A TimeoutError is the Cause of a [*CrashError] for a worker that did not
// answer a job within its deadline: it was stopped, stuck, or too slow.
// The pool killed it (SIGKILL, which ends even a stopped process) and
// reaped it. It matches [ErrJobTimeout].
type TimeoutError struct {
	Timeout time.Duration // the job's deadline, from sending the request
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("did not answer within %v", e.Timeout)
}

// Is reports whether target is ErrJobTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrJobTimeout }

// ErrStartTimeout is matched, with errors.Is, by the error of a worker
// that did not send its hello within [Command.StartTimeout] of being
// started.
var ErrStartTimeout = errors.New("processpool: worker did not start in time")

// A StartTimeoutError is the Cause of a [*CrashError] (Op "start") for a
// worker that did not send its hello frame in time: it was stopped, stuck
// before calling [Serve], or never calls it. The pool killed it (SIGKILL)
// and reaped it. It matches [ErrStartTimeout].
type StartTimeoutError struct {
	Timeout time.Duration // the start-up deadline, from starting the process
}

func (e *StartTimeoutError) Error() string {
	return fmt.Sprintf("sent no hello within %v of starting (Command.StartTimeout)", e.Timeout)
}

// Is reports whether target is ErrStartTimeout.
func (e *StartTimeoutError) Is(target error) bool { return target == ErrStartTimeout }

// tailSize is how much of each worker's stderr the pool keeps.
const tailSize = 4 << 10

// tail is an io.Writer that keeps the last tailSize bytes written to it
// and copies every write to out. exec.Cmd's copying goroutine writes to
// it while the pool may read it.
type tail struct {
	out io.Writer // may be nil; its errors are ignored

	mu  sync.Mutex // protects buf and cut
	buf []byte
	cut bool // bytes were dropped from the front of buf
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	t.mu.Unlock()
	if t.out != nil {
		// A failing Stderr must not stop the copy, which would make
		// cmd.Wait report the copy's error instead of the exit.
		_, _ = t.out.Write(p)
	}
	return len(p), nil
}

// String returns the kept bytes; if the front was cut, it starts at the
// first whole line.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := string(t.buf)
	if t.cut {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		s = "...\n" + s
	}
	return s
}
