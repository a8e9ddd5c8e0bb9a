// The parallelism command shows that concurrency is not parallelism, the
// point of Rob Pike's talk of that name: concurrency is how a program is
// built, as tasks that can be in progress at the same time; parallelism
// is how it runs, on several cores at once. Concurrency lets the runtime
// run tasks in parallel when it has cores to spare, and lets a task that
// waits step aside for another even when it has one core.
//
// It runs two workloads, each as a set of tasks: CPU-bound tasks, each a
// numerical integration (busy work), and I/O-bound tasks, each a wait
// (time.Sleep standing in for a network call). It runs each workload
// three ways, serially on one goroutine, on one goroutine per task, and
// on a pool of worker processes (patterns/processpool), first with
// GOMAXPROCS=1, which lets one thread run Go code at a time, as the GIL
// does in CPython, and then with GOMAXPROCS=NumCPU, Go's default. Then it
// prints how long each run took, and its speedup over the serial run.
//
// Usage:
//
//	go run ./lessons/parallelism [-tasks n] [-work steps] [-waits n]
//	    [-wait d] [-workers n] [-mode serial,goroutines,processes]
//	    [-workload cpu,io] [-timeline [-ascii] [-width n]] [-trace file]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"golang.org/x/sync/errgroup"
)

func main() {
	// In worker mode this process is one of the processes mode's workers,
	// started by a parent copy of the command: it serves jobs and exits.
	serveIfWorker()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "parallelism:", err)
		os.Exit(1)
	}
}

// workerName is the worker mode of this command's processes: the value of
// processpool.EnvWorker in their environment.
const workerName = "parallelism"

// serveIfWorker returns at once, unless this process was started as a
// worker of the processes mode; then it serves jobs on its stdin and
// stdout until the parent closes its stdin, and exits without returning.
// main (and a test binary's TestMain) must call it first: the workers are
// this program, started again by processpool.Self.
func serveIfWorker() {
	if !processpool.IsWorker(workerName) {
		return
	}
	// Ctrl-C in a terminal reaches every process of the foreground group.
	// The parent owns its workers and stops them itself, so we ignore it.
	signal.Ignore(os.Interrupt)
	err := processpool.Serve(context.Background(), os.Stdin, os.Stdout, serveJob)
	if err != nil {
		fmt.Fprintln(os.Stderr, "parallelism worker:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// The two workloads, and the three ways to run one.
const (
	cpuBound = "cpu"
	ioBound  = "io"

	serial     = "serial"
	goroutines = "goroutines"
	processes  = "processes"
)

var (
	workloads = []string{cpuBound, ioBound}
	modes     = []string{serial, goroutines, processes}
)

// A job is one task of a workload. It crosses to a worker process with
// gob, so its fields are exported.
type job struct {
	Kind  string        // cpuBound or ioBound
	Index int           // the task's place, from 0
	Steps int           // cpuBound: how many points the integration sums
	Wait  time.Duration // ioBound: how long the task waits
}

// An answer is what a job returns: the CPU-bound task's sum, and the
// GOMAXPROCS of the runtime that ran it.
type answer struct {
	Sum        float64 // 0 for an I/O-bound task
	GOMAXPROCS int
}

// do runs j on the calling goroutine. It returns ctx.Err() without
// starting if ctx is done. An I/O-bound task gives up its wait when ctx is
// done; a CPU-bound task, once started, runs to its end (each one is
// short).
func do(ctx context.Context, j job) (answer, error) {
	if err := ctx.Err(); err != nil {
		return answer{}, err
	}
	switch j.Kind {
	case cpuBound:
		return answer{Sum: integrate(j.Index, j.Steps),
			GOMAXPROCS: runtime.GOMAXPROCS(0)}, nil
	case ioBound:
		// A goroutine waiting in sleep needs no thread and no core: the
		// runtime parks it until the timer fires.
		return answer{GOMAXPROCS: runtime.GOMAXPROCS(0)}, sleep(ctx, j.Wait)
	default:
		return answer{}, fmt.Errorf("job %d: unknown kind %q", j.Index, j.Kind)
	}
}

// serveJob is the worker processes' side of a job: the same do, in
// another process with a Go runtime of its own.
func serveJob(ctx context.Context, j job) (answer, error) { return do(ctx, j) }

// integrate is the CPU-bound task: the left Riemann sum of x² from index
// to index+1, with steps points. Tasks 0 to n-1 together integrate x²
// from 0 to n.
//
// Note the go:noinline directive: it keeps the compiler from inlining the
// loop into one caller and not another, so that every mode runs the very
// same loop.
//
//go:noinline
func integrate(index, steps int) float64 {
	a := float64(index)
	dx := 1 / float64(steps)
	sum := 0.0
	for i := range steps {
		// The float64(...) conversions keep a fused multiply-add from
		// changing the bits on some machines (see the integrate lesson's
		// point): every mode must get the same sum.
		x := a + float64(float64(i)*dx)
		sum += float64(x * x)
	}
	return sum * dx
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

// runSerial, runGoroutines and runProcesses are the three ways to run a
// workload. Each runs every job of jobs and returns the answers, answers[i]
// for jobs[i], or the first error, once every job it started has returned.
// Each records its work as spans on row, for -timeline and -trace.

// runSerial runs the jobs one after another on the calling goroutine: the
// baseline. Each job is a span.
func runSerial(ctx context.Context, jobs []job, obs *timeline.Observer,
	row string) ([]answer, error) {
	answers := make([]answer, len(jobs))
	for i, j := range jobs {
		end := obs.Start(ctx, row, fmt.Sprintf("task %d", i+1))
		a, err := do(ctx, j)
		end()
		if err != nil {
			return nil, err
		}
		answers[i] = a
	}
	return answers, nil
}

// runGoroutines runs the jobs on goroutines, at most workers at once:
// with workers ≥ len(jobs), one goroutine per job, all at once. Each job
// is a span on row. It returns once every goroutine it started has
// returned; the first error cancels the jobs still waiting.
func runGoroutines(ctx context.Context, jobs []job, workers int,
	obs *timeline.Observer, row string) ([]answer, error) {
	// Each goroutine writes only its own slot of answers, before its
	// return, which synchronizes before g.Wait returns: no lock needed.
	// Note that at most GOMAXPROCS of them compute at the same moment; a
	// goroutine that waits takes no such place.
	answers := make([]answer, len(jobs))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i, j := range jobs {
		g.Go(func() error {
			end := obs.Start(ctx, row, fmt.Sprintf("task %d", i+1))
			defer end()
			a, err := do(ctx, j)
			answers[i] = a
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return answers, nil
}

// runProcesses runs the jobs on the worker processes of pool, one job per
// worker at a time, with processpool.Map. The whole Map is one span on row:
// the jobs run in other processes, whose spans we cannot record here.
func runProcesses(ctx context.Context, jobs []job,
	pool *processpool.Pool[job, answer], obs *timeline.Observer,
	row string) ([]answer, error) {
	end := obs.Start(ctx, row, fmt.Sprintf("Map: %d tasks, %d workers",
		len(jobs), pool.Workers()))
	defer end()
	return processpool.Map(ctx, pool, jobs)
}

// run runs each workload each way, with GOMAXPROCS=1 and then
// GOMAXPROCS=NumCPU, and prints the times and speedups. It sets
// GOMAXPROCS back to what it was before it returns. It returns ctx.Err()
// once ctx is done (Ctrl-C). Every goroutine it starts has returned, and
// every worker process has exited and been reaped, when it returns.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record each task as a span, for -timeline and -trace (obs is nil
	// without them).
	ctx, obs, err := cfg.show.Start(ctx, "parallelism")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()

	// GOMAXPROCS is how many threads may run Go code at the same moment
	// (docs/concepts.md, "Goroutines and the scheduler"). We try 1, the Go
	// version of the GIL, and NumCPU, one per core. Note that
	// runtime.GOMAXPROCS changes the whole process: we set it back before
	// we return.
	numCPU := runtime.NumCPU()
	settings := []int{1, numCPU}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))

	if cfg.has(cpuBound) {
		fmt.Fprintf(w, "CPU-bound: %d tasks, each a sum of %d points"+
			" (busy work)\n", cfg.tasks, cfg.work)
	}
	if cfg.has(ioBound) {
		fmt.Fprintf(w, "I/O-bound: %d tasks, each a wait of %v"+
			" (simulated I/O)\n", cfg.waits, cfg.wait)
	}
	fmt.Fprintf(w, "NumCPU=%d, GOMAXPROCS=%d at start\n", numCPU,
		runtime.GOMAXPROCS(0))

	// The worker processes are this program, started again in worker
	// mode. We start them once, before any clock starts: starting a
	// process costs milliseconds, which would swamp a short run. Close is
	// their join point: it ends their input, and waits for each to exit.
	var pool *processpool.Pool[job, answer]
	if slices.Contains(cfg.modes, processes) {
		begin := time.Now()
		if pool, err = startPool(ctx, cfg.workers); err != nil {
			return err
		}
		defer func() { err = errors.Join(err, pool.Close()) }()
		fmt.Fprintf(w, "started %s in %v\n",
			plural(cfg.workers, "worker process", "worker processes"),
			round(time.Since(begin)))
	}

	// We run each workload each way at each setting, and keep the times.
	// The workers' answers tell us which GOMAXPROCS ran them.
	var workerProcs []int
	for _, workload := range cfg.workloads {
		jobs := cfg.jobs(workload)
		var want []answer // the first way's sums, which every way must match
		took := map[string][]time.Duration{}
		// Each column's title is the GOMAXPROCS that our tasks saw: the
		// setting, unless only the processes ran, whose workers have
		// their own.
		columns := slices.Clone(settings)
		for si, procs := range settings {
			runtime.GOMAXPROCS(procs)
			for _, mode := range cfg.modes {
				row := fmt.Sprintf("%s P=%d %s", workload, procs, mode)
				begin := time.Now()
				var answers []answer
				switch mode {
				case serial:
					answers, err = runSerial(ctx, jobs, obs, row)
				case goroutines:
					answers, err = runGoroutines(ctx, jobs, len(jobs), obs, row)
				case processes:
					answers, err = runProcesses(ctx, jobs, pool, obs, row)
				}
				elapsed := time.Since(begin)
				if err != nil {
					return fmt.Errorf("%s, %s, GOMAXPROCS=%d: %w",
						workload, mode, procs, err)
				}
				took[mode] = append(took[mode], elapsed)
				// Each way adds up the same numbers in the same order, so
				// the sums must be the same bits; if not, a way lost a
				// task or ran one twice.
				if want == nil {
					want = answers
				} else if sumsDiffer(want, answers) {
					return fmt.Errorf("%s, %s, GOMAXPROCS=%d: the sums differ"+
						" from the first way's", workload, mode, procs)
				}
				if mode != processes {
					columns[si] = answers[0].GOMAXPROCS
				} else {
					for _, a := range answers {
						if !slices.Contains(workerProcs, a.GOMAXPROCS) {
							workerProcs = append(workerProcs, a.GOMAXPROCS)
						}
					}
				}
			}
		}
		printTable(w, workload, cfg, columns, took)
	}
	if pool != nil {
		slices.Sort(workerProcs)
		fmt.Fprintf(w, "\nthe worker processes' own GOMAXPROCS: %s,"+
			" whatever ours was\n", joinInts(workerProcs))
	}

	// Every goroutine has returned: we draw the chart (with -timeline).
	return obs.Render(w)
}

// startPool starts workers worker processes: this program, started again
// in worker mode. It returns once each is ready to serve. The end of ctx
// kills them; the caller must Close the pool, which reaps them.
func startPool(ctx context.Context, workers int) (*processpool.Pool[job, answer], error) {
	cmd, err := processpool.Self(workerName)
	if err != nil {
		return nil, err
	}
	return processpool.New[job, answer](ctx, cmd, workers)
}

// printTable prints one workload's table: a row per mode, a column per
// GOMAXPROCS setting, with the time and the speedup over the serial run
// at the same setting. The columns are the GOMAXPROCS of each setting.
func printTable(w io.Writer, workload string, cfg config, columns []int,
	took map[string][]time.Duration) {
	title := map[string]string{cpuBound: "CPU-bound", ioBound: "I/O-bound"}
	fmt.Fprintf(w, "\n%-14s", title[workload])
	for i, procs := range columns {
		name := fmt.Sprintf("GOMAXPROCS=%d", procs)
		if i > 0 && procs == runtime.NumCPU() {
			name = "GOMAXPROCS=NumCPU"
		}
		fmt.Fprintf(w, "  %-17s", name)
	}
	fmt.Fprintln(w)
	for _, mode := range cfg.modes {
		label := serial
		switch mode {
		case goroutines:
			label = plural(cfg.count(workload), "goroutine", "goroutines")
		case processes:
			label = plural(cfg.workers, "process", "processes")
		}
		line := fmt.Sprintf("%-14s", label)
		for i, d := range took[mode] {
			speedup := "-"
			if base := took[serial]; base != nil && d > 0 {
				speedup = fmt.Sprintf("%.2fx", float64(base[i])/float64(d))
			}
			line += fmt.Sprintf("  %8v %8s", round(d), speedup)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

// round rounds d to a millisecond, or to 10µs below 10ms, for printing.
func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// sumsDiffer reports whether two runs' answers have different sums.
func sumsDiffer(a, b []answer) bool {
	return !slices.EqualFunc(a, b, func(x, y answer) bool { return x.Sum == y.Sum })
}

// plural returns "1 process" or "n processes".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinInts returns the numbers as "1, 2, 3".
func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, ", ")
}
