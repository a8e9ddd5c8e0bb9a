// Wrong: the workers are started with the caller's ctx, not the group's, so the first error stops handing out items but kills no worker: Map waits for the jobs still running.
// errgroup.WithContext cancels its own ctx at the first error, and that is
// the one that must reach exec.CommandContext. Here it reaches only the
// loop that hands out items; a job that is running in another worker when
// the error comes runs on, and Map returns only once it ends. A cancel of
// the caller's ctx still kills everything.
// Caught by: TestMapFirstErrorStopsTheOtherWorkers
package processpool

import (
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"

	"golang.org/x/sync/errgroup"
)

// Map starts min(workers, len(items)) worker processes with cmd, sends
// them the items, one Job{fn, item} at a time per worker, and returns
// fn(item) for every item, in input order: out[i] answers items[i],
// whatever order the jobs finish in.
//
// A worker that crashes (its stdout ends before it replies: it panicked,
// exited or was killed) is reaped and replaced by a fresh process, and
// its job is sent again, once. A second crash on the same item fails Map;
// so does an error the function returned in the worker. The error names
// the item by index, function and value ("processpool: item 6:
// double(7): ..."). The first error wins: it stops the other workers,
// even in the middle of a job, and Map returns it with nil results.
//
// If ctx is done, Map kills every worker, even in the middle of a job,
// and returns ctx.Err(); if it is done before Map is called, Map starts
// nothing. Whatever happens, Map returns only after every worker it
// started has exited and been waited for: no child process is left,
// running or zombie. Map returns an error, and starts nothing, if workers
// is below 1 or cmd.Path is empty.
func Map(ctx context.Context, cmd Command, workers int, fn string, items []int) ([]int, error) {
	if workers < 1 {
		return nil, fmt.Errorf("processpool: workers = %d; want at least 1", workers)
	}
	if cmd.Path == "" {
		return nil, errors.New("processpool: Command.Path is empty")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([]int, len(items))
	if len(items) == 0 {
		return out, nil
	}

	// The group's ctx ends when ctx does or when a slot fails: every
	// worker is started with it (exec.CommandContext), so its end kills
	// them all. g.Wait is the join point of the feeder and the slots.
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int) // indexes into items; closed by the feeder
	g.Go(func() error {
		defer close(next)
		for i := range items {
			select {
			case next <- i: // a slot took it
			case <-gctx.Done(): // a slot failed, or ctx is done: hand out no more
				return nil
			}
		}
		return nil
	})
	for range min(workers, len(items)) {
		g.Go(func() error { return slot(ctx, cmd, fn, items, next, out) }) // wrong: not gctx
	}
	err := g.Wait()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	// Each out[i] was written by one slot; g.Wait synchronizes after
	// every slot's writes.
	return out, nil
}

// slot owns one worker process at a time: it starts one, sends it the
// items it takes from next, one at a time, and writes each answer to
// out[i]. If the worker crashes it reaps it, starts another and sends the
// same item again, once. It stops and reaps its worker on every path
// before it returns.
func slot(ctx context.Context, cmd Command, fn string, items []int, next <-chan int, out []int) error {
	w, err := start(ctx, cmd)
	if err != nil {
		return err
	}
	defer func() {
		if w != nil {
			w.stop()
		}
	}()
	for i := range next {
		job := Job{Fn: fn, Item: items[i]}
		for attempt := 1; ; attempt++ {
			if w == nil {
				if w, err = start(ctx, cmd); err != nil {
					return err
				}
			}
			v, err := w.do(job)
			if err == nil {
				out[i] = v
				break
			}
			var remote remoteError
			if errors.As(err, &remote) {
				return fmt.Errorf("processpool: item %d: %s(%d): %w", i, fn, job.Item, err)
			}
			// The worker's stdout ended, or a write to its stdin
			// failed: it is dead (or dying). Kill it to be sure, and
			// reap it.
			state := w.kill()
			w = nil
			if ctx.Err() != nil {
				return ctx.Err() // we killed it, or a sibling's failure did
			}
			if attempt == 2 {
				return fmt.Errorf("processpool: item %d: %s(%d): the worker crashed twice; the second time: %v (%v)",
					i, fn, job.Item, state, err)
			}
		}
	}
	return nil
}

// remoteError is the error the function returned in the worker: only its
// message crossed the pipe.
type remoteError string

func (e remoteError) Error() string { return string(e) }

// A worker is one running worker process and the gob streams to and from
// it. Only the slot that started it uses it.
type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	enc   *gob.Encoder // writes Jobs to stdin
	dec   *gob.Decoder // reads Replies from stdout
}

// start starts a worker process. The process is killed when ctx ends; the
// caller must call stop or kill, which reap it.
func start(ctx context.Context, c Command) (*worker, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = append(os.Environ(), c.Env...)
	// StdoutPipe closes our copy of the pipe's write end once the child
	// has started, so a read sees the end of the stream as soon as the
	// child dies: that is how a crash shows. (Its stderr, left nil, goes
	// to the null device.)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("processpool: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("processpool: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("processpool: starting a worker: %w", err)
	}
	return &worker{cmd: cmd, stdin: stdin,
		enc: gob.NewEncoder(stdin), dec: gob.NewDecoder(stdout)}, nil
}

// do sends job to the worker and reads its reply. A reply with an error
// message is a remoteError; any other error means the worker is gone.
func (w *worker) do(job Job) (int, error) {
	if err := w.enc.Encode(job); err != nil {
		return 0, err
	}
	// A fresh Reply each time: gob does not send zero fields, so a
	// reused one would keep the last reply's Err.
	var r Reply
	if err := w.dec.Decode(&r); err != nil {
		return 0, err
	}
	if r.Err != "" {
		return 0, remoteError(r.Err)
	}
	return r.Value, nil
}

// stop closes the worker's stdin, which tells it to exit, and waits for
// it. Every reply has been read: nothing is left in its stdout.
func (w *worker) stop() {
	w.stdin.Close()
	_ = w.cmd.Wait() // the answers are in; how it exits does not change them
}

// kill kills the worker, if it still runs, waits for it, and returns how
// it ended ("exit status 2", "signal: killed").
func (w *worker) kill() *os.ProcessState {
	_ = w.cmd.Process.Kill() // harmless if it has exited
	_ = w.cmd.Wait()
	return w.cmd.ProcessState
}
