package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxUnit bounds -unit, so that the demo stays short.
const maxUnit = 10 * time.Second

// config holds the lesson's flags.
type config struct {
	unit time.Duration // the time unit every delay and period is a multiple of
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("schedule", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.DurationVar(&cfg.unit, "unit", 100*time.Millisecond,
		"the time unit: every delay and period is a multiple of it")
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
	case cfg.unit < 0 || cfg.unit > maxUnit:
		return cfg, fmt.Errorf("-unit must be from 0s to %v, got %v",
			maxUnit, cfg.unit)
	}
	return cfg, nil
}
