package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Limits on the flags. The counting loops do not watch ctx (we keep them
// down to the increments we want to time), so we keep each strategy to a
// few seconds, and the goroutines that wait at the mutex to a number whose
// stacks fit in memory.
const (
	maxGoroutines = 10_000
	maxIncrements = 100_000_000 // -goroutines × -n
)

// options holds the lesson's flags.
type options struct {
	goroutines int // how many goroutines count
	n          int // how many times each adds 1
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (options, error) {
	var opts options
	fs := flag.NewFlagSet("atomic", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&opts.goroutines, "goroutines", 10,
		"how many goroutines add to the shared total")
	fs.IntVar(&opts.n, "n", 1_000_000, "how many times each goroutine adds 1")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(w)
		fs.Usage()
		return opts, err
	case err != nil:
		return opts, err
	case fs.NArg() > 0:
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case opts.goroutines < 1 || opts.goroutines > maxGoroutines:
		return opts, fmt.Errorf("-goroutines must be from 1 to %d, got %d",
			maxGoroutines, opts.goroutines)
	case opts.n < 1:
		return opts, fmt.Errorf("-n must be at least 1, got %d", opts.n)
	case opts.goroutines > maxIncrements/opts.n:
		return opts, fmt.Errorf("-goroutines × -n must be at most %d, got %d × %d",
			maxIncrements, opts.goroutines, opts.n)
	}
	return opts, nil
}
