// The workerpool command shows three ways to run a batch of jobs with at
// most n running at once and collect their results in input order: a fixed
// pool of worker goroutines reading jobs from a channel, errgroup.Group
// with SetLimit, and one goroutine per job that takes one of n channel
// tokens first. They are Go's answers to Python's
// ThreadPoolExecutor(max_workers=n) and Pool.map.
//
// Each way puts each result at its job's index, so the results come out in
// input order whatever order the jobs finish in. The first error cancels
// the jobs still running and starts no more, as errgroup.WithContext does,
// and a job that panics becomes an error that keeps its stack, instead of
// crashing the program: a *PanicError, with the shape every panic error
// in the workbook has (Value, Stack, "workerpool: panic: <value>", and
// Unwrap to the value when it is an error; docs/concepts.md has it in
// full).
//
// Usage:
//
//	go run ./lessons/workerpool [-jobs n] [-workers n] [-sleep d]
//	    [-timeline [-ascii] [-width n]] [-trace file]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "workerpool:", err)
		os.Exit(1)
	}
}

// A job computes one output from one input. It should return promptly,
// with ctx.Err(), once ctx is done.
type job func(ctx context.Context, x int) (int, error)

// A mapper calls f on every input, with at most workers calls in progress
// at any moment, and returns the outputs in input order: out[i] is
// f(inputs[i]). The first error wins: it cancels the ctx the calls in
// progress were given, no call starts after it, and the mapper returns it
// with nil outputs. A call that panics is turned into a *PanicError. If
// ctx is done first, the mapper returns ctx.Err(). Every goroutine it
// starts has returned when it returns.
type mapper func(ctx context.Context, workers int, inputs []int,
	f job) ([]int, error)

// run runs the same jobs each of the three ways, then shows results in
// order when jobs finish out of order, the first error cancelling the
// rest, and a panic turned into an error. It returns ctx.Err() as soon as
// ctx is done (Ctrl-C). Every goroutine it starts has returned when it
// returns. With -timeline it ends with a chart of the jobs of the three
// ways; with -trace it writes them to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record each job of the three ways as a span, for -timeline and
	// -trace (obs is nil without them); the chart rounds its times as we
	// print them, to cfg.resolution().
	cfg.show.Round = cfg.resolution()
	ctx, obs, err := cfg.show.Start(ctx, "workerpool")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()
	fmt.Fprintf(w, "%d jobs, at most %d at once; each job squares its"+
		" number and takes %v (simulated work)\n", cfg.jobs, cfg.workers,
		cfg.sleep)

	// We run the same jobs three ways. Each job counts itself in and out
	// with atomics, so that we can print the most that ever ran at once.
	inputs := make([]int, cfg.jobs)
	for i := range inputs {
		inputs[i] = i + 1
	}
	ways := []struct {
		name, title string
		m           mapper
	}{
		{"pool", "a pool of %d workers reading job numbers from a channel",
			withPool},
		{"errgroup",
			"errgroup.WithContext with SetLimit(%d): g.Go waits for a slot",
			withErrgroup},
		{"goroutine per job",
			"one goroutine per job; each takes one of %d tokens first",
			withGoroutinePerJob},
	}
	for i, way := range ways {
		fmt.Fprintf(w, "\n%d. "+way.title+"\n", i+1, cfg.workers)
		var inFlight, peak atomic.Int64
		square := func(ctx context.Context, x int) (int, error) {
			end := obs.Start(ctx, fmt.Sprintf("job %d", x), way.name)
			defer end()
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for p := peak.Load(); now > p && !peak.CompareAndSwap(p, now); {
				p = peak.Load()
			}
			if err := sleep(ctx, cfg.sleep); err != nil {
				return 0, err
			}
			return x * x, nil
		}
		begin := time.Now()
		out, err := way.m(ctx, cfg.workers, inputs, square)
		if err != nil {
			return err // Ctrl-C: every job has returned
		}
		took := time.Since(begin).Truncate(cfg.resolution())
		fmt.Fprintf(w, "  results: %v\n", out)
		if int(peak.Load()) <= cfg.workers {
			fmt.Fprintf(w, "  %d jobs in %v, never more than %d at once"+
				" (one at a time: %v)\n", cfg.jobs, took, cfg.workers,
				time.Duration(cfg.jobs)*cfg.sleep)
		} else {
			fmt.Fprintf(w, "  %d jobs in %v, but %d at once: the limit of"+
				" %d did not hold!\n", cfg.jobs, took, peak.Load(), cfg.workers)
		}
	}

	// The rest of the lesson uses the pool, with fixed sizes whatever the
	// flags, so that its job numbers make sense. (The tests check all
	// three ways.)
	if err := outOfOrder(ctx, w, cfg); err != nil {
		return err
	}
	if err := firstError(ctx, w, cfg); err != nil {
		return err
	}
	if err := panicking(ctx, w); err != nil {
		return err
	}
	// Every job has returned: we draw the chart (with -timeline). Note
	// that no more than -workers bars ever overlap.
	return obs.Render(w)
}

// outOfOrder runs three jobs at once, the first the slowest, so that they
// finish in reverse order, and prints their results in input order.
func outOfOrder(ctx context.Context, w io.Writer, cfg config) error {
	fmt.Fprintln(w, "\n4. Jobs that finish in reverse order"+
		" (a pool of 3 workers, 3 jobs)")
	// Job x takes (4-x) times -sleep: job 3 is done first, job 1 last.
	// The results still come out in input order, because each worker
	// writes out[i], the slot of its own job.
	slow := func(ctx context.Context, x int) (int, error) {
		if err := sleep(ctx, time.Duration(4-x)*cfg.sleep); err != nil {
			return 0, err
		}
		return x * x, nil
	}
	begin := time.Now()
	out, err := withPool(ctx, 3, []int{1, 2, 3}, slow)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  job 1 takes %v, job 2 %v, job 3 %v\n",
		3*cfg.sleep, 2*cfg.sleep, cfg.sleep)
	fmt.Fprintf(w, "  results: %v, in input order, after %v\n", out,
		time.Since(begin).Truncate(cfg.resolution()))
	return nil
}

// errBadInput is the error the failing job of firstError returns.
var errBadInput = errors.New("bad input")

// firstError runs 10 jobs with 3 workers, of which job 5 fails half-way
// through, and prints the error and when it came back.
func firstError(ctx context.Context, w io.Writer, cfg config) error {
	fmt.Fprintln(w, "\n5. Job 5 of 10 fails half-way: the first error"+
		" cancels the rest (a pool of 3 workers)")
	// Job 5 starts in the second round, at 1 -sleep, and fails half a
	// -sleep later. Its worker returns the error, errgroup cancels the
	// ctx every job was given, jobs 4 and 6 see it and stop at once, and
	// the feeder sends no more job numbers.
	jobs := func(ctx context.Context, x int) (int, error) {
		if x == 5 {
			if err := sleep(ctx, cfg.sleep/2); err != nil {
				return 0, err
			}
			return 0, errBadInput
		}
		if err := sleep(ctx, cfg.sleep); err != nil {
			return 0, err
		}
		return x * x, nil
	}
	inputs := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	begin := time.Now()
	out, err := withPool(ctx, 3, inputs, jobs)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr // Ctrl-C, not the job's error
	}
	fmt.Fprintf(w, "  after %v: %v; results: %v\n",
		time.Since(begin).Truncate(cfg.resolution()), err, out)
	return nil
}

// panicking runs 5 jobs with 3 workers, of which job 3 indexes past the end
// of a slice, and prints the error the panic became.
func panicking(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "\n6. Job 3 of 5 panics: the worker recovers it and"+
		" returns an error with the stack")
	table := []int{10, 20, 30}
	jobs := func(_ context.Context, x int) (int, error) {
		return lookup(table, x), nil // x = 4: index out of range
	}
	_, err := withPool(ctx, 3, []int{0, 1, 4, 2, 0}, jobs)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	fmt.Fprintf(w, "  error: %v\n", err)
	// The error wraps a *PanicError: we can tell a bug from an ordinary
	// failure, and its stack says where the bug is.
	if pe := (*PanicError)(nil); errors.As(err, &pe) {
		fmt.Fprintf(w, "  a *PanicError; its stack names lookup, where"+
			" it panicked: %t\n",
			strings.Contains(string(pe.Stack), ".lookup("))
	}
	fmt.Fprintln(w, "  the program goes on; the same panic in a bare"+
		" errgroup function would end it")
	return nil
}

// lookup returns table[i]; it panics if i is out of range.
func lookup(table []int, i int) int { return table[i] }

// sleep waits d, or until ctx is done, whichever comes first. It returns
// nil once d has passed (at once if d <= 0, as time.Sleep does), and
// ctx.Err() if ctx is done first, or already. In a lesson the sleep stands
// for real work or I/O; unlike time.Sleep, it ends as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	// We look at ctx first: when both cases below are ready, select picks
	// one at random (docs/concepts.md, "When several cases are ready").
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if ctx is done first
	select {
	case <-timer.C: // d has passed: the work is done
		return nil
	case <-ctx.Done(): // cancelled, or Ctrl-C: give up now
		return ctx.Err()
	}
}

// A PanicError is what a job's panic becomes: the value it panicked with
// and the stack of the goroutine at the panic, which names the function
// that panicked. It has the workbook's one panic-error shape, the same as
// patterns/futures and patterns/concurrently (docs/concepts.md, "A panic
// turned into an error"): Error reads "workerpool: panic: <value>", and
// Unwrap returns the value when it is an error, as a runtime error is.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("workerpool: panic: %v", e.Value)
}

// Unwrap returns the panic's value if it is an error, and nil otherwise,
// so that errors.Is and errors.As reach it.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// call calls f(ctx, inputs[i]) for job i. It wraps an error with the job's
// number, and turns a panic into a *PanicError, wrapped the same way.
func call(ctx context.Context, f job, inputs []int, i int) (y int,
	err error) {
	// We recover in the goroutine that panicked, the only place a panic
	// can be recovered, and take the stack there, while it still shows the
	// frames that panicked. Note that the error is a bug report, not a
	// failure to retry (docs/concepts.md, "A panic turned into an error").
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("job %d: %w", i+1,
				&PanicError{Value: r, Stack: debug.Stack()})
		}
	}()
	y, err = f(ctx, inputs[i])
	if err != nil {
		return 0, fmt.Errorf("job %d: %w", i+1, err)
	}
	return y, nil
}

// withPool starts workers goroutines, which take job numbers from a
// channel until it is closed; the calling goroutine feeds the channel.
func withPool(ctx context.Context, workers int, inputs []int,
	f job) ([]int, error) {
	// errgroup.WithContext gives us a ctx that the first worker to return
	// an error cancels; Wait joins the workers and returns that error.
	// Each worker writes out[i] for the jobs it takes: no two write the
	// same element, and each worker's return synchronizes before Wait
	// returns, so we may read them all then.
	out := make([]int, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan int) // unbuffered: a job is handed to a free worker
	for range min(workers, len(inputs)) {
		g.Go(func() error {
			for i := range jobs {
				// A job handed over just as another failed must not
				// start.
				if err := gctx.Err(); err != nil {
					return err
				}
				y, err := call(gctx, f, inputs, i)
				if err != nil {
					return err // this worker stops; errgroup cancels gctx
				}
				out[i] = y
			}
			return nil
		})
	}

	// We feed the job numbers in order, each send in a select with
	// gctx.Done(), so that an error stops the feeding. Note the check
	// before the select (docs/concepts.md, "When several cases are
	// ready").
	for i := range inputs {
		if gctx.Err() != nil {
			break
		}
		select {
		case jobs <- i: // a free worker took job i
		case <-gctx.Done(): // a job failed, or ctx is done
		}
	}
	close(jobs) // we are the only sender: the workers' range loops end
	return wait(ctx, g, out)
}

// wait waits for g and returns out, or the first error, or ctx.Err() if
// ctx was cancelled and some jobs never ran.
func wait(ctx context.Context, g *errgroup.Group, out []int) ([]int,
	error) {
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Note that we test the caller's ctx, not the group's: Wait always
	// cancels the group's ctx when it returns.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// withErrgroup starts one goroutine per job with errgroup, and lets
// SetLimit make g.Go wait until fewer than workers run.
func withErrgroup(ctx context.Context, workers int, inputs []int,
	f job) ([]int, error) {
	// SetLimit(workers) makes g.Go block while workers of the group's
	// goroutines run, so the loop starts job i only when a slot is free.
	// Note that g.Go does not watch ctx: we check it before each g.Go,
	// and again in the goroutine, in case it was cancelled while g.Go
	// waited.
	out := make([]int, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range inputs {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			y, err := call(gctx, f, inputs, i)
			if err != nil {
				return err
			}
			out[i] = y
			return nil
		})
	}
	return wait(ctx, g, out)
}

// withGoroutinePerJob starts a goroutine for every job at once; each
// takes one of workers tokens from a channel before it runs its job.
func withGoroutinePerJob(ctx context.Context, workers int, inputs []int,
	f job) ([]int, error) {
	// The tokens bound the jobs running, not the goroutines: all
	// len(inputs) of them exist from the start, most of them waiting for
	// a token. Note that they wait in no order: job 7 may start before
	// job 2 (the results are in input order all the same).
	out := make([]int, len(inputs))
	g, gctx := errgroup.WithContext(ctx)
	sem := make(chan struct{}, workers) // one slot per job running
	for i := range inputs {
		g.Go(func() error {
			select {
			case sem <- struct{}{}: // a slot is ours
			case <-gctx.Done(): // a job failed, or ctx is done
				return gctx.Err()
			}
			if err := gctx.Err(); err != nil {
				return err // both cases were ready, and select took the slot
			}
			// Note that a failed job keeps its slot. errgroup cancels gctx
			// only after this function returns: a slot given back first
			// would let a waiting job start in between.
			y, err := call(gctx, f, inputs, i)
			if err != nil {
				return err
			}
			out[i] = y
			<-sem
			return nil
		})
	}
	return wait(ctx, g, out)
}
