package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// config holds the lesson's flags.
type config struct {
	workers int            // how many workers to start
	sleep   time.Duration  // each worker's simulated I/O
	timeout time.Duration  // how long the join with a timeout waits
	show    timeline.Flags // -timeline, -ascii, -width and -trace
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("goroutines", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.workers, "workers", 5, "how many workers to start")
	fs.DurationVar(&cfg.sleep, "sleep", 3*time.Second,
		"how long each worker's simulated I/O takes")
	fs.DurationVar(&cfg.timeout, "timeout", time.Second,
		"how long the join with a timeout waits")
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
	case cfg.workers < 1:
		return cfg, fmt.Errorf("-workers must be at least 1, got %d", cfg.workers)
	case cfg.sleep < 0:
		return cfg, fmt.Errorf("-sleep must not be negative, got %v", cfg.sleep)
	case cfg.timeout < 0:
		return cfg, fmt.Errorf("-timeout must not be negative, got %v", cfg.timeout)
	}
	return cfg, cfg.show.Check()
}
