package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// Limits on the flags: they keep a run to minutes at most, and the
// number of goroutines and processes sensible.
const (
	maxTasks   = 1000
	maxWork    = 1_000_000_000
	maxWait    = time.Minute
	maxWorkers = 64
)

// config holds the lesson's flags.
type config struct {
	tasks     int           // CPU-bound tasks
	work      int           // points each CPU-bound task sums
	waits     int           // I/O-bound tasks
	wait      time.Duration // how long each I/O-bound task waits
	workers   int           // worker processes
	modes     []string      // the ways to run, in the order of modes
	workloads []string      // the workloads, in the order of workloads
	show      timeline.Flags
}

// has reports whether the workload is to be run.
func (c config) has(workload string) bool {
	return slices.Contains(c.workloads, workload)
}

// count returns how many tasks the workload has.
func (c config) count(workload string) int {
	if workload == cpuBound {
		return c.tasks
	}
	return c.waits
}

// jobs returns the workload's jobs.
func (c config) jobs(workload string) []job {
	jobs := make([]job, c.count(workload))
	for i := range jobs {
		jobs[i] = job{Kind: workload, Index: i, Steps: c.work, Wait: c.wait}
	}
	return jobs
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("parallelism", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.tasks, "tasks", 8, "how many CPU-bound tasks")
	fs.IntVar(&cfg.work, "work", 30_000_000,
		"how many points each CPU-bound task sums (its busy work)")
	fs.IntVar(&cfg.waits, "waits", 8, "how many I/O-bound tasks")
	fs.DurationVar(&cfg.wait, "wait", 50*time.Millisecond,
		"how long each I/O-bound task waits")
	fs.IntVar(&cfg.workers, "workers", runtime.NumCPU(),
		"how many worker processes the processes mode starts")
	mode := fs.String("mode", strings.Join(modes, ","),
		"the ways to run each workload, comma-separated")
	workload := fs.String("workload", strings.Join(workloads, ","),
		"the workloads to run, comma-separated")
	cfg.show.Register(fs)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(w)
		fs.Usage()
		return cfg, err
	case err != nil:
		return cfg, err
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.tasks < 1 || cfg.tasks > maxTasks:
		return cfg, fmt.Errorf("-tasks must be from 1 to %d, got %d",
			maxTasks, cfg.tasks)
	case cfg.work < 1 || cfg.work > maxWork:
		return cfg, fmt.Errorf("-work must be from 1 to %d, got %d",
			maxWork, cfg.work)
	case cfg.waits < 1 || cfg.waits > maxTasks:
		return cfg, fmt.Errorf("-waits must be from 1 to %d, got %d",
			maxTasks, cfg.waits)
	case cfg.wait < 0 || cfg.wait > maxWait:
		return cfg, fmt.Errorf("-wait must be from 0s to %v, got %v",
			maxWait, cfg.wait)
	case cfg.workers < 1 || cfg.workers > maxWorkers:
		return cfg, fmt.Errorf("-workers must be from 1 to %d, got %d",
			maxWorkers, cfg.workers)
	}
	if cfg.modes, err = parseList("-mode", *mode, modes); err != nil {
		return cfg, err
	}
	if cfg.workloads, err = parseList("-workload", *workload, workloads); err != nil {
		return cfg, err
	}
	return cfg, cfg.show.Check()
}

// parseList parses a comma-separated list of names from known, and
// returns them in known's order, each once.
func parseList(flagName, list string, known []string) ([]string, error) {
	var names []string
	for name := range strings.SplitSeq(list, ",") {
		if !slices.Contains(known, name) {
			return nil, fmt.Errorf("%s: unknown name %q (want some of %s)",
				flagName, name, strings.Join(known, ","))
		}
		names = append(names, name)
	}
	return slices.DeleteFunc(slices.Clone(known), func(n string) bool {
		return !slices.Contains(names, n)
	}), nil
}
