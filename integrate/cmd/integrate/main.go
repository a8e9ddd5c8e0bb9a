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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/integrate/internal/report"
)

func main() {
	// First of all: if we are one of the processes mode's workers, serve
	// and exit here instead of running the command.
	integrate.ServeWorkerIfChild()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	report.Exit(run(ctx, os.Stdout, os.Stderr, os.Args[1:]))
}

// command is what the integrate command is to the report package, which
// it shares with the cluster command (integrate/cmd/cluster): the flags,
// the measurements, the table and the JSON lines.
var command = report.Command{
	Name: "integrate",
	Usage: "usage: integrate [flags]\n\n" +
		"Compute one integral serially, with goroutines and with processes, and compare.",
	Modes:     []string{"serial", "goroutines", "processes"},
	ModesHelp: "serial, goroutines, processes (a cold and a warm row)",
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	c, err := report.NewFlags(command, stderr).Parse(args, nil)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, and that is all
	}
	if err != nil {
		return err
	}
	if c.List {
		return report.List(stdout, command)
	}
	progress := report.Progress(stderr)
	// With -trace, the whole run is one task of the trace, and each
	// measurement a region in it (see report.Measure).
	ctx, obs, err := c.Show.Start(ctx, "integrate")
	if err != nil {
		return err
	}
	defer obs.Stop()

	// Serial first, as every row's baseline (MeasureAll), then each mode
	// with each worker count; the processes mode twice, cold and then
	// warm.
	var kinds []report.Kind
	for _, mode := range c.Modes {
		switch mode {
		case "goroutines":
			kinds = append(kinds, report.Kind{Mode: mode, Measure: func(ctx context.Context, m report.Measurement) (report.Measurement, error) {
				return report.Measure(ctx, c, m, progress, func(ctx context.Context) (report.Run, error) {
					v, err := integrate.Goroutines(ctx, c.Problem, m.Workers)
					return report.Run{Value: v}, err
				})
			}})
		case "processes":
			kinds = append(kinds,
				report.Kind{Mode: mode, Pool: "cold", Measure: func(ctx context.Context, m report.Measurement) (report.Measurement, error) {
					return measureCold(ctx, c, m, progress)
				}},
				report.Kind{Mode: mode, Pool: "warm", Measure: func(ctx context.Context, m report.Measurement) (report.Measurement, error) {
					return measureWarm(ctx, c, m, progress)
				}})
		}
	}
	base, rows, err := report.MeasureAll(ctx, c, stdout, progress, kinds)
	if err != nil || c.JSON {
		return err
	}
	var notes []string
	if slices.ContainsFunc(rows, func(m report.Measurement) bool { return m.Pool != "" }) {
		notes = []string{
			"processes (cold): each run starts the workers, computes, stops them;",
			"  start-up is the part from starting them to every one being ready.",
			"processes (warm): every run uses workers started once, before the runs.",
		}
	}
	if err := report.PrintTable(stdout, c, base, rows, notes); err != nil {
		return err
	}
	return report.PrintCharts(stdout, c, rows)
}

// measureCold measures the processes mode as integrate.Processes runs
// it, with the start-up timed: each run starts the workers and waits
// until each is ready, computes, then stops them and waits for each to
// exit. It is what a one-shot program pays.
func measureCold(ctx context.Context, c report.Config, m report.Measurement, progress io.Writer) (report.Measurement, error) {
	size := poolSize(c.Problem, m.Workers)
	return report.Measure(ctx, c, m, progress, func(ctx context.Context) (report.Run, error) {
		start := time.Now()
		pool, err := integrate.NewPool(ctx, size)
		if err != nil {
			return report.Run{}, err
		}
		startup := time.Since(start)
		v, err := pool.Integrate(ctx, c.Problem)
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the pool: %w", cerr)
		}
		return report.Run{Value: v, Startup: startup}, err
	})
}

// measureWarm measures the processes mode on one pool, started before
// the clock starts and used by every run: the steady state of a program
// that keeps its workers. A small integral before the measured runs
// warms the pool up, so that a fresh worker's one-time costs (gob sends
// the description of a type once per stream; the first request's
// allocations) are not in the first run. The pool is closed, and every
// worker waited for, before measureWarm returns.
func measureWarm(ctx context.Context, c report.Config, m report.Measurement, progress io.Writer) (_ report.Measurement, err error) {
	size := poolSize(c.Problem, m.Workers)
	pool, err := integrate.NewPool(ctx, size)
	if err != nil {
		return m, fmt.Errorf("integrate: %s with %d workers: %w", m.Label(), m.Workers, err)
	}
	defer func() {
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("integrate: %s with %d workers: closing the pool: %w", m.Label(), m.Workers, cerr)
		}
	}()
	// The warm-up: the same problem with 4 blocks per worker at most.
	// An even number of points, so Simpson's rule takes it too.
	small := c.Problem
	small.N = min(small.N, int64(4*size)*integrate.BlockSize)
	if _, err := pool.Integrate(ctx, small); err != nil {
		return m, fmt.Errorf("integrate: %s with %d workers: warming up: %w", m.Label(), m.Workers, err)
	}
	return report.Measure(ctx, c, m, progress, func(ctx context.Context) (report.Run, error) {
		v, err := pool.Integrate(ctx, c.Problem)
		return report.Run{Value: v}, err
	})
}

// poolSize is how many workers integrate.Processes starts: no more than
// there are blocks, since a block is the least a worker is given.
func poolSize(p integrate.Problem, workers int) int {
	blocks := (p.N + integrate.BlockSize - 1) / integrate.BlockSize
	return int(min(int64(workers), blocks))
}
