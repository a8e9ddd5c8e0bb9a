package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// config holds the lesson's flags.
type config struct {
	tasks int           // how many tasks to start
	wait  time.Duration // each task's simulated I/O
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("async", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.tasks, "tasks", 10000, "how many tasks to start")
	fs.DurationVar(&cfg.wait, "wait", time.Second,
		"how long each task's simulated I/O takes")
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
	case cfg.tasks < 1:
		return cfg, fmt.Errorf("-tasks must be at least 1, got %d", cfg.tasks)
	case cfg.wait < 0:
		return cfg, fmt.Errorf("-wait must not be negative, got %v", cfg.wait)
	}
	return cfg, nil
}
