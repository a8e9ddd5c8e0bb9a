// The mutex command shows how a sync.Mutex fixes the lost updates of the
// race lesson, how much code a lock should cover, and how TryLock asks for a
// lock without waiting. Ten goroutines count to exactly 10 000 000 in three
// ways; all three are correct, and only one keeps the goroutines parallel.
//
// Usage:
//
//	go run ./lessons/mutex [-goroutines n] [-n increments]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mutex:", err)
		os.Exit(1)
	}
}

// run counts to the same total with three locking strategies, then shows
// TryLock. It returns ctx.Err() if ctx is done between two strategies.
// Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d goroutines add 1 to a shared total, %d times each:"+
		" want %d\n\n", cfg.goroutines, cfg.n, cfg.goroutines*cfg.n)

	// We start with the direct fix for the race lesson: each increment is
	// now a call to add, which locks, adds and unlocks. The deferred Unlock
	// runs however add returns, as the end of Python's `with lock:` block
	// does. No update is lost, and `go run -race` is silent.
	fmt.Fprintf(w, "lock per increment        %d\n",
		lockPerIncrement(cfg.goroutines, cfg.n))
	if err := ctx.Err(); err != nil {
		return err
	}

	// Next we do what the Python notes do: hold the lock around the whole
	// loop. That is just as correct, but the goroutines now take turns: the
	// lock makes the program serial.
	total, unlocked := lockAroundLoop(cfg.goroutines, cfg.n)
	fmt.Fprintf(w, "lock around the loop      %d\n", total)
	if err := ctx.Err(); err != nil {
		return err
	}

	// Finally each goroutine counts in a local variable, which needs no
	// lock, and adds its sum to the shared total once, under the lock.
	// Note that the three print the same total at very different speeds
	// (bench_test.go times them): local sums count in parallel and meet at
	// the lock once; the lock per increment is the slowest by far, as the
	// goroutines fight over a lock and an unlock per increment.
	fmt.Fprintf(w, "local sums, merged once   %d\n",
		localSums(cfg.goroutines, cfg.n))
	if err := ctx.Err(); err != nil {
		return err
	}

	// The totals the goroutines saw as they unlocked show the turns: with
	// the lock around the loop, each goroutine ran its whole loop alone, so
	// it saw an exact multiple of n. The Python notes print the same column.
	fmt.Fprintln(w, "\nwith the lock around the loop,"+
		" the total as each goroutine unlocked:")
	for _, t := range unlocked {
		fmt.Fprintln(w, t)
	}

	// We take a lock and, while we hold it, ask for it again without
	// waiting, as Python's lock.acquire(False) does: TryLock returns false
	// at once. Note that Lock here would never return: a sync.Mutex is not
	// reentrant. Note too that correct uses of TryLock are rare (the sync
	// docs say so): if you would retry in a loop, call Lock and wait.
	fmt.Fprintln(w, "\nTryLock while the lock is held, then after Unlock:")
	var mu sync.Mutex
	mu.Lock()
	tryLock(w, &mu)
	mu.Unlock()
	tryLock(w, &mu)
	return nil
}

// A counter is a running total that is safe for concurrent use: every
// method holds mu while it reads or writes total, so one goroutine's
// read-add-write can never interleave with another's and lose an update.
// The zero value is a total of 0. A counter must not be copied after first
// use: the copy would have its own mutex, guarding nothing the original
// holds (go vet's copylocks check reports such copies).
type counter struct {
	mu    sync.Mutex // guards total
	total int
}

// add adds n to the total.
func (c *counter) add(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += n
}

// addOnes adds 1 to the total n times under a single Lock, and returns the
// total as it stood when it unlocked. Other goroutines calling any method
// wait until the whole loop is done.
func (c *counter) addOnes(n int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		c.total++
	}
	return c.total
}

// value returns the total.
func (c *counter) value() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// lockPerIncrement starts goroutines that each add 1 to one shared counter
// n times, taking the lock for every single increment, and returns the
// total once they have all finished.
func lockPerIncrement(goroutines, n int) int {
	var c counter
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				c.add(1)
			}
		})
	}
	wg.Wait()
	return c.value()
}

// lockAroundLoop starts goroutines that each hold the lock for their whole
// loop of n increments, and returns the total once they have all finished,
// with the total each goroutine saw as it unlocked, sorted.
func lockAroundLoop(goroutines, n int) (total int, unlocked []int) {
	var c counter
	var wg sync.WaitGroup
	// Each goroutine writes only its own element of unlocked, so the slice
	// needs no lock; we read it after wg.Wait, which every goroutine's
	// write happens before.
	unlocked = make([]int, goroutines)
	for i := range goroutines {
		wg.Go(func() {
			unlocked[i] = c.addOnes(n)
		})
	}
	wg.Wait()
	slices.Sort(unlocked)
	return c.value(), unlocked
}

// localSums starts goroutines that each count n in a local variable and
// add it to the shared counter once, and returns the total once they have
// all finished.
func localSums(goroutines, n int) int {
	var c counter
	var wg sync.WaitGroup
	for range goroutines {
		// sum belongs to one goroutine: no other can see it, so it needs
		// no lock. Only the one add at the end touches shared state.
		wg.Go(func() {
			sum := 0
			for range n {
				sum++
			}
			c.add(sum)
		})
	}
	wg.Wait()
	return c.value()
}

// tryLock asks for mu without waiting and says, in the words of the Python
// notes, whether it got it. When it got mu, it unlocks it before returning;
// when it did not, it leaves mu held by whoever holds it.
func tryLock(w io.Writer, mu *sync.Mutex) bool {
	if !mu.TryLock() {
		fmt.Fprintln(w, "couldn't get lock")
		return false
	}
	defer mu.Unlock()
	fmt.Fprintln(w, "got lock")
	return true
}
