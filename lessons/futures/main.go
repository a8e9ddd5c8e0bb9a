// The futures command shows patterns/futures, the workbook's executor: a
// fixed number of worker goroutines that run submitted functions, and
// futures that we can ask whether they are running or done, wait on,
// cancel before they start, and attach callbacks to. It replays the
// classic concurrent.futures demo: three tasks on four workers, 24 jobs of
// which one is cancelled and every other one has a callback, and a map
// over 12 items whose results come back in input order.
//
// Usage:
//
//	go run ./lessons/futures [-workers n] [-sleep d]
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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/futures"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "futures:", err)
		os.Exit(1)
	}
}

// run runs the three parts of the demo on one executor, and shuts it down
// before it returns, so every goroutine it started has ended. On Ctrl-C it
// cancels the tasks running, drops the ones waiting, and returns
// ctx.Err(). With -timeline it ends with a chart of the tasks; with
// -trace it writes them to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record each task as a span on its own row while a worker runs
	// it, for -timeline and -trace (obs is nil without them); the chart
	// rounds its times as we print them, to cfg.resolution().
	cfg.show.Round = cfg.resolution()
	ctx, obs, err := cfg.show.Start(ctx, "futures")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()
	cfg.obs = obs

	fmt.Fprintf(w, "each part makes its own executor (-workers %d); a"+
		" unit of simulated work takes %v\n", cfg.workers, cfg.sleep)
	for _, part := range []func(context.Context, io.Writer,
		*futures.Executor, config) error{
		threeTasks, cancelAndCallbacks, mapPairs,
	} {
		if err := withExecutor(ctx, w, cfg, part); err != nil {
			return err
		}
	}
	// Every executor is shut down, so every task has returned: we draw
	// the chart (with -timeline). Note that no more than -workers bars
	// ever overlap: the rest of the tasks wait in the executor's queue.
	return obs.Render(w)
}

// observed returns fn with each call recorded as a span of label on row
// of cfg.obs, if any. The span begins and ends inside the call, on the
// worker goroutine that runs it, as a trace region must; it belongs to
// the trace task in ctx, the run's, and not to the ctx the executor
// gives fn.
func observed[T any](ctx context.Context, cfg config, row, label string,
	fn func(context.Context) (T, error)) func(context.Context) (T, error) {
	return func(taskCtx context.Context) (T, error) {
		end := cfg.obs.Start(ctx, row, label)
		defer end()
		return fn(taskCtx)
	}
}

// withExecutor runs part with a new executor, as Python's
// "with ThreadPoolExecutor(max_workers=4) as pool:" block does, and shuts
// the executor down before it returns.
func withExecutor(ctx context.Context, w io.Writer, cfg config,
	part func(context.Context, io.Writer, *futures.Executor, config) error) error {
	// Shutdown is our join point: Python's shutdown(wait=True), which
	// waits for what is left, the callbacks the workers are still calling.
	// On an error (Ctrl-C), ShutdownNow, shutdown(cancel_futures=True),
	// drops the tasks still waiting and cancels the running ones' context;
	// then it waits for them.
	e := futures.NewExecutor(cfg.workers)
	if err := part(ctx, w, e, cfg); err != nil {
		e.ShutdownNow()
		return err
	}
	e.Shutdown()
	return nil
}

// add is the demo's work: it adds a and b after units of simulated work.
func add(ctx context.Context, a, b float64, units int,
	cfg config) (float64, error) {
	if err := sleep(ctx, time.Duration(units)*cfg.sleep); err != nil {
		return 0, err
	}
	return a + b, nil
}

// threeTasks submits a and b, which take one and two units, and c, which
// returns at once, and prints their states and then their results.
func threeTasks(ctx context.Context, w io.Writer, e *futures.Executor,
	cfg config) error {
	fmt.Fprintln(w, "\n1. Submit three tasks, look at their states, wait"+
		" for their results")
	// We hold a and b at a gate until we have looked at them: each marks
	// itself started, then waits for release. Without the gate what we
	// print would be a race: Python's own run of this demo printed "b
	// running: False" only because its worker had not picked b up yet.
	begin := time.Now()
	var started sync.WaitGroup
	release := make(chan struct{})
	slow := func(name string, a, b float64,
		units int) func(context.Context) (float64, error) {
		started.Add(1)
		work := func(ctx context.Context) (float64, error) {
			started.Done()
			select {
			case <-release: // we have printed the states
			case <-ctx.Done(): // ShutdownNow: give up
				return 0, ctx.Err()
			}
			return add(ctx, a, b, units, cfg)
		}
		label := fmt.Sprintf("add(%v, %v)", a, b)
		return observed(ctx, cfg, "future "+name, label, work)
	}
	a := futures.Submit(e, slow("a", 1, 1, 1))
	b := futures.Submit(e, slow("b", 1, 2, 2))
	c := futures.Submit(e, observed(ctx, cfg, "future c", "return 10",
		func(context.Context) (float64, error) {
			return 10, nil
		}))
	// Note that the gate needs a worker each for a, b and c: with fewer,
	// c would wait for a worker held by a task waiting for us. Then we
	// open it at once, and what we print depends on the timing.
	open := sync.OnceFunc(func() { close(release) })
	if cfg.workers >= 3 {
		started.Wait()
	} else {
		open()
	}
	if _, err := c.Result(ctx); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		f    *futures.Future[float64]
	}{{"a", a}, {"b", b}, {"c", c}} {
		fmt.Fprintf(w, "  %s running: %t, done: %t\n", f.name,
			f.f.Running(), f.f.Done())
	}
	open()

	// Result blocks until the task has returned; the futures keep their
	// results, so we can ask in any order and more than once.
	for _, f := range []struct {
		name string
		f    *futures.Future[float64]
	}{{"a", a}, {"b", b}, {"c", c}} {
		v, err := f.f.Result(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %s result: %v\n", f.name, v)
	}
	fmt.Fprintf(w, "  after %v\n", since(begin, cfg))
	return nil
}

// njobs is how many jobs part 2 submits; it cancels job cancelled.
const njobs, cancelled = 24, 4

// cancelAndCallbacks submits 24 jobs, adds a callback to every other one,
// cancels job 4, and prints the results in order.
func cancelAndCallbacks(ctx context.Context, w io.Writer,
	e *futures.Executor, cfg config) error {
	fmt.Fprintf(w, "\n2. Submit %d jobs, a callback on every other one,"+
		" cancel job %d\n", njobs, cancelled)
	// Every job says it has started, then waits at a gate until we have
	// submitted them all and cancelled job 4. Workers take jobs in
	// submission order and none finishes before the gate opens, so the
	// jobs started are exactly the first min(workers, 24): with 4
	// workers job 4 is still queued, with more it is running, however
	// fast the machine.
	begin := time.Now()
	gate := make(chan struct{})
	started := make(chan struct{}, njobs) // one slot per job: never blocks
	// Each callback writes only its own job's slot, and runs exactly
	// once; we read the slots after Result has returned for every job
	// and the executor has run its callbacks (see below).
	calls := make([]int, njobs)
	var cancelledBy string
	fs := make([]*futures.Future[float64], njobs)
	for i := range njobs {
		job := func(ctx context.Context) (float64, error) {
			started <- struct{}{}
			select {
			case <-gate: // every job is submitted
			case <-ctx.Done(): // ShutdownNow: give up
				return 0, ctx.Err()
			}
			return add(ctx, float64(i), 0.5, 1, cfg)
		}
		row, label := fmt.Sprintf("job %d", i), fmt.Sprintf("add(%d, 0.5)", i)
		fs[i] = futures.Submit(e, observed(ctx, cfg, row, label, job))
		if i%2 == 0 {
			fs[i].AddDoneCallback(func(f *futures.Future[float64]) {
				calls[i]++
				if f.Cancelled() {
					cancelledBy = "Cancel, in our goroutine"
				}
			})
		}
	}

	for range min(cfg.workers, njobs) {
		select {
		case <-started: // one more worker holds a job
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
	}
	// Cancel succeeds if job 4 has not started. Its callback runs now, in
	// our goroutine, before Cancel returns.
	if fs[cancelled].Cancel() {
		fmt.Fprintf(w, "  job %d cancelled; its callback was called by %s\n",
			cancelled, cancelledBy)
	} else {
		fmt.Fprintf(w, "  job %d was already running: Cancel returned"+
			" false\n", cancelled)
	}
	close(gate)

	// We wait for each result in order; a cancelled job has none.
	results := make([]string, njobs)
	for i, f := range fs {
		v, err := f.Result(ctx)
		switch {
		case errors.Is(err, futures.ErrCancelled):
			results[i] = "-"
		case err != nil:
			return err
		default:
			results[i] = fmt.Sprint(v)
		}
	}
	fmt.Fprintf(w, "  results: %s\n", strings.Join(results, " "))
	fmt.Fprintf(w, "  after %v\n", since(begin, cfg))

	// Note that a future is done before its callbacks are called: Result
	// may return while a worker is still calling them. So we read the
	// callbacks' slots only after Shutdown, which waits for the workers
	// and so for every callback they call.
	e.Shutdown()
	var once []string
	for i, n := range calls {
		switch {
		case n == 1:
			once = append(once, fmt.Sprint(i))
		case n > 1:
			fmt.Fprintf(w, "  job %d's callback ran %d times!\n", i, n)
		}
	}
	fmt.Fprintf(w, "  a callback ran once for each of jobs %s\n",
		strings.Join(once, " "))
	return nil
}

// mapPairs maps add over 12 pairs of ones, as the Python demo maps f2 over
// 24 ones split into pairs, and prints the results, in input order.
func mapPairs(ctx context.Context, w io.Writer, e *futures.Executor,
	cfg config) error {
	const npairs = 12
	fmt.Fprintf(w, "\n3. Map add over %d pairs of ones\n", npairs)
	pairs := make([][2]float64, npairs)
	for i := range pairs {
		pairs[i] = [2]float64{1, 1}
	}
	// Map submits one task per pair and waits for them all; out[i] is
	// the sum of pairs[i], whatever order they finish in. Note that Map's
	// function is not told the index of its element, so for the chart we
	// number the calls as they start: "map call 1" started first.
	begin := time.Now()
	var calls atomic.Int64 // the calls started so far
	out, err := futures.Map(ctx, e,
		func(mapCtx context.Context, p [2]float64) (float64, error) {
			row := fmt.Sprintf("map call %d", calls.Add(1))
			end := cfg.obs.Start(ctx, row, fmt.Sprintf("add(%v, %v)", p[0], p[1]))
			defer end()
			return add(mapCtx, p[0], p[1], 1, cfg)
		}, pairs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  results: %v\n", out)
	fmt.Fprintf(w, "  after %v\n", since(begin, cfg))
	return nil
}

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

// since is the time since begin, to cfg.resolution().
func since(begin time.Time, cfg config) time.Duration {
	return time.Since(begin).Truncate(cfg.resolution())
}
