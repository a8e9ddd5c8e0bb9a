package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// config is what the flags set.
type config struct {
	unit time.Duration  // how long one second of the notes lasts
	show timeline.Flags // -timeline, -ascii, -width and -trace
}

// parseFlags parses the lesson's flags.
func parseFlags(w io.Writer, args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("concurrently", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.unit, "unit", time.Second,
		"how long one second of the notes' sleeps lasts (0: no waiting)")
	cfg.show.Register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(w)
			fs.PrintDefaults()
		}
		return cfg, err
	}
	switch {
	case fs.NArg() > 0:
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case cfg.unit < 0:
		return cfg, fmt.Errorf("-unit must not be negative, got %v", cfg.unit)
	}
	return cfg, cfg.show.Check()
}
