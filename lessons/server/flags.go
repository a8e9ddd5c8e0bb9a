package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// maxClients keeps the clients of parts 1 and 3 few enough to read
// about.
const maxClients = 100

// config holds the lesson's flags.
type config struct {
	clients int           // how many clients WAIT at once in part 1
	limit   int           // how many connections the server holds at once in part 3
	idle    time.Duration // the read and write deadlines
	work    time.Duration // how long each request's simulated work takes
	grace   time.Duration // how long a graceful shutdown waits for requests
	racy    bool          // count HTTP hits without the lock: a data race
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.clients, "clients", 3,
		"how many clients wait at once, each in its own goroutine")
	fs.IntVar(&cfg.limit, "limit", 2,
		"how many connections the limited server holds at once")
	fs.DurationVar(&cfg.idle, "idle", time.Second,
		"how long the server waits for a request, or for an answer to be read")
	fs.DurationVar(&cfg.work, "work", 100*time.Millisecond,
		"how long each request's simulated work takes")
	fs.DurationVar(&cfg.grace, "grace", 2*time.Second,
		"how long a graceful shutdown lets the requests in progress finish")
	fs.BoolVar(&cfg.racy, "racy", false,
		"count the HTTP hits without a lock: a data race, for go run -race")
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
	case cfg.clients < 1 || cfg.clients > maxClients:
		return cfg, fmt.Errorf("-clients must be from 1 to %d, got %d",
			maxClients, cfg.clients)
	case cfg.limit < 1 || cfg.limit > maxClients:
		return cfg, fmt.Errorf("-limit must be from 1 to %d, got %d",
			maxClients, cfg.limit)
	case cfg.idle <= 0:
		return cfg, fmt.Errorf("-idle must be positive, got %v", cfg.idle)
	case cfg.work < 0:
		return cfg, fmt.Errorf("-work must not be negative, got %v", cfg.work)
	case cfg.grace < 0:
		return cfg, fmt.Errorf("-grace must not be negative, got %v", cfg.grace)
	}
	return cfg, nil
}
