package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxRounds bounds -rounds, so that the first demo stays quick.
const maxRounds = 1_000_000

// maxDuration bounds the duration flags, so that the demo stays short and
// the stuck calls (hang) are always the slower.
const maxDuration = time.Minute

// config holds the lesson's flags.
type config struct {
	rounds  int           // how many selects the random-choice demo runs
	timeout time.Duration // every timeout and deadline in the demo
	tick    time.Duration // the pace of the merge's producers, and the cause's wait
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("select", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.rounds, "rounds", 1000,
		"how many selects with two ready cases to run")
	fs.DurationVar(&cfg.timeout, "timeout", time.Second,
		"every timeout and deadline in the demo")
	fs.DurationVar(&cfg.tick, "tick", 100*time.Millisecond,
		"the pace of the merged producers")
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
	case cfg.rounds < 1 || cfg.rounds > maxRounds:
		return cfg, fmt.Errorf("-rounds must be from 1 to %d, got %d",
			maxRounds, cfg.rounds)
	case cfg.timeout < 0 || cfg.timeout > maxDuration:
		return cfg, fmt.Errorf("-timeout must be from 0s to %v, got %v",
			maxDuration, cfg.timeout)
	case cfg.tick < 0 || cfg.tick > maxDuration:
		return cfg, fmt.Errorf("-tick must be from 0s to %v, got %v",
			maxDuration, cfg.tick)
	}
	return cfg, nil
}
