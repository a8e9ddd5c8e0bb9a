package processpool

import (
	"bufio"
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
// type Req.
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
	fr := newFrameReader(bufio.NewReader(r))
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

// Command says how to start a worker process: a program whose main calls
// [Serve] on its stdin and stdout.
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
}

func (c Command) grace() time.Duration {
	if c.Grace > 0 {
		return c.Grace
	}
	return DefaultGrace
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
