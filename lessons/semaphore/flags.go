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

// maxDownloads keeps the printed lines of ids readable.
const maxDownloads = 1000

// config holds the lesson's flags.
type config struct {
	downloads int            // how many downloads to run
	limit     int            // how many may be in flight at once
	sleep     time.Duration  // how long each simulated download takes
	show      timeline.Flags // -timeline, -ascii, -width and -trace
}

// resolution is the precision of the times printed: a tenth of -sleep, or
// a tenth of a second with -sleep 0. Starting goroutines and handing over
// slots takes microseconds, which would only be noise.
func (cfg config) resolution() time.Duration {
	return cmp.Or(cfg.sleep/10, 100*time.Millisecond)
}

// parseFlags parses and checks args. For -h it prints the usage to w and
// returns flag.ErrHelp.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("semaphore", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors reach the user through run's error
	fs.IntVar(&cfg.downloads, "downloads", 10, "how many downloads to run")
	fs.IntVar(&cfg.limit, "limit", 3, "how many downloads may be in flight at once")
	fs.DurationVar(&cfg.sleep, "sleep", time.Second,
		"how long each simulated download takes")
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
	case cfg.downloads < 1 || cfg.downloads > maxDownloads:
		return cfg, fmt.Errorf("-downloads must be from 1 to %d, got %d",
			maxDownloads, cfg.downloads)
	case cfg.limit < 1:
		return cfg, fmt.Errorf("-limit must be at least 1, got %d", cfg.limit)
	case cfg.sleep < 0:
		return cfg, fmt.Errorf("-sleep must not be negative, got %v", cfg.sleep)
	}
	return cfg, cfg.show.Check()
}
