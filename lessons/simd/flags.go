package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Limits on the flags. The kernels do not watch ctx (we keep them down to
// the arithmetic we want to time), so we keep -n to a few seconds per step
// for the slowest kernel; more workers than that only add goroutines that
// wait for a core.
const (
	maxN       = 1_000_000_000
	maxWorkers = 1024
)

// config holds the lesson's flags.
type config struct {
	n       int  // how many points (strips)
	workers int  // how many goroutines sum the blocks in step 5
	times   bool // whether to print the times and the build
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("simd", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.n, "n", 10_000_000,
		"how many points (strips) the midpoint rule adds up")
	fs.IntVar(&cfg.workers, "workers", 2,
		"how many goroutines sum the blocks of step 5")
	fs.BoolVar(&cfg.times, "times", true,
		"print how long each way took and which build ran (the only parts that vary)")
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
	case cfg.n < 1 || cfg.n > maxN:
		return cfg, fmt.Errorf("-n must be from 1 to %d, got %d", maxN, cfg.n)
	case cfg.workers < 1 || cfg.workers > maxWorkers:
		return cfg, fmt.Errorf("-workers must be from 1 to %d, got %d",
			maxWorkers, cfg.workers)
	}
	return cfg, nil
}
