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

// maxRequests keeps a batch within what one process can hold open on
// loopback: each request in flight is a connection, with a file
// descriptor at each end.
const maxRequests = 1000

// config holds the lesson's flags.
type config struct {
	requests int            // how many requests in a batch
	delay    time.Duration  // how long the server takes to answer one
	limit    int            // how many may be in flight at once
	timeout  time.Duration  // each request's timeout
	deadline time.Duration  // the deadline for the whole batch, in section 6
	backoff  time.Duration  // the first wait before a retry, in section 7
	show     timeline.Flags // -timeline, -ascii, -width and -trace
}

// resolution is the precision of the times printed: a tenth of -delay,
// or a tenth of a second with -delay 0. Dialling, sending and scheduling
// take microseconds, which would only be noise.
func (cfg config) resolution() time.Duration {
	return cmp.Or(cfg.delay/10, 100*time.Millisecond)
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.requests, "requests", 100, "how many requests in a batch")
	fs.DurationVar(&cfg.delay, "delay", 100*time.Millisecond,
		"how long the test server takes to answer a request")
	fs.IntVar(&cfg.limit, "limit", 10, "how many requests may be in flight at once")
	fs.DurationVar(&cfg.timeout, "timeout", 250*time.Millisecond,
		"each request's timeout (http.Client.Timeout)")
	fs.DurationVar(&cfg.deadline, "deadline", 550*time.Millisecond,
		"the deadline for a whole batch, in section 6")
	fs.DurationVar(&cfg.backoff, "backoff", 100*time.Millisecond,
		"how long to wait before the first retry (doubled for each next one)")
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
	case cfg.requests < 1 || cfg.requests > maxRequests:
		return cfg, fmt.Errorf("-requests must be from 1 to %d, got %d",
			maxRequests, cfg.requests)
	case cfg.delay < 0:
		return cfg, fmt.Errorf("-delay must not be negative, got %v", cfg.delay)
	case cfg.limit < 1:
		return cfg, fmt.Errorf("-limit must be at least 1, got %d", cfg.limit)
	case cfg.timeout <= 0:
		return cfg, fmt.Errorf("-timeout must be positive, got %v", cfg.timeout)
	case cfg.deadline <= 0:
		return cfg, fmt.Errorf("-deadline must be positive, got %v", cfg.deadline)
	case cfg.backoff < 0:
		return cfg, fmt.Errorf("-backoff must not be negative, got %v", cfg.backoff)
	}
	return cfg, cfg.show.Check()
}
