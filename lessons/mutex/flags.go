package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Limits on the flags. The counting loops do not watch ctx (we keep them
// down to the increments we want to time), so we keep each strategy to a
// few seconds, and the goroutines that wait at the lock to a number whose
// stacks fit in memory.
const (
	maxGoroutines = 10_000
	maxIncrements = 100_000_000 // -goroutines × -n
)

// config holds the lesson's flags.
type config struct {
	goroutines int // how many goroutines count
	n          int // how many times each adds 1
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("mutex", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.goroutines, "goroutines", 10,
		"how many goroutines add to the shared total")
	fs.IntVar(&cfg.n, "n", 1_000_000, "how many times each goroutine adds 1")
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
	case cfg.goroutines < 1 || cfg.goroutines > maxGoroutines:
		return cfg, fmt.Errorf("-goroutines must be from 1 to %d, got %d",
			maxGoroutines, cfg.goroutines)
	case cfg.n < 1:
		return cfg, fmt.Errorf("-n must be at least 1, got %d", cfg.n)
	case cfg.goroutines > maxIncrements/cfg.n:
		return cfg, fmt.Errorf("-goroutines × -n must be at most %d, got %d × %d",
			maxIncrements, cfg.goroutines, cfg.n)
	}
	return cfg, nil
}
