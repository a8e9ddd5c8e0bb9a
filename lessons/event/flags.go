package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxDuration bounds every duration flag, so that the demo stays short and
// the stop demo's job (longJob) is always the longer.
const maxDuration = time.Minute

// maxWorkers bounds -workers: the barrier staggers the workers' arrivals
// by -work each, and each worker prints about ten lines.
const maxWorkers = 100

// config holds the lesson's flags.
type config struct {
	workers int           // how many workers wait at the gate, barrier and stop
	open    time.Duration // the setup before the gate opens
	timeout time.Duration // the timeout of the wait that expires
	work    time.Duration // one unit of simulated work
	stop    time.Duration // how long the stop demo's workers run
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("event", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.workers, "workers", 3, "how many workers wait")
	durations := []struct {
		p     *time.Duration
		name  string
		value time.Duration
		usage string
	}{
		{&cfg.open, "open", time.Second, "the setup before the gate opens"},
		{&cfg.timeout, "timeout", 500 * time.Millisecond,
			"the timeout of the wait that expires"},
		{&cfg.work, "work", 500 * time.Millisecond,
			"one unit of simulated work"},
		{&cfg.stop, "stop", 500 * time.Millisecond,
			"how long the stop demo's workers run before we stop them"},
	}
	for _, d := range durations {
		fs.DurationVar(d.p, d.name, d.value, d.usage)
	}
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
	case cfg.workers < 1 || cfg.workers > maxWorkers:
		return cfg, fmt.Errorf("-workers must be from 1 to %d, got %d",
			maxWorkers, cfg.workers)
	}
	for _, d := range durations {
		if *d.p < 0 || *d.p > maxDuration {
			return cfg, fmt.Errorf("-%s must be from 0s to %v, got %v",
				d.name, maxDuration, *d.p)
		}
	}
	return cfg, nil
}
