package processpool

// This file is provided, complete: the worker's side of the pool, the
// wire types and Command. The exercise is Map, in processpool.go.

import (
	"encoding/gob"
	"errors"
	"fmt"
	"io"
)

// WorkerEnv is the environment variable that puts a program in worker
// mode: a program whose main finds it set calls ServeWorker on its stdin
// and stdout instead of doing its usual work. Map does not set it; the
// Command does, in its Env.
const WorkerEnv = "PROCESSPOOL_WORKER"

// A Func is a function a worker can run on one item. A Go func cannot
// cross a process boundary (as pickle cannot send a lambda), so a job
// names its function, and the worker looks the name up in its registry.
type Func func(item int) (int, error)

// Funcs returns the registry of functions a worker runs by name, as a new
// map that the caller may add to (the tests add functions that crash or
// block).
func Funcs() map[string]Func {
	return map[string]Func{
		"double": func(n int) (int, error) { return 2 * n, nil },
		"square": func(n int) (int, error) { return n * n, nil },
	}
}

// A Job is what the parent sends a worker: apply the function named Fn to
// Item. It crosses the pipe encoded with encoding/gob, which sends only
// exported fields.
type Job struct {
	Fn   string
	Item int
}

// A Reply is a worker's answer to one Job: Value, or, if the function
// failed, its error message in Err (an error value cannot cross a process
// boundary; its text can). Err is "" on success.
type Reply struct {
	Value int
	Err   string
}

// A Command says how to start a worker process: a program that, with
// these arguments and environment, calls ServeWorker on its stdin and
// stdout.
type Command struct {
	Path string   // the executable
	Args []string // its arguments, after the program name
	Env  []string // "KEY=value" entries added to this process's environment (os.Environ)
}

// ServeWorker is the worker's side of the wire format. It reads a gob
// stream of Jobs from r and, for each, calls the function funcs holds
// under the Job's name and writes one Reply to w, in a gob stream: one
// Reply per Job, in order, one Job at a time. A name that funcs does not
// hold gets a Reply whose Err says so. It returns nil when r ends between
// two Jobs (the parent closed the worker's stdin: time to exit), and an
// error if r holds anything else or a write to w fails.
//
// A function that panics or calls os.Exit ends the worker without a
// Reply: to the parent, w (the worker's stdout) simply ends.
func ServeWorker(funcs map[string]Func, r io.Reader, w io.Writer) error {
	dec := gob.NewDecoder(r)
	enc := gob.NewEncoder(w)
	for {
		var j Job
		if err := dec.Decode(&j); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("processpool: reading a job: %w", err)
		}
		var reply Reply
		if f, ok := funcs[j.Fn]; !ok {
			reply.Err = fmt.Sprintf("unknown function %q", j.Fn)
		} else if v, err := f(j.Item); err != nil {
			reply.Err = err.Error()
			if reply.Err == "" {
				reply.Err = "(an error with an empty message)"
			}
		} else {
			reply.Value = v
		}
		if err := enc.Encode(reply); err != nil {
			return fmt.Errorf("processpool: sending a reply: %w", err)
		}
	}
}
