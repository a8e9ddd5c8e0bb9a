package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxCapacity bounds -cap: the demo prints one number per buffered value.
const maxCapacity = 20

// maxWait bounds -wait, so that the demo stays short.
const maxWait = time.Minute

// config holds the lesson's flags.
type config struct {
	capacity int           // the buffered channel's capacity
	wait     time.Duration // how late each receiver arrives
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("channels", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.capacity, "cap", 3, "the buffered channel's capacity")
	fs.DurationVar(&cfg.wait, "wait", time.Second,
		"how late each receiver arrives")
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
	case cfg.capacity < 1 || cfg.capacity > maxCapacity:
		return cfg, fmt.Errorf("-cap must be from 1 to %d, got %d",
			maxCapacity, cfg.capacity)
	case cfg.wait < 0 || cfg.wait > maxWait:
		return cfg, fmt.Errorf("-wait must be from 0s to %v, got %v",
			maxWait, cfg.wait)
	}
	return cfg, nil
}
