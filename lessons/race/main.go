// The race command shows a data race: goroutines that add to one shared
// total without a lock lose updates, and the race detector reports it.
// It then replays a lost update step by step, with no data race at all, to
// show what the race detector can and cannot find.
//
// Ten goroutines each add 1 to the total a million times. The total should
// be 10 000 000; it comes out millions short, by a different amount on
// every run.
//
// Usage:
//
//	go run ./lessons/race [-goroutines n] [-n count]
//	go run -race ./lessons/race
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"sync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "race:", err)
		os.Exit(1)
	}
}

// run counts with the racy counter and reports the lost updates, then
// replays one lost update step by step. If ctx is done by the time the
// counter has finished, it returns ctx.Err() without the replay. Every
// goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	// We count with the racy counter and compare the total with what it
	// should be.
	fmt.Fprintf(w, "goroutines=%d n=%d: each goroutine does total += 1,"+
		" n times, with no lock\n", cfg.goroutines, cfg.n)
	report(w, cfg.goroutines*cfg.n, count(cfg.goroutines, cfg.n))

	// Note that count does not watch ctx: we keep its loop down to the
	// bare total += 1 that we want to show. The limit on -goroutines × -n
	// keeps it short, and we look at ctx once it is done.
	if err := ctx.Err(); err != nil {
		return err
	}

	// We replay the same bug slowly, with two goroutines that each add 1
	// once, in the order that loses an update.
	fmt.Fprintln(w)
	fmt.Fprintln(w, "step by step: two goroutines do total += 1 once each,"+
		" in turns set by channels")
	report(w, 2, stepwise(log.New(w, "", 0)))
	fmt.Fprintln(w, "  no data race here (the channels order every step),"+
		" yet one update is lost")
	return nil
}

// count starts goroutines goroutines that each add 1 to a shared total n
// times with no lock, waits for all of them, and returns the total. With
// more than one goroutine it has a data race, on purpose: it is the bug this
// lesson shows. The total it returns is then usually less than
// goroutines × n, by an amount that changes from run to run.
func count(goroutines, n int) int {
	// total is a local variable, and every closure below captures it: all
	// the goroutines share this one variable, and nothing guards it. This is
	// Python's global total, without the global.
	total := 0
	amount := 1

	// Each goroutine runs total += amount, n times, as each Python thread
	// did. Note that this is not one step but three: load total, add, store.
	// Two goroutines on two cores can both load 41 and both store 42: two
	// additions, and total grew by one, with nothing to report it. (On
	// amd64 the line is a single ADDQ instruction; the core still loads,
	// adds and stores, and another core can store in between.) A program
	// with a data race has no guarantees at all, and "some updates lost"
	// is the mild outcome (docs/concepts.md, "The memory model in one page").
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				total += amount // the data race: a load and a store, unguarded
			}
		})
	}

	// Reading total after wg.Wait is not part of the race: every
	// goroutine's last store happens before Wait returns. The damage is
	// already done, among the goroutines themselves.
	wg.Wait()
	return total
}

// stepwise replays total += 1 in two goroutines, A and B, one step at a
// time, in the order that loses an update: A loads, B loads, B stores, A
// stores. It logs each step and returns the final total, which is always 1.
//
// Channels hand the turn from one goroutine to the other, so every access to
// total is ordered before the next one: there is no data race, and the race
// detector stays silent. The update is lost all the same, because the order
// itself is wrong: a race condition, a bug in the logic, which no detector
// of unsynchronized memory accesses can see.
func stepwise(logger *log.Logger) int {
	total := 0
	aLoaded := make(chan struct{}) // closed by A after its load: B's turn
	bStored := make(chan struct{}) // closed by B after its store: A's turn
	var wg sync.WaitGroup

	// A loads total into v, its own copy (where a core would use a
	// register), and hands the turn to B. When B is done, A adds 1 to what
	// it loaded and stores it, overwriting B's update with the same value.
	wg.Go(func() {
		v := total
		logger.Printf("  A loads  total: %d", v)
		close(aLoaded)
		<-bStored
		total = v + 1
		logger.Printf("  A stores total: %d + 1 = %d", v, v+1)
	})

	// B waits for its turn, then loads, adds and stores in one go: it loads
	// the same 0 that A loaded, because A has not stored yet.
	wg.Go(func() {
		<-aLoaded
		v := total
		logger.Printf("  B loads  total: %d", v)
		total = v + 1
		logger.Printf("  B stores total: %d + 1 = %d", v, v+1)
		close(bStored)
	})

	wg.Wait()
	return total
}

// report prints the total we expected, the total we got, and how many
// updates were lost, as a count and as a share of the expected total.
func report(w io.Writer, expected, actual int) {
	lost := expected - actual
	fmt.Fprintf(w, "  expected  %d\n", expected)
	fmt.Fprintf(w, "  actual    %d\n", actual)
	fmt.Fprintf(w, "  lost      %d (%.1f%%)\n",
		lost, 100*float64(lost)/float64(expected))
}
