// The asleep command deadlocks on purpose, as -hang channel does in the
// deadlock lesson: a worker sends on an unbuffered channel, and main waits
// for the worker before it receives. Nothing else runs, so the runtime sees
// that every goroutine is blocked for good, and stops the program:
//
//	fatal error: all goroutines are asleep - deadlock!
//
// With -with, the program first starts something that could still wake a
// goroutine, as far as the runtime can tell, and the same deadlock then
// hangs, with no message:
//
//   - signal: signal.NotifyContext, as the workbook's lessons all call in
//     main, to catch Ctrl-C;
//   - stopped-signal: the same, with its stop function called at once;
//   - timer: a timer that fires in an hour (as a ticker, a timeout or a
//     time.Sleep in some goroutine would).
//
// Built with -race, it hangs even with nothing: the race detector links
// cgo, and the runtime does not call a cgo program deadlocked (C code
// could still wake a goroutine). So does importing net, with cgo enabled,
// which is why this program does not import it.
//
// This program is test data for the deadlock lesson, whose tests build and
// run it. Run it yourself with
//
//	go run ./lessons/deadlock/testdata/asleep [-with what]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"time"
)

func main() {
	with := flag.String("with", "nothing",
		"what else runs: nothing, signal, stopped-signal or timer")
	flag.Parse()

	// We start what -with names. Nothing here ever stops it: the program
	// ends only when the runtime stops it, or when it is killed.
	switch *with {
	case "nothing":
	case "signal":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		_ = ctx // the lessons pass ctx to run; here nothing needs it
	case "stopped-signal":
		_, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		stop() // too late: the goroutine that receives signals stays
	case "timer":
		time.AfterFunc(time.Hour, func() {})
	default:
		fmt.Fprintf(os.Stderr, "asleep: -with must be nothing, signal,"+
			" stopped-signal or timer, got %q\n", *with)
		os.Exit(1)
	}

	// The deadlock: the worker's send waits for a receiver, and we do not
	// receive until the worker has returned.
	fmt.Println("with " + *with + ": a worker sends on an unbuffered" +
		" channel; main waits for the worker before it receives")
	results := make(chan int)
	var wg sync.WaitGroup
	wg.Go(func() {
		results <- 42
	})
	wg.Wait()
	fmt.Println(<-results) // never reached
}
