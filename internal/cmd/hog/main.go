// The hog command keeps CPUs busy, to test the workbook under load as a
// busy CI runner or classroom machine would run it: make stress starts it
// beside the tests.
//
// Usage:
//
//	go run ./internal/cmd/hog [-n goroutines] [-for duration]
//
// It runs n goroutines (default 2) that spin until the duration has passed
// (default: until it is interrupted or killed).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

func main() {
	n := flag.Int("n", 2, "busy goroutines")
	d := flag.Duration("for", 0, "stop after this long (0: run until interrupted)")
	flag.Parse()
	if *n < 1 || *d < 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "hog: usage: hog [-n goroutines >= 1] [-for duration >= 0]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *d)
		defer cancel()
	}
	spin(ctx, *n)
}

// spin keeps n goroutines busy until ctx is done, and returns when they
// all have stopped.
func spin(ctx context.Context, n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			x := uint64(1)
			for ctx.Err() == nil {
				// A few thousand multiplications between looks at ctx:
				// busy enough to hold a core, and still prompt to stop.
				for range 1 << 12 {
					x = x*6364136223846793005 + 1442695040888963407
				}
			}
			sink.Store(x)
		})
	}
	wg.Wait()
}

// sink keeps the compiler from dropping the busy loop.
var sink atomic.Uint64
