package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"time"
)

// config holds the command's flags.
type config struct {
	nats    string        // the URL of a NATS server to use, or "" for the embedded one
	workers int           // goroutine workers in section 3
	procs   int           // worker processes in section 5
	ackWait time.Duration // the consumer's AckWait

	// Worker mode: this binary, started again by the lesson (or by you,
	// on any machine that reaches the server), is one worker process.
	worker bool   // run as a worker process
	name   string // the worker's name in what it prints
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("taskqueue", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.StringVar(&cfg.nats, "nats", "",
		"URL of a NATS server with JetStream, such as nats://127.0.0.1:4222"+
			" (default: an embedded server)")
	fs.IntVar(&cfg.workers, "workers", 3, "worker goroutines in section 3, 1 to 16")
	fs.IntVar(&cfg.procs, "procs", 2, "worker processes in section 5, 2 to 8")
	fs.DurationVar(&cfg.ackWait, "ackwait", time.Second,
		"how long the server waits for a job's ack before it delivers the job again, 100ms to 1m")
	fs.BoolVar(&cfg.worker, "worker", false,
		"be a worker process: pull jobs from the lesson's queue at -nats until interrupted")
	fs.StringVar(&cfg.name, "name", "worker", "the worker's name, with -worker")
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
	case cfg.nats != "" && !isNATSURL(cfg.nats):
		return cfg, fmt.Errorf("-nats must be a URL such as nats://127.0.0.1:4222, got %q", cfg.nats)
	case cfg.worker && cfg.nats == "":
		return cfg, errors.New("-worker needs -nats: the URL of the server that holds the queue")
	case cfg.workers < 1 || cfg.workers > 16:
		return cfg, fmt.Errorf("-workers must be from 1 to 16, got %d", cfg.workers)
	case cfg.procs < 2 || cfg.procs > 8:
		return cfg, fmt.Errorf("-procs must be from 2 to 8, got %d", cfg.procs)
	case cfg.ackWait < 100*time.Millisecond || cfg.ackWait > time.Minute:
		return cfg, fmt.Errorf("-ackwait must be from 100ms to 1m, got %v", cfg.ackWait)
	}
	return cfg, nil
}

// isNATSURL reports whether s is a URL a NATS client can dial: a nats or
// tls scheme and a host.
func isNATSURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "nats" || u.Scheme == "tls") && u.Host != ""
}
