package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// config holds the lesson's flags.
type config struct {
	size      int           // slots in the buffer
	producers int           // how many producers
	consumers int           // how many consumers
	items     int           // how many items each producer makes
	produce   time.Duration // how long a producer takes to make an item
	consume   time.Duration // how long a consumer takes to use an item
	timeline  bool          // log every put, get and wait as it happens
}

// Limits on the flags: items are named by a letter per producer, and the
// timeline is meant to be read.
const (
	maxProducers = 26
	maxConsumers = 100
	maxSize      = 1000
	maxItems     = 1000
)

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("cond", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.size, "size", 2, "how many items the buffer holds")
	fs.IntVar(&cfg.producers, "producers", 2, "how many producers")
	fs.IntVar(&cfg.consumers, "consumers", 2, "how many consumers")
	fs.IntVar(&cfg.items, "items", 3, "how many items each producer makes")
	fs.DurationVar(&cfg.produce, "produce", 100*time.Millisecond,
		"how long a producer takes to make an item")
	fs.DurationVar(&cfg.consume, "consume", 300*time.Millisecond,
		"how long a consumer takes to use an item")
	fs.BoolVar(&cfg.timeline, "timeline", true,
		"print every put, get and wait as it happens")
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
	case cfg.size < 1 || cfg.size > maxSize:
		return cfg, fmt.Errorf("-size must be from 1 to %d, got %d",
			maxSize, cfg.size)
	case cfg.producers < 1 || cfg.producers > maxProducers:
		return cfg, fmt.Errorf("-producers must be from 1 to %d, got %d",
			maxProducers, cfg.producers)
	case cfg.consumers < 1 || cfg.consumers > maxConsumers:
		return cfg, fmt.Errorf("-consumers must be from 1 to %d, got %d",
			maxConsumers, cfg.consumers)
	case cfg.items < 1 || cfg.items > maxItems:
		return cfg, fmt.Errorf("-items must be from 1 to %d, got %d",
			maxItems, cfg.items)
	case cfg.produce < 0:
		return cfg, fmt.Errorf("-produce must not be negative, got %v",
			cfg.produce)
	case cfg.consume < 0:
		return cfg, fmt.Errorf("-consume must not be negative, got %v",
			cfg.consume)
	}
	return cfg, nil
}
