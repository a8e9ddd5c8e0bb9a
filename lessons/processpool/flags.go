package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// config holds the command's flags.
type config struct {
	workers  int           // worker processes in the pool
	n        int           // how many numbers: 5, 10, ... 5n
	work     int           // random numbers each doubling adds up first
	crash    int           // the number whose job crashes its worker once; 0: none
	deadline time.Duration // how long section 4's endless job may run
}

// parseFlags parses and checks args. Its flag set prints errors, and the
// usage for -h (then it returns flag.ErrHelp), to w.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("processpool", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.IntVar(&cfg.workers, "workers", 2, "worker processes in the pool, 1 to 32")
	fs.IntVar(&cfg.n, "n", 10, "how many numbers to double (5, 10, 15, ...), 1 to 50")
	fs.IntVar(&cfg.work, "work", 5_000_000,
		"random numbers each doubling adds up first (the busy work), not negative")
	fs.IntVar(&cfg.crash, "crash", 15,
		"the number whose job crashes its worker, once (0: none)")
	fs.DurationVar(&cfg.deadline, "deadline", 200*time.Millisecond,
		"how long section 4's endless job runs before it is killed, 1ms to 1m")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case cfg.workers < 1 || cfg.workers > 32:
		return config{}, fmt.Errorf("-workers must be from 1 to 32, got %d", cfg.workers)
	case cfg.n < 1 || cfg.n > 50:
		return config{}, fmt.Errorf("-n must be from 1 to 50, got %d", cfg.n)
	case cfg.work < 0:
		return config{}, fmt.Errorf("-work must not be negative, got %d", cfg.work)
	case cfg.crash != 0 && (cfg.crash < 0 || cfg.crash%5 != 0 || cfg.crash > 5*cfg.n):
		return config{}, fmt.Errorf("-crash must be 0 or one of the numbers 5, 10, ..., %d; got %d",
			5*cfg.n, cfg.crash)
	case cfg.deadline < time.Millisecond || cfg.deadline > time.Minute:
		return config{}, fmt.Errorf("-deadline must be from 1ms to 1m, got %v", cfg.deadline)
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}
