// The integrate command computes one integral serially, across
// goroutines and across worker processes, and prints how long each took,
// the speedup over serial and the error against the exact integral. By
// default it is the Python notes' experiment: ∫ x² dx from 0 to 10 with
// N = 10⁸ points.
//
//	go run ./integrate/cmd/integrate
//	go run ./integrate/cmd/integrate -n 1e9 -workers 1,2 -repeat 3
//	go run ./integrate/cmd/integrate -f inv1px2 -a 0 -b 1 -rule simpson
//	go run ./integrate/cmd/integrate -json -mode goroutines,processes
//	go run ./integrate/cmd/integrate -list
//	go run ./integrate/cmd/integrate -n 1e7 -workers 2 -timeline
//	go run ./integrate/cmd/integrate -trace trace.out && go tool trace trace.out
//
// The table's second line names the block kernel every mode ran (the
// -json lines say it too): "scalar, 4 accumulators" in the default build;
// in the SIMD build (GOEXPERIMENT=simd go run ./integrate/cmd/integrate,
// amd64), a vector kernel such as "SIMD, 4×Float64x8 (AVX-512)" for the
// integrands that have one (x2, x3, inv1px2, sqrt1mx2).
//
// -timeline draws, after the table, a chart of each measurement's last
// run: a row per goroutine or worker process, a bar per range of blocks.
// -trace writes a runtime/trace in which the run is a task and each
// measurement a region.
//
// The serial run is the baseline of every speedup, so it is always
// measured first, even when -mode leaves it out (then it is not printed).
// With -repeat K each row is the best of K runs. The processes mode has
// two rows per worker count: "processes (cold)" starts its worker
// processes (this program, started again), computes and stops them in
// every run, what a one-shot program pays, and its start-up column says
// how much of that was spawn to ready; "processes (warm)" runs on a pool
// started once, before the clock, and reused by every run.
//
// Exit status: 0 on success, 2 for a bad flag (with usage), 1 if a run
// failed or was interrupted (Ctrl-C stops every worker first).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/internal/timeline"
)

func main() {
	// First of all: if we are one of the processes mode's workers, serve
	// and exit here instead of running the command.
	integrate.ServeWorkerIfChild()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	var u usageError
	switch {
	case errors.As(err, &u): // run printed the error and the usage
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// A usageError is a bad flag. parseFlags has printed it, with the usage,
// to stderr; main exits 2 for it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// modes are the ways to compute, in the order they are measured.
var modes = []string{"serial", "goroutines", "processes"}

// config is what the flags ask for.
type config struct {
	problem integrate.Problem
	modes   []string
	workers []int
	repeat  int
	json    bool
	list    bool
	show    timeline.Flags // -timeline, -ascii, -width, -trace
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("integrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	n := count(100_000_000)
	f := fs.String("f", "x2", "the integrand, by name (see -list)")
	fs.Float64Var(&c.problem.A, "a", 0, "the lower bound")
	fs.Float64Var(&c.problem.B, "b", 10, "the upper bound")
	fs.Var(&n, "n", "the number of intervals (1e8 and 100000000 both work)")
	rule := fs.String("rule", "midpoint", "the rule: left, midpoint, trapezoid or simpson")
	mode := fs.String("mode", "serial,goroutines,processes", "the modes to measure, comma-separated")
	workers := fs.String("workers", "1,2,4,8", "the worker counts to measure, comma-separated")
	fs.IntVar(&c.repeat, "repeat", 1, "run each measurement `K` times and report the best")
	fs.BoolVar(&c.json, "json", false, "print one JSON object per measurement instead of the table")
	fs.BoolVar(&c.list, "list", false, "list the integrands and rules, then exit")
	c.show.Register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: integrate [flags]\n\nCompute one integral serially, with goroutines and with processes, and compare.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, usageError{err}
	}
	bad := func(err error) (config, error) {
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return bad(fmt.Errorf("integrate: unexpected argument %q", fs.Arg(0)))
	}
	c.problem.F, c.problem.N = *f, int64(n)
	if _, err := integrate.Lookup(*f); err != nil {
		return bad(fmt.Errorf("-f: %w", err))
	}
	r, err := integrate.ParseRule(*rule)
	if err != nil {
		return bad(fmt.Errorf("-rule: %w", err))
	}
	c.problem.Rule = r
	for m := range strings.SplitSeq(*mode, ",") {
		if !slices.Contains(modes, m) {
			return bad(fmt.Errorf("integrate: -mode: unknown mode %q (modes: %s)", m, strings.Join(modes, ", ")))
		}
		if !slices.Contains(c.modes, m) {
			c.modes = append(c.modes, m)
		}
	}
	for w := range strings.SplitSeq(*workers, ",") {
		v, err := strconv.Atoi(w)
		if err != nil || v < 1 {
			return bad(fmt.Errorf("integrate: -workers: %q is not a worker count of at least 1", w))
		}
		c.workers = append(c.workers, v)
	}
	if c.repeat < 1 {
		return bad(fmt.Errorf("integrate: -repeat %d: need at least 1", c.repeat))
	}
	if err := c.show.Check(); err != nil {
		return bad(fmt.Errorf("integrate: %w", err))
	}
	if c.show.Timeline && c.json {
		return bad(errors.New("integrate: -timeline draws charts, which -json output cannot hold; use one or the other"))
	}
	if !c.list {
		if err := c.problem.Check(); err != nil {
			return bad(err)
		}
	}
	return c, nil
}

// count is a flag.Value for a number of points: an integer, or a float
// such as 1e8 that is a whole number.
type count int64

func (c *count) String() string { return strconv.FormatInt(int64(*c), 10) }

func (c *count) Set(s string) error {
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		*c = count(v)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<62 {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*c = count(v)
	return nil
}

// A measurement is one row of the table, or one JSON line.
type measurement struct {
	Mode string `json:"mode"`
	// Pool is set for the processes mode only: "cold" if each run
	// started and stopped its workers, "warm" if every run used workers
	// started once, before the runs.
	Pool       string   `json:"pool,omitempty"`
	Workers    int      `json:"workers"`
	F          string   `json:"f"`
	A          float64  `json:"a"`
	B          float64  `json:"b"`
	N          int64    `json:"n"`
	Rule       string   `json:"rule"`
	Kernel     string   `json:"kernel"` // the block kernel, as integrate.Integrand.Kernel names it
	Result     float64  `json:"result"`
	Exact      *float64 `json:"exact"`     // null: no closed form
	AbsError   *float64 `json:"abs_error"` // null: no closed form
	Seconds    float64  `json:"seconds"`   // the best of Repeat runs
	Speedup    float64  `json:"speedup"`   // serial's seconds / Seconds
	Efficiency float64  `json:"efficiency"`
	Repeat     int      `json:"repeat"`
	// StartupSeconds is set for the cold processes rows only: the time
	// from starting the workers to every one being ready to work, the
	// best of Repeat runs. It is part of Seconds.
	StartupSeconds float64 `json:"startup_seconds,omitempty"`

	chart *timeline.Recorder // with -timeline: the spans of the last run
}

// label names the row in the table, the charts and the trace: the mode,
// and for processes whether the pool was cold or warm.
func (m measurement) label() string {
	if m.Pool == "" {
		return m.Mode
	}
	return fmt.Sprintf("%s (%s)", m.Mode, m.Pool)
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, and that is all
	}
	if err != nil {
		return err
	}
	if c.list {
		return list(stdout)
	}
	progress := io.Discard
	if isTerminal(stderr) {
		progress = stderr
	}
	// With -trace, the whole run is one task of the trace, and each
	// measurement a region in it (see measure).
	ctx, obs, err := c.show.Start(ctx, "integrate")
	if err != nil {
		return err
	}
	defer obs.Stop()

	// We measure serial first: it is every row's baseline.
	var rows []measurement
	p := c.problem
	base, err := measure(ctx, c, measurement{Mode: "serial", Workers: 1}, progress,
		func(ctx context.Context) (float64, time.Duration, error) {
			v, err := integrate.Serial(ctx, p)
			return v, 0, err
		})
	if err != nil {
		return err
	}
	base.Speedup, base.Efficiency = 1, 1
	if slices.Contains(c.modes, "serial") {
		rows = append(rows, base)
		if c.json {
			if err := printJSON(stdout, base); err != nil {
				return err
			}
		}
	}
	// Then each mode with each worker count; the processes mode twice,
	// cold and then warm.
	type kind struct{ mode, pool string }
	var kinds []kind
	for _, mode := range c.modes {
		switch mode {
		case "serial":
		case "processes":
			kinds = append(kinds, kind{mode, "cold"}, kind{mode, "warm"})
		default:
			kinds = append(kinds, kind{mode, ""})
		}
	}
	for _, k := range kinds {
		for _, w := range c.workers {
			row := measurement{Mode: k.mode, Pool: k.pool, Workers: w}
			var m measurement
			var err error
			switch k {
			case kind{"goroutines", ""}:
				m, err = measure(ctx, c, row, progress, func(ctx context.Context) (float64, time.Duration, error) {
					v, err := integrate.Goroutines(ctx, p, w)
					return v, 0, err
				})
			case kind{"processes", "cold"}:
				m, err = measureCold(ctx, c, row, progress)
			case kind{"processes", "warm"}:
				m, err = measureWarm(ctx, c, row, progress)
			}
			if err != nil {
				return err
			}
			m.Speedup = base.Seconds / m.Seconds
			m.Efficiency = m.Speedup / float64(w)
			rows = append(rows, m)
			if c.json {
				if err := printJSON(stdout, m); err != nil {
					return err
				}
			}
		}
	}
	if c.json {
		return nil
	}
	if err := printTable(stdout, c, base, rows); err != nil {
		return err
	}
	return printCharts(stdout, c, rows)
}

// printCharts draws, for each measurement that has one, the timeline of
// its last run: a row per goroutine or worker process, a bar per range of
// blocks it computed.
func printCharts(w io.Writer, c config, rows []measurement) error {
	for _, m := range rows {
		if m.chart == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s, %d workers (the last of %d runs): a bar per range of blocks\n", m.label(), m.Workers, c.repeat)
		if err := m.chart.Render(w, timeline.Options{Width: c.show.Width, ASCII: c.show.ASCII}); err != nil {
			return err
		}
	}
	return nil
}

// A runner computes the integral once. startup is how much of its time
// went to starting worker processes: zero if it started none.
type runner func(ctx context.Context) (v float64, startup time.Duration, err error)

// measure calls run c.repeat times and fills in m, which names the mode,
// pool and workers, with the fastest run's time, and the shortest
// start-up if run starts processes. Every run must give the same bits; a
// different result would be a bug, and we say so.
func measure(ctx context.Context, c config, m measurement, progress io.Writer, run runner) (measurement, error) {
	p := c.problem
	m.F, m.A, m.B, m.N, m.Rule, m.Repeat = p.F, p.A, p.B, p.N, p.Rule.String(), c.repeat
	// Every mode runs the same kernel: the workers are this program, and
	// refuse a request for another kernel than theirs.
	if in, err := integrate.Lookup(p.F); err == nil {
		m.Kernel = in.Kernel()
	}
	m.Seconds = math.Inf(1)
	startup := time.Duration(math.MaxInt64)
	for i := range c.repeat {
		fmt.Fprintf(progress, "integrate: %s, %d workers, run %d of %d ...\n", m.label(), m.Workers, i+1, c.repeat)
		// With -timeline, the last run reports its pieces of work to a
		// recorder of its own, which printCharts draws.
		runCtx := ctx
		if c.show.Timeline && m.Mode != "serial" && i == c.repeat-1 {
			rec := timeline.New()
			m.chart = rec
			runCtx = integrate.WithSpans(ctx, func(row, label string, start, end time.Time) {
				rec.Add(row, label, start, end)
			})
		}
		var v float64
		var up time.Duration
		var err error
		start := time.Now()
		trace.WithRegion(runCtx, fmt.Sprintf("%s, %d workers", m.label(), m.Workers), func() {
			v, up, err = run(runCtx)
		})
		elapsed := time.Since(start).Seconds()
		if err != nil {
			return m, fmt.Errorf("integrate: %s with %d workers: %w", m.label(), m.Workers, err)
		}
		if i > 0 && math.Float64bits(v) != math.Float64bits(m.Result) {
			return m, fmt.Errorf("integrate: %s with %d workers gave %v, then %v", m.label(), m.Workers, m.Result, v)
		}
		m.Result, m.Seconds = v, min(m.Seconds, elapsed)
		startup = min(startup, up)
	}
	if startup > 0 {
		m.StartupSeconds = startup.Seconds()
	}
	if exact, ok := integrate.Exact(p); ok {
		e := math.Abs(m.Result - exact)
		m.Exact, m.AbsError = &exact, &e
	}
	return m, nil
}

// measureCold measures the processes mode as integrate.Processes runs
// it, with the start-up timed: each run starts the workers and waits
// until each is ready, computes, then stops them and waits for each to
// exit. It is what a one-shot program pays.
func measureCold(ctx context.Context, c config, m measurement, progress io.Writer) (measurement, error) {
	size := poolSize(c.problem, m.Workers)
	return measure(ctx, c, m, progress, func(ctx context.Context) (v float64, startup time.Duration, err error) {
		start := time.Now()
		pool, err := integrate.NewPool(ctx, size)
		if err != nil {
			return 0, 0, err
		}
		startup = time.Since(start)
		v, err = pool.Integrate(ctx, c.problem)
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the pool: %w", cerr)
		}
		return v, startup, err
	})
}

// measureWarm measures the processes mode on one pool, started before
// the clock starts and used by every run: the steady state of a program
// that keeps its workers. A small integral before the measured runs
// warms the pool up, so that a fresh worker's one-time costs (gob sends
// the description of a type once per stream; the first request's
// allocations) are not in the first run. The pool is closed, and every
// worker waited for, before measureWarm returns.
func measureWarm(ctx context.Context, c config, m measurement, progress io.Writer) (_ measurement, err error) {
	size := poolSize(c.problem, m.Workers)
	pool, err := integrate.NewPool(ctx, size)
	if err != nil {
		return m, fmt.Errorf("integrate: %s with %d workers: %w", m.label(), m.Workers, err)
	}
	defer func() {
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("integrate: %s with %d workers: closing the pool: %w", m.label(), m.Workers, cerr)
		}
	}()
	// The warm-up: the same problem with 4 blocks per worker at most.
	// An even number of points, so Simpson's rule takes it too.
	small := c.problem
	small.N = min(small.N, int64(4*size)*integrate.BlockSize)
	if _, err := pool.Integrate(ctx, small); err != nil {
		return m, fmt.Errorf("integrate: %s with %d workers: warming up: %w", m.label(), m.Workers, err)
	}
	return measure(ctx, c, m, progress, func(ctx context.Context) (float64, time.Duration, error) {
		v, err := pool.Integrate(ctx, c.problem)
		return v, 0, err
	})
}

// poolSize is how many workers integrate.Processes starts: no more than
// there are blocks, since a block is the least a worker is given.
func poolSize(p integrate.Problem, workers int) int {
	blocks := (p.N + integrate.BlockSize - 1) / integrate.BlockSize
	return int(min(int64(workers), blocks))
}

func printJSON(w io.Writer, m measurement) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printTable prints the table, the bar chart of speedups and the
// machine line.
func printTable(w io.Writer, c config, base measurement, rows []measurement) error {
	p := c.problem
	in, _ := integrate.Lookup(p.F)
	fmt.Fprintf(w, "∫ %s dx on [%g, %g], n = %d, %v rule", in.Formula, p.A, p.B, p.N, p.Rule)
	if base.Exact != nil {
		fmt.Fprintf(w, "; exact %.15g", *base.Exact)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "kernel: %s, in every mode\n", base.Kernel)
	if c.repeat > 1 {
		fmt.Fprintf(w, "each time is the best of %d runs\n", c.repeat)
	}
	if !slices.Contains(c.modes, "serial") {
		fmt.Fprintf(w, "speedups are over serial, measured first: %s\n", seconds(base.Seconds))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-16s  %7s  %-18s  %9s  %9s  %9s  %7s  %10s\n",
		"mode", "workers", "result", "error", "time", "start-up", "speedup", "efficiency")
	for _, m := range rows {
		errText := "n/a"
		if m.AbsError != nil {
			errText = fmt.Sprintf("%.2g", *m.AbsError)
		}
		startup := "-"
		if m.StartupSeconds > 0 {
			startup = seconds(m.StartupSeconds)
		}
		fmt.Fprintf(w, "%-16s  %7d  %-18.15g  %9s  %9s  %9s  %6.2fx  %9.0f%%\n",
			m.label(), m.Workers, m.Result, errText, seconds(m.Seconds), startup, m.Speedup, 100*m.Efficiency)
	}
	if slices.ContainsFunc(rows, func(m measurement) bool { return m.Pool != "" }) {
		fmt.Fprintln(w, "\nprocesses (cold): each run starts the workers, computes, stops them;\n"+
			"  start-up is the part from starting them to every one being ready.\n"+
			"processes (warm): every run uses workers started once, before the runs.")
	}

	// The bar chart: 20 columns per 1x of speedup, or fewer if the
	// longest bar would pass 60 columns.
	fmt.Fprintln(w)
	fmt.Fprintln(w, "speedup over serial:")
	longest := 0.0
	for _, m := range rows {
		longest = max(longest, m.Speedup)
	}
	scale := min(20, 60/longest)
	for _, m := range rows {
		bar := strings.Repeat("█", int(math.Round(m.Speedup*scale)))
		fmt.Fprintf(w, "%-16s %2d  %s %.2fx\n", m.label(), m.Workers, bar, m.Speedup)
	}
	fmt.Fprintln(w)
	_, err := fmt.Fprintf(w, "GOMAXPROCS=%d NumCPU=%d %s %s/%s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// seconds formats a duration in seconds with a unit that keeps 3 digits.
func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func list(w io.Writer) error {
	fmt.Fprintln(w, "integrands (-f):")
	for _, in := range integrate.Integrands() {
		exact := "exact integral known"
		if in.Antiderivative == nil {
			exact = "no exact integral"
		}
		domain := ""
		if !math.IsInf(in.Lo, 0) || !math.IsInf(in.Hi, 0) {
			domain = fmt.Sprintf("; defined on [%g, %g]", in.Lo, in.Hi)
		}
		fmt.Fprintf(w, "  %-9s %-26s %s%s\n", in.Name, in.Formula, exact, domain)
	}
	fmt.Fprintln(w, "rules (-rule):")
	for _, r := range integrate.Rules() {
		note := ""
		if r == integrate.Midpoint {
			note = " (default)"
		}
		if r == integrate.Simpson {
			note = " (n must be even)"
		}
		fmt.Fprintf(w, "  %s%s\n", r, note)
	}
	_, err := fmt.Fprintln(w, "modes (-mode): serial, goroutines, processes (a cold and a warm row)")
	return err
}

// isTerminal reports whether w is a terminal, where progress lines help
// rather than clutter a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
