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
	producers int            // how many producers
	consumers int            // how many consumers
	items     int            // items per producer (parts 1 and 2)
	buf       int            // the channel's capacity
	consume   time.Duration  // a consumer's time per item (parts 2 and 3)
	stop      time.Duration  // when part 3 cancels
	show      timeline.Flags // -timeline, -ascii, -width and -trace
	workers   int            // integration workers
	n         int            // integration steps
}

// Limits on the flags, to keep the output readable.
const (
	maxGoroutines = 1000
	maxItems      = 1000
	maxBuf        = 1000
)

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("prodcons", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.producers, "producers", 3, "how many producers")
	fs.IntVar(&cfg.consumers, "consumers", 2, "how many consumers")
	fs.IntVar(&cfg.items, "items", 6, "how many items each producer makes")
	fs.IntVar(&cfg.buf, "buf", 2, "the channel's capacity")
	fs.DurationVar(&cfg.consume, "consume", 300*time.Millisecond,
		"how long a consumer takes per item")
	fs.DurationVar(&cfg.stop, "stop", time.Second,
		"when the shutdown part cancels its context")
	fs.IntVar(&cfg.workers, "workers", 4, "how many integration workers")
	fs.IntVar(&cfg.n, "n", 1000, "how many steps the integration takes")
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
	}
	for _, c := range []struct {
		name      string
		v, lo, hi int
	}{
		{"-producers", cfg.producers, 1, maxGoroutines},
		{"-consumers", cfg.consumers, 1, maxGoroutines},
		{"-items", cfg.items, 1, maxItems},
		{"-buf", cfg.buf, 0, maxBuf},
		{"-workers", cfg.workers, 1, maxGoroutines},
		{"-n", cfg.n, 1, 1 << 40},
	} {
		if c.v < c.lo || c.v > c.hi {
			return cfg, fmt.Errorf("%s must be from %d to %d, got %d",
				c.name, c.lo, c.hi, c.v)
		}
	}
	switch {
	case cfg.consume < 0:
		return cfg, fmt.Errorf("-consume must not be negative, got %v",
			cfg.consume)
	case cfg.stop < 0:
		return cfg, fmt.Errorf("-stop must not be negative, got %v", cfg.stop)
	case cfg.workers > cfg.n:
		return cfg, fmt.Errorf("-workers (%d) must not exceed -n (%d)",
			cfg.workers, cfg.n)
	}
	return cfg, cfg.show.Check()
}
