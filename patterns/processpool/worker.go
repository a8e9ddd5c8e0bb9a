package processpool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// EnvWorker is the environment variable that marks a worker process; its
// value is the worker's name. [Self] sets it.
const EnvWorker = "WORKBOOK_PROCESSPOOL_WORKER"

// IsWorker reports whether this process was started as the worker named
// name: whether the environment variable [EnvWorker] is set to name. The
// empty name is never a worker.
func IsWorker(name string) bool {
	return name != "" && os.Getenv(EnvWorker) == name
}

// Serve is the worker side of the protocol. It sends the hello frame to w,
// then reads requests from r, calls fn for each and writes its response to
// w, one request at a time, in order. It returns nil when r ends cleanly
// between two requests (the parent closed our stdin: time to exit), and an
// error if a write fails or r holds anything that is not a request frame of
// type Req; the error says what it found (bytes outside the protocol, which
// it quotes, a header that claims more than [MaxFrame] bytes, or a payload
// that does not decode). The worker's main should write it to stderr and
// exit with a non-zero status, as below: the pool shows that stderr in its
// [*CrashError].
//
// If fn returns an error, its message (only the message: an error value
// cannot cross a process boundary) goes back to the parent, where [Pool.Do]
// returns it as a [*RemoteError]; the worker goes on serving. An error
// whose message is empty is sent as "(error with an empty message)". If a
// response cannot be encoded with gob, Serve sends that encoding error
// back in its place. A panic in fn is not recovered: it crashes the worker,
// and the parent replaces it and retries the request once.
//
// ctx is passed to fn. Serve checks it between requests and returns
// ctx.Err() once it is done, but it cannot interrupt a read from r or a
// running fn. Nothing but frames may be written to w while Serve runs: fn
// must log to stderr, never stdout, when w is os.Stdout.
//
// A worker's main usually starts like this (see [Self]):
//
//	if processpool.IsWorker("square") {
//		if err := processpool.Serve(ctx, os.Stdin, os.Stdout, square); err != nil {
//			fmt.Fprintln(os.Stderr, "worker:", err)
//			os.Exit(1)
//		}
//		os.Exit(0)
//	}
func Serve[Req, Resp any](ctx context.Context, r io.Reader, w io.Writer,
	fn func(context.Context, Req) (Resp, error)) error {
	fw := newFrameWriter(w)
	if err := fw.write(hello{PID: os.Getpid()}); err != nil {
		return fmt.Errorf("processpool: sending hello: %w", err)
	}
	fr := newFrameReader(r, fromParent)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var req request[Req]
		if err := fr.read(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("processpool: reading a request: %w", err)
		}
		resp := response[Resp]{ID: req.ID}
		v, err := fn(ctx, req.Req)
		if err != nil {
			resp.Err = err.Error()
			if resp.Err == "" {
				resp.Err = "(error with an empty message)"
			}
		} else {
			resp.Resp = v
		}
		err = fw.write(resp)
		var eerr *encodeError
		if errors.As(err, &eerr) {
			// fw has started a new gob stream; this frame tells the
			// parent to do the same.
			err = fw.write(response[Resp]{ID: req.ID,
				Err: "processpool: the worker could not send its response: " + eerr.Error()})
		}
		if err != nil {
			return fmt.Errorf("processpool: sending the response to request %d: %w", req.ID, err)
		}
	}
}

// DefaultGrace is how long [Pool.Close] waits for a worker to exit after
// closing its stdin, when [Command.Grace] is 0.
const DefaultGrace = 5 * time.Second

// DefaultJobTimeout is a job's deadline when [Command.JobTimeout] is 0: a
// minute, far longer than the milliseconds to seconds a job should take
// (see the package doc, When to use), so that only a worker that is stuck
// or stopped meets it. Set JobTimeout for jobs that may take longer.
const DefaultJobTimeout = time.Minute

// DefaultStartTimeout is how long a worker may take to send its hello
// when [Command.StartTimeout] is 0: half a minute, against the 20 ms or so
// a Go worker takes on an idle machine and the seconds it may take on a
// loaded one, so that only a worker that is stopped, stuck, or not a
// worker at all meets it.
const DefaultStartTimeout = 30 * time.Second

// Command says how to start a worker process, a program whose main calls
// [Serve] on its stdin and stdout, and how long the pool waits for it.
type Command struct {
	Path string   // the executable
	Args []string // arguments after the program name
	Env  []string // "KEY=value" entries added to os.Environ(); later ones win

	// Stderr receives everything the workers write to their stderr,
	// besides the last few KiB of each that the pool keeps for its error
	// messages. nil discards it. The pool's copies of several workers'
	// stderr may call Write concurrently, and a Write error is ignored.
	Stderr io.Writer

	// Grace is how long Close waits for a worker to exit after closing
	// its stdin before it kills it, and how long the pool waits for a
	// dead worker's stderr to be closed (exec.Cmd.WaitDelay). 0 means
	// DefaultGrace.
	Grace time.Duration

	// JobTimeout is each job's deadline: how long a worker may take to
	// answer, from the moment the pool sends it the request. A worker
	// that has not answered by then (it is stuck, stopped, or too slow)
	// is killed and reaped, and the job is retried once on a fresh
	// worker, with a deadline of its own (see [Pool.Do]). The start of a
	// fresh worker is not part of it. 0 means DefaultJobTimeout, and a
	// negative value means no deadline: a worker that never answers
	// then holds its job until the job's ctx or New's ends.
	// [Pool.DoTimeout] sets a deadline for one job.
	JobTimeout time.Duration

	// StartTimeout is how long a fresh worker may take to send its
	// hello, from the moment it is started: one that has not sent it by
	// then is killed and reaped, and [New] (or the [Pool.Do] that
	// started it) returns a [*CrashError] that matches
	// [ErrStartTimeout]. 0 means DefaultStartTimeout, and a negative
	// value means no deadline: the pool then waits for a stopped worker
	// until New's ctx, or the ctx of the Do that started it, ends.
	StartTimeout time.Duration
}

func (c Command) grace() time.Duration {
	if c.Grace > 0 {
		return c.Grace
	}
	return DefaultGrace
}

// startTimeout returns the start-up deadline, with 0 for none.
func (c Command) startTimeout() time.Duration {
	switch {
	case c.StartTimeout < 0:
		return 0
	case c.StartTimeout == 0:
		return DefaultStartTimeout
	}
	return c.StartTimeout
}

// jobTimeout returns the deadline of a job given timeout (a JobTimeout),
// with 0 for none.
func jobTimeout(timeout time.Duration) time.Duration {
	switch {
	case timeout < 0:
		return 0
	case timeout == 0:
		return DefaultJobTimeout
	}
	return timeout
}

// Self returns a Command that runs the current executable (os.Executable)
// again, with args, as the worker named name: in it, [IsWorker](name)
// reports true. The program's main must check IsWorker before doing
// anything else, and call [Serve]. Under go test, the executable is the
// test binary, so a TestMain can be the worker's main.
func Self(name string, args ...string) (Command, error) {
	if name == "" {
		return Command{}, errors.New("processpool: Self needs a worker name")
	}
	exe, err := os.Executable()
	if err != nil {
		return Command{}, fmt.Errorf("processpool: finding this executable: %w", err)
	}
	return Command{Path: exe, Args: args, Env: []string{EnvWorker + "=" + name}}, nil
}
