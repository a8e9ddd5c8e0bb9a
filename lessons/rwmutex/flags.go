package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// maxReaders bounds -readers: each reader is a goroutine, and all of them
// wait inside the lock at once.
const maxReaders = 10_000

// config holds the lesson's flags.
type config struct {
	readers int // how many readers share the read lock
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("rwmutex", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.readers, "readers", 5,
		"how many readers share the read lock")
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
	case cfg.readers < 1 || cfg.readers > maxReaders:
		return cfg, fmt.Errorf("-readers must be from 1 to %d, got %d",
			maxReaders, cfg.readers)
	}
	return cfg, nil
}
