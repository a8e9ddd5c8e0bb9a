// The processes command shows how a Go program starts other programs and
// worker processes by hand, with os/exec: start a child, talk to it over
// its stdin and stdout, read its exit status, kill it when a context is
// done, and always wait for it. It is Go's answer to Python's
// multiprocessing.Process and subprocess.
//
// The command re-creates the Python notes' doubler. Five numbers are each
// doubled by a worker process: this same binary, started again with an
// environment variable that puts it in worker mode (what multiprocessing
// calls the spawn start method). The parent sends each worker a job
// encoded with encoding/gob, Go's pickle; the worker adds up random
// numbers for a while (the CPU-heavy part), then sends back the doubled
// number with its own name and pid. Then the parent doubles the same five
// numbers itself, one after another, and compares the two times. Then it
// shows a worker that fails, a program that does not exist, what gob can
// and cannot send, and a worker killed when its context is done.
//
// Usage:
//
//	go run ./lessons/processes [-n count] [-work draws] [-deadline d]
package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"time"
)

// workerEnv is the environment variable that puts this binary in worker
// mode. Its value is the worker's name, such as "worker-1".
const workerEnv = "WORKBOOK_PROCESSES_WORKER"

func main() {
	// In worker mode this process is a child that a parent copy of the
	// command started: it serves jobs on its stdin and stdout, then exits.
	if name := os.Getenv(workerEnv); name != "" {
		os.Exit(serveJobs(name, os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "processes:", err)
		os.Exit(1)
	}
}

// run doubles the numbers in worker processes, then in this process, and
// then shows exit statuses, gob and cancellation. It returns ctx.Err() as
// soon as ctx is done (Ctrl-C). Every goroutine it starts has returned,
// and every child process it starts has been waited for, when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We re-run this very binary as the worker. Under go test,
	// os.Executable is the test binary, whose TestMain knows workerEnv.
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	numbers := make([]int, cfg.n)
	for i := range numbers {
		numbers[i] = 5 * (i + 1)
	}
	// Several goroutines print the workers' results, through one Logger.
	out := log.New(w, "", 0)
	out.Printf("%d numbers, each doubled after adding up %d random numbers"+
		" (busy work)", cfg.n, cfg.work)

	out.Printf("\n1. in parallel: one worker process per number"+
		" (this process is pid %d)", os.Getpid())
	begin := time.Now()
	if err := doubleInParallel(ctx, out, exe, numbers, cfg.work); err != nil {
		return err
	}
	parallel := time.Since(begin)
	out.Printf("  %d numbers in %v", cfg.n, parallel.Round(time.Millisecond))

	out.Printf("\n2. serially, in this process")
	begin = time.Now()
	for _, n := range numbers {
		// The busy work does not watch ctx: Ctrl-C waits for the number
		// in progress.
		if err := ctx.Err(); err != nil {
			return err
		}
		r := double(job{Number: n, Work: cfg.work}, "main", os.Getpid())
		out.Print(r)
	}
	serial := time.Since(begin)
	out.Printf("  %d numbers in %v", cfg.n, serial.Round(time.Millisecond))
	out.Printf("\nparallel %v, serial %v: %.1f times as fast, with %d CPUs",
		parallel.Round(time.Millisecond), serial.Round(time.Millisecond),
		serial.Seconds()/parallel.Seconds(), runtime.NumCPU())

	out.Printf("\n3. exit status: a worker that fails, a program that is not there")
	if err := exitStatus(ctx, out, exe); err != nil {
		return err
	}

	out.Printf("\n4. gob: what a message can hold")
	gobDemo(out)

	out.Printf("\n5. cancel: a worker that waits forever, and a %v deadline",
		cfg.deadline)
	return cancelDemo(ctx, out, exe, cfg.deadline)
}

// A job is what a parent sends a worker, encoded with gob, on the
// worker's stdin. Its fields are exported: gob sends exported fields only.
type job struct {
	Number int // the number to double; a worker refuses one below 0
	Work   int // how many random numbers to add up first
}

// A result is what a worker sends back, encoded with gob, on its stdout.
type result struct {
	Number  int
	Doubled int
	Worker  string // the worker's name, as Python's current_process().name
	PID     int
}

// String is the lesson's line for r.
func (r result) String() string {
	return fmt.Sprintf("  %d doubled to %d by: %s (pid %d)",
		r.Number, r.Doubled, r.Worker, r.PID)
}

// double does the busy work of j, then doubles its number. The CPU-heavy
// part is Python's: add up j.Work random numbers from 1 to 10.
func double(j job, worker string, pid int) result {
	sum := 0
	for range j.Work {
		sum += rand.IntN(10) + 1
	}
	_ = sum // the sum is not the point; the time it takes is
	return result{Number: j.Number, Doubled: 2 * j.Number, Worker: worker, PID: pid}
}

// serveJobs is the worker: it decodes jobs from stdin and encodes one
// result for each on stdout, until stdin ends. It returns the exit status:
// 0 at the end of stdin, 3 for a job it refuses (a negative number), 2 if
// the stream is broken.
func serveJobs(name string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The parent closing our stdin is our stop signal: Decode returns
	// io.EOF, and we exit 0. Note that a worker has no ctx: a parent that
	// wants it gone sooner kills it.
	dec := gob.NewDecoder(stdin)
	enc := gob.NewEncoder(stdout)
	for {
		var j job
		err := dec.Decode(&j)
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: reading a job: %v\n", name, err)
			return 2
		}
		if j.Number < 0 {
			fmt.Fprintf(stderr, "%s: cannot double %d: negative numbers"+
				" are refused\n", name, j.Number)
			return 3
		}
		if err := enc.Encode(double(j, name, os.Getpid())); err != nil {
			fmt.Fprintf(stderr, "%s: sending a result: %v\n", name, err)
			return 2
		}
	}
}

// A worker is a child process running this binary in worker mode, with a
// gob stream to its stdin and one from its stdout. Start it with
// startWorker; the caller must call stop, which reaps it, on every path.
type worker struct {
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	enc    *gob.Encoder
	dec    *gob.Decoder
	stderr bytes.Buffer // written by exec's copying goroutine until Wait returns
}

// startWorker starts exe as a worker named name. The worker is killed
// when ctx is done.
func startWorker(ctx context.Context, exe, name string) (*worker, error) {
	// CommandContext kills the child when ctx is done. Note WaitDelay: if
	// the child (or a grandchild that inherited its pipes) keeps them
	// open, Wait closes them after this long instead of waiting forever.
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), workerEnv+"="+name)
	cmd.WaitDelay = time.Second
	wk := &worker{name: name, cmd: cmd}
	// exec copies the child's stderr into a buffer in a goroutine of its
	// own, which Wait joins. Its stdin and stdout are pipes we use
	// ourselves.
	cmd.Stderr = &wk.stderr
	var err error
	if wk.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if wk.stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	wk.enc = gob.NewEncoder(wk.stdin)
	wk.dec = gob.NewDecoder(wk.stdout)
	return wk, nil
}

// do sends j to the worker and waits for its result. It returns an error
// if the worker dies first (it was killed, or refused j).
func (wk *worker) do(j job) (result, error) {
	if err := wk.enc.Encode(j); err != nil {
		return result{}, fmt.Errorf("%s: sending %v: %w", wk.name, j, err)
	}
	var r result
	if err := wk.dec.Decode(&r); err != nil {
		return result{}, fmt.Errorf("%s: receiving a result: %w", wk.name, err)
	}
	return r, nil
}

// stop closes the worker's stdin, which tells it to exit, reads what is
// left on its stdout, and waits for it. The worker has been reaped when
// stop returns, whatever the error. A failure names the worker and
// carries what it wrote on stderr.
func (wk *worker) stop() error {
	// Note the order. Wait closes the stdout pipe once the child has
	// exited, so every read from it must be done before Wait; and a child
	// blocked writing to a full pipe that nobody reads never exits, so
	// Wait before reading could wait forever.
	wk.stdin.Close()
	_, _ = io.Copy(io.Discard, wk.stdout) // until the child closes it (exits)
	err := wk.cmd.Wait()
	if msg := strings.TrimSpace(wk.stderr.String()); err != nil && msg != "" {
		return fmt.Errorf("%s: %w: %s", wk.name, err, msg)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", wk.name, err)
	}
	return nil
}

// doubleInParallel starts one worker process per number, sends each its
// job, and prints each result as it comes in. It returns ctx.Err() if ctx
// is done first. Every worker has been reaped, and every goroutine it
// starts has returned, when it returns.
func doubleInParallel(ctx context.Context, out *log.Logger, exe string,
	numbers []int, work int) error {
	// We start every worker before we give any of them work, so that the
	// line below says they are all running.
	workers := make([]*worker, 0, len(numbers))
	for i := range numbers {
		wk, err := startWorker(ctx, exe, fmt.Sprintf("worker-%d", i+1))
		if err != nil {
			// We reap the ones already started: with their stdin
			// closed and no job sent, they exit at once.
			for _, wk := range workers {
				_ = wk.stop()
			}
			return err
		}
		workers = append(workers, wk)
	}
	out.Printf("  started %d worker processes", len(workers))

	// One goroutine per worker sends the job, waits for the result and
	// stops the worker. The workers compute in parallel; the goroutines
	// only wait. Each goroutine writes only its own element of errs.
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, wk := range workers {
		wg.Go(func() {
			r, err := wk.do(job{Number: numbers[i], Work: work})
			errs[i] = errors.Join(err, wk.stop())
			if err == nil {
				out.Print(r)
			}
		})
	}
	wg.Wait()
	// A worker killed by the cancel fails: ctx's error is the one to
	// report, not "signal: killed".
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// exitStatus runs a worker that exits with status 3, and a program that
// does not exist, and prints how each failure looks.
func exitStatus(ctx context.Context, out *log.Logger, exe string) error {
	// For a one-shot child, Output does it all: it starts the command,
	// feeds it cmd.Stdin, reads its stdout, and waits. With cmd.Stderr
	// left nil, it keeps the stderr in the ExitError. We ask the worker to
	// double -1, which it refuses.
	var in bytes.Buffer
	if err := gob.NewEncoder(&in).Encode(job{Number: -1}); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), workerEnv+"=worker-6")
	cmd.Stdin = &in
	_, err := cmd.Output()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// A child that ran and exited non-zero gives an *exec.ExitError; its
	// ExitCode is the status (-1 if a signal ended the child).
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fmt.Errorf("worker-6 asked to double -1: want an exit status, got %v", err)
	}
	out.Printf("  worker-6 asked to double -1: %v, ExitCode() %d",
		exitErr, exitErr.ExitCode())
	out.Printf("    its stderr: %s", strings.TrimSpace(string(exitErr.Stderr)))

	// A program that is not on $PATH never starts: the error comes from
	// Run, before any process exists, and there is no exit status.
	err = exec.CommandContext(ctx, "no-such-program").Run()
	out.Printf("  no-such-program: %v", err)
	out.Printf("    errors.Is(err, exec.ErrNotFound): %t",
		errors.Is(err, exec.ErrNotFound))
	return nil
}

// gobDemo encodes a job and shows which values gob cannot send.
func gobDemo(out *log.Logger) {
	// One Encoder writes a stream: the first message carries a
	// description of its type, the ones after it only the values. The
	// Decoder on the other end must read the same stream from its start.
	var stream bytes.Buffer
	enc := gob.NewEncoder(&stream)
	dec := gob.NewDecoder(&stream)
	for _, j := range []job{{Number: 5, Work: 1000}, {Number: 10, Work: 1000}} {
		before := stream.Len()
		if err := enc.Encode(j); err != nil {
			out.Printf("  job%+v: %v", j, err)
			return
		}
		size := stream.Len() - before
		var got job
		if err := dec.Decode(&got); err != nil {
			out.Printf("  job%+v: %v", j, err)
			return
		}
		out.Printf("  job%+v: %d bytes, decoded as job%+v", j, size, got)
	}

	// Functions and channels cannot cross: they are code and plumbing in
	// one process's memory. As a whole message, gob refuses them. As a
	// field, gob skips them, as it skips unexported fields: a struct left
	// with nothing to send is an error, and otherwise the field simply
	// does not arrive. A sync.Mutex has only unexported fields.
	type callback struct{ Run func() }
	type withFunc struct {
		Number int
		Then   func()
	}
	type guarded struct {
		Mu    sync.Mutex
		Count int
	}
	out.Printf("  a func: %v", send(func() {}))
	out.Printf("  a channel: %v", send(make(chan int)))
	out.Printf("  a struct whose only field is a func: %v", send(callback{Run: func() {}}))
	var got withFunc
	err := roundTrip(withFunc{Number: 5, Then: func() {}}, &got)
	out.Printf("  a struct with a number and a func: %v; Then arrives nil: %t",
		errOrOK(err), got.Then == nil)
	out.Printf("  a struct holding a sync.Mutex: %v", send(&guarded{Count: 1}))
}

// send encodes v with gob and returns the error, if any.
func send(v any) error {
	return gob.NewEncoder(io.Discard).Encode(v)
}

// roundTrip encodes v with gob and decodes it into ptr.
func roundTrip(v, ptr any) error {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		return err
	}
	return gob.NewDecoder(&b).Decode(ptr)
}

// errOrOK returns err, or "sent" if it is nil.
func errOrOK(err error) any {
	if err == nil {
		return "sent"
	}
	return err
}

// cancelDemo starts a worker that waits forever, and lets a deadline kill
// it. It returns ctx.Err() if ctx (not the deadline) ends first.
func cancelDemo(ctx context.Context, out *log.Logger, exe string,
	deadline time.Duration) error {
	dctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	waitErr, err := awaitIdle(dctx, exe, "worker-7", func(pid int) {
		out.Printf("  worker-7 (pid %d) waits for a job that never comes", pid)
	})
	if ctx.Err() != nil {
		return ctx.Err() // Ctrl-C, not our deadline
	}
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) {
		return fmt.Errorf("worker-7: want an exit status, got %v", waitErr)
	}
	out.Printf("  the deadline passed (%v): CommandContext killed worker-7", err)
	out.Printf("  Wait returned %q, ExitCode() %d: the worker is reaped",
		exitErr, exitErr.ExitCode())
	return nil
}

// awaitIdle starts a worker named name, calls started with its pid, and
// waits for a result without sending it a job. The worker waits for its
// stdin forever, and so do we, until ctx is done: CommandContext then
// kills the worker. awaitIdle reaps it, and returns what Wait said and
// ctx.Err(). The worker has been reaped when it returns.
func awaitIdle(ctx context.Context, exe, name string,
	started func(pid int)) (waitErr, err error) {
	wk, err := startWorker(ctx, exe, name)
	if err != nil {
		return nil, err
	}
	started(wk.cmd.Process.Pid)
	// Decode blocks until the killed worker's stdout closes. We must not
	// close its stdin first (stop does): that would tell it to exit.
	var r result
	_ = wk.dec.Decode(&r)
	_, _ = io.Copy(io.Discard, wk.stdout)
	waitErr = wk.cmd.Wait()
	return waitErr, ctx.Err()
}
