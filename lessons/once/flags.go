package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// maxCallers bounds -callers: each caller is a goroutine, and they all
// wait at once.
const maxCallers = 10_000

// config holds the lesson's flags.
type config struct {
	callers int  // how many goroutines ask at the same time
	racy    bool // also run the hand-written, racy double check
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("once", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.callers, "callers", 10,
		"how many goroutines ask for the connection at the same time")
	fs.BoolVar(&cfg.racy, "racy", false,
		"also run the hand-written double check on a plain pointer"+
			" (a data race: try it with go run -race)")
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
	case cfg.callers < 1 || cfg.callers > maxCallers:
		return cfg, fmt.Errorf("-callers must be from 1 to %d, got %d",
			maxCallers, cfg.callers)
	}
	return cfg, nil
}
