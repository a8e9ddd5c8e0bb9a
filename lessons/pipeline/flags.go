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
	n       int           // items in each part
	workers int           // square workers in parts 2 and 3
	work    time.Duration // a worker's time per item
	take    int           // items part 4 takes before its cancel
	fail    int           // the bad item in part 5

	show timeline.Flags // -timeline, -ascii, -width and -trace
}

// Limits on the flags, to keep the output readable.
const (
	maxItems   = 1000
	maxWorkers = 100
)

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("pipeline", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.n, "n", 12, "how many items each part sends")
	fs.IntVar(&cfg.workers, "workers", 3, "how many square workers")
	fs.DurationVar(&cfg.work, "work", 100*time.Millisecond,
		"how long a worker takes per item")
	fs.IntVar(&cfg.take, "take", 5, "how many items to take before a cancel")
	fs.IntVar(&cfg.fail, "fail", 7, "which item is bad in the errors part")
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
		{"-n", cfg.n, 1, maxItems},
		{"-workers", cfg.workers, 1, maxWorkers},
		{"-take", cfg.take, 1, maxItems},
		{"-fail", cfg.fail, 1, cfg.n},
	} {
		if c.v < c.lo || c.v > c.hi {
			return cfg, fmt.Errorf("%s must be from %d to %d, got %d",
				c.name, c.lo, c.hi, c.v)
		}
	}
	if cfg.work < 0 || cfg.work > time.Minute {
		return cfg, fmt.Errorf("-work must be from 0s to 1m, got %v", cfg.work)
	}
	return cfg, cfg.show.Check()
}
