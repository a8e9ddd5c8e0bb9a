package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"time"
)

// The values -hang accepts.
var hangModes = []string{"relock", "order", "channel"}

// config holds the lesson's flags.
type config struct {
	timeout   time.Duration // how long tryLockFor waits before giving up
	transfers int           // transfers each way in the lock-order run
	hang      string        // "", or the deadlock to run for real
}

// maxTransfers bounds -transfers, so that the lock-order run, which does
// not watch ctx, takes seconds at most.
const maxTransfers = 10_000_000

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("deadlock", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.DurationVar(&cfg.timeout, "timeout", 100*time.Millisecond,
		"how long a TryLock-based wait lasts before it gives up")
	fs.IntVar(&cfg.transfers, "transfers", 1000,
		"transfers each way in the lock-order run")
	fs.StringVar(&cfg.hang, "hang", "",
		"run one deadlock for real, and hang: relock, order or channel")
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
	case cfg.timeout < 0:
		return cfg, fmt.Errorf("-timeout must not be negative, got %v",
			cfg.timeout)
	case cfg.transfers < 0 || cfg.transfers > maxTransfers:
		return cfg, fmt.Errorf("-transfers must be from 0 to %d, got %d",
			maxTransfers, cfg.transfers)
	case cfg.hang != "" && !slices.Contains(hangModes, cfg.hang):
		return cfg, fmt.Errorf("-hang must be relock, order or channel,"+
			" got %q", cfg.hang)
	}
	return cfg, nil
}
