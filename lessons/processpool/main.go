// The processpool command shows a pool of long-lived worker processes,
// Go's take on Python's multiprocessing.Pool and ProcessPoolExecutor, with
// the workbook's library patterns/processpool. The processes lesson did by
// hand what the library does once: re-run this binary in worker mode, send
// jobs with gob over the child's stdin, read results from its stdout, kill
// it when a context ends, and wait for it.
//
// The command starts a pool of worker processes and maps the Python
// notes' doubler over a list of numbers: each worker adds up random
// numbers for a while (the CPU-heavy part), then doubles its number and
// says which process it is. The results come back in input order. One
// number crashes its worker on purpose, once: the pool replaces the worker
// and runs the job again. Then a job that crashes every worker it meets
// (retried once, then an error), a job that would run for an hour and is
// killed at its deadline, and Close, which makes every worker exit and
// reaps it.
//
// Usage:
//
//	go run ./lessons/processpool [-workers w] [-n count] [-work draws] [-crash number] [-deadline d]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
)

// workerName is the worker mode of this binary: processpool.Self sets the
// environment variable processpool.EnvWorker to it in every worker it
// starts, and processpool.IsWorker(workerName) is then true.
const workerName = "processpool"

func main() {
	// First thing, before flags or signals: are we one of the pool's
	// workers? Note that the worker is this very binary, run again from
	// the top (Python's spawn start method). Without this check each
	// worker would run the lesson, start a pool of its own, and so on.
	if processpool.IsWorker(workerName) {
		os.Exit(serveWorker(nil))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "processpool:", err)
		os.Exit(1)
	}
}

// A job asks a worker to run the function named Fn. Only data crosses a
// process boundary, so the job names the function rather than holding it,
// as pickle sends a function by its name. The fields are exported: gob
// sends nothing else.
type job struct {
	Fn   string // "double", "crash" or "spin": see call
	N    int    // the number to double
	Work int    // random numbers to add up first: the busy work
	// CrashOnce, if set, is a file name: the attempt that creates the
	// file crashes its worker, and any later attempt, which finds it,
	// does the job. (A crash that a retry gets past, as a flaky fault
	// in a C library would be.)
	CrashOnce string
}

// A result is a worker's answer to a job.
type result struct {
	N, Doubled int
	PID        int // the worker process that did the job
}

// serveWorker is the worker's main: it serves jobs on stdin and stdout
// until the pool closes its stdin, and returns the exit status. started,
// if not nil, is called as each job starts (the tests use it to learn that
// a job is running).
func serveWorker(started func(job)) int {
	// Ctrl-C in a terminal reaches every process of the foreground group,
	// workers included. The parent owns its workers and kills them when
	// its ctx ends; a worker does not decide that for itself.
	signal.Ignore(os.Interrupt)
	err := processpool.Serve(context.Background(), os.Stdin, os.Stdout,
		func(ctx context.Context, j job) (result, error) {
			if started != nil {
				started(j)
			}
			return call(ctx, j)
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	return 0
}

// call runs the job's function in the worker. Note that a worker must
// never print to stdout: stdout is the pool's protocol. The panics below
// go to stderr, where the pool keeps the end of it for its errors.
func call(ctx context.Context, j job) (result, error) {
	switch j.Fn {
	case "double":
		if j.CrashOnce != "" && firstAttempt(j.CrashOnce) {
			panic(fmt.Sprintf("double(%d): crashing on purpose, once", j.N))
		}
		busy(j.Work)
		return result{N: j.N, Doubled: 2 * j.N, PID: os.Getpid()}, nil
	case "crash":
		panic(fmt.Sprintf("crash(%d): this job crashes every worker it runs on", j.N))
	case "spin":
		// A job that would take an hour and does not watch its ctx
		// (nor could it, if it were C code): only a kill ends it.
		for {
			busy(1000)
		}
	}
	return result{}, fmt.Errorf("no function named %q", j.Fn)
}

// firstAttempt creates the file name and reports whether this call created
// it. O_EXCL makes that true exactly once, in whichever process asks
// first.
func firstAttempt(name string) bool {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// busy adds up draws random numbers from 1 to 10: the Python notes'
// CPU-heavy part. The sum is not the point; the time it takes is.
func busy(draws int) {
	sum := 0
	for range draws {
		sum += rand.IntN(10) + 1
	}
	_ = sum
}

// run starts the pool, maps the doubler over the numbers, shows a crash
// that a retry cannot get past and a job killed at its deadline, and
// closes the pool. It returns ctx.Err() as soon as ctx is done (Ctrl-C),
// once every worker has been killed and reaped. Every goroutine and
// every child process it starts has ended when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	out := log.New(w, "", 0)
	out.Printf("%d numbers doubled on a pool of %d worker processes;"+
		" each doubling first adds up %d random numbers (busy work)",
		cfg.n, cfg.workers, cfg.work)

	// We start the workers: Self runs this binary again in our worker
	// mode, and New returns when each process has said hello, so the cost
	// of starting them is paid here, once, not per job. Note the ctx: when
	// it is done (Ctrl-C), every worker is killed.
	out.Printf("\n1. processpool.New starts %d workers: this program, run again in worker mode",
		cfg.workers)
	cmd, err := processpool.Self(workerName)
	if err != nil {
		return err
	}
	begin := time.Now()
	pool, err := processpool.New[job, result](ctx, cmd, cfg.workers)
	if err != nil {
		return err
	}
	// Close is the pool's join point: it closes each worker's stdin, so
	// that the worker exits, and reaps it. We defer it for the early
	// returns; the last section calls it in the open.
	defer pool.Close()
	out.Printf("  this process is pid %d; %d workers ready in %v",
		os.Getpid(), pool.Stats().Started, time.Since(begin).Round(time.Millisecond))

	if err := mapDoubler(ctx, out, pool, cfg); err != nil {
		return err
	}
	if err := crashTwice(ctx, out, pool); err != nil {
		return err
	}
	if err := deadline(ctx, out, pool, cfg.deadline); err != nil {
		return err
	}

	out.Printf("\n5. Close: each worker's stdin is closed, it exits, and it is reaped")
	if err := pool.Close(); err != nil {
		return err
	}
	out.Printf("  Close returned nil: every worker exited with status 0 and was reaped")
	return nil
}

// mapDoubler is section 2: Map over the numbers, one job per number.
func mapDoubler(ctx context.Context, out *log.Logger, pool *processpool.Pool[job, result],
	cfg config) error {
	numbers := make([]int, cfg.n)
	for i := range numbers {
		numbers[i] = 5 * (i + 1)
	}
	// The crash must happen once, whichever worker runs the job and
	// however many times: a marker file in a directory of our own, which
	// we remove when we are done.
	dir, err := os.MkdirTemp("", "processpool-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	jobs := make([]job, len(numbers))
	for i, n := range numbers {
		jobs[i] = job{Fn: "double", N: n, Work: cfg.work}
		if n == cfg.crash {
			jobs[i].CrashOnce = filepath.Join(dir, "crashed")
		}
	}
	what := "no job crashes"
	if cfg.crash != 0 {
		what = fmt.Sprintf("%d crashes its worker once", cfg.crash)
	}
	out.Printf("\n2. processpool.Map(double, %s): results in input order; %s",
		list(numbers), what)

	// Map runs at most one job per worker at a time and puts each
	// result at its input's index, whatever order the jobs finish in:
	// pool.map, not imap_unordered. The crash is invisible here: the
	// pool saw the worker die (its stdout ended), started a fresh one
	// and sent it the same job.
	results, err := processpool.Map(ctx, pool, jobs)
	if err != nil {
		return err
	}
	for _, r := range results {
		out.Printf("  %d doubled to %d by pid %d", r.N, r.Doubled, r.PID)
	}
	out.Printf("  Stats: %s", stats(pool.Stats()))
	return nil
}

// crashTwice is section 3: a job that crashes the fresh worker too.
func crashTwice(ctx context.Context, out *log.Logger, pool *processpool.Pool[job, result]) error {
	out.Printf("\n3. a job that crashes every worker it runs on: retried once, then an error")
	_, err := processpool.Map(ctx, pool, []job{{Fn: "crash", N: 1}})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The error is a *processpool.CrashError: the exit status, and the end
	// of the worker's stderr, where Go wrote the panic and its stack. We
	// print the first line of each.
	var crash *processpool.CrashError
	if !errors.As(err, &crash) {
		return fmt.Errorf("the crash job: want a crash error, got %v", err)
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	panicLine, _, _ := strings.Cut(crash.Stderr, "\n")
	out.Printf("  Map: %s", first)
	out.Printf("  exit code %d; the worker's stderr begins: %s", crash.ExitCode(), panicLine)
	out.Printf("  Stats: %s", stats(pool.Stats()))
	return nil
}

// deadline is section 4: a job that would run for an hour, with a short
// deadline. It returns ctx.Err() if ctx (not the deadline) ends first.
func deadline(ctx context.Context, out *log.Logger, pool *processpool.Pool[job, result],
	d time.Duration) error {
	out.Printf("\n4. a job that would spin for an hour, under a %v deadline", d)
	// A goroutine cannot be stopped from outside; a process can. When
	// the job's ctx ends, the pool kills and reaps the worker that runs
	// it; the slot gets a fresh worker on its next job.
	dctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	begin := time.Now()
	_, err := processpool.Map(dctx, pool, []job{{Fn: "spin"}})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("the spin job: want the deadline, got %v", err)
	}
	out.Printf("  Map returned after %v: %v; the worker running it was killed",
		time.Since(begin).Round(d/10), err)
	out.Printf("  Crashed is still %d: a job killed on purpose is not a crash",
		pool.Stats().Crashed)
	return nil
}

// stats formats the pool's counts.
func stats(s processpool.Stats) string {
	return fmt.Sprintf("Started %d, Crashed %d, Retried %d, Jobs %d",
		s.Started, s.Crashed, s.Retried, s.Jobs)
}

// list formats numbers as "5 10 15", shortened to "5 10 ... 50" when long.
func list(numbers []int) string {
	if len(numbers) > 4 {
		return fmt.Sprintf("%d %d ... %d", numbers[0], numbers[1], numbers[len(numbers)-1])
	}
	return strings.Trim(fmt.Sprint(numbers), "[]")
}
