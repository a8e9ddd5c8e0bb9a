package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// maxJobs keeps the printed results readable.
const maxJobs = 1000

// config holds the lesson's flags.
type config struct {
	jobs    int            // how many jobs to run
	workers int            // how many may run at once
	sleep   time.Duration  // how long each simulated job takes
	show    timeline.Flags // -timeline, -ascii, -width and -trace
}

// resolution is the precision of the times printed: a tenth of -sleep, or
// a tenth of a second with -sleep 0. Starting goroutines and handing over
// jobs takes microseconds, which would only be noise.
func (cfg config) resolution() time.Duration {
	return cmp.Or(cfg.sleep/10, 100*time.Millisecond)
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("workerpool", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.jobs, "jobs", 10, "how many jobs to run")
	fs.IntVar(&cfg.workers, "workers", 3, "how many jobs may run at once")
	fs.DurationVar(&cfg.sleep, "sleep", time.Second,
		"how long each simulated job takes")
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
	case cfg.jobs < 1 || cfg.jobs > maxJobs:
		return cfg, fmt.Errorf("-jobs must be from 1 to %d, got %d",
			maxJobs, cfg.jobs)
	case cfg.workers < 1:
		return cfg, fmt.Errorf("-workers must be at least 1, got %d",
			cfg.workers)
	case cfg.sleep < 0:
		return cfg, fmt.Errorf("-sleep must not be negative, got %v", cfg.sleep)
	}
	return cfg, cfg.show.Check()
}
