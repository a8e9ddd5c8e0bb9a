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

// config holds the lesson's flags, and the observer that -timeline and
// -trace start.
type config struct {
	workers int            // each executor's worker count
	sleep   time.Duration  // how long a unit of simulated work takes
	show    timeline.Flags // -timeline, -ascii, -width and -trace

	obs *timeline.Observer // records the tasks; nil: nothing to record
}

// resolution is the precision of the times printed: a tenth of -sleep (or
// of a second with -sleep 0): handing tasks to workers takes microseconds,
// which would only be noise.
func (cfg config) resolution() time.Duration {
	return cmp.Or(cfg.sleep/10, 100*time.Millisecond)
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("futures", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.workers, "workers", 4, "how many workers each executor has")
	fs.DurationVar(&cfg.sleep, "sleep", time.Second,
		"how long a unit of simulated work takes")
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
		return cfg, fmt.Errorf("-workers must be at least 1, got %d",
			cfg.workers)
	case cfg.sleep < 0:
		return cfg, fmt.Errorf("-sleep must not be negative, got %v", cfg.sleep)
	}
	return cfg, cfg.show.Check()
}
