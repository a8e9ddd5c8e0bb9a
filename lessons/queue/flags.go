package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxDuration bounds the duration flags, so that the demo stays short.
const maxDuration = time.Minute

// maxCount bounds -maxsize and -tasks: the demo prints every value.
const maxCount = 100

// config holds the lesson's flags.
type config struct {
	maxsize int           // the queues' buffer size
	timeout time.Duration // the timeout of get(timeout)
	work    time.Duration // one task's simulated work
	tasks   int           // how many tasks the join demo puts
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.maxsize, "maxsize", 10, "the queues' buffer size")
	fs.DurationVar(&cfg.timeout, "timeout", 2*time.Second,
		"how long get(timeout) waits")
	fs.DurationVar(&cfg.work, "work", 500*time.Millisecond,
		"how long one task's simulated work takes")
	fs.IntVar(&cfg.tasks, "tasks", 3, "how many tasks the join demo puts")
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
		name  string
		value int
	}{{"maxsize", cfg.maxsize}, {"tasks", cfg.tasks}} {
		if c.value < 1 || c.value > maxCount {
			return cfg, fmt.Errorf("-%s must be between 1 and %d, got %d",
				c.name, maxCount, c.value)
		}
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"timeout", cfg.timeout}, {"work", cfg.work}} {
		if d.value < 0 || d.value > maxDuration {
			return cfg, fmt.Errorf("-%s must be between 0 and %v, got %v",
				d.name, maxDuration, d.value)
		}
	}
	return cfg, nil
}
