package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// config holds the command's flags.
type config struct {
	n        int           // how many numbers: 5, 10, ... 5n
	work     int           // random numbers each doubling adds up first
	deadline time.Duration // how long section 5 lets an idle worker live
}

// parseFlags parses and checks args. Its flag set prints errors, and the
// usage for -h (then it returns flag.ErrHelp), to w.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("processes", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.IntVar(&cfg.n, "n", 5, "how many numbers to double (5, 10, 15, ...), 1 to 50")
	fs.IntVar(&cfg.work, "work", 15_000_000,
		"random numbers each doubling adds up first (the busy work), not negative")
	fs.DurationVar(&cfg.deadline, "deadline", 200*time.Millisecond,
		"how long the idle worker of section 5 lives, from 1ms to 1m")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case cfg.n < 1 || cfg.n > 50:
		return config{}, fmt.Errorf("-n must be from 1 to 50, got %d", cfg.n)
	case cfg.work < 0:
		return config{}, fmt.Errorf("-work must not be negative, got %d", cfg.work)
	case cfg.deadline < time.Millisecond || cfg.deadline > time.Minute:
		return config{}, fmt.Errorf("-deadline must be from 1ms to 1m, got %v", cfg.deadline)
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}
