// The event command shows how goroutines wait for something to happen:
// a start gate that one close of a channel opens for every waiter, an
// event that can be set, cleared and waited for with a timeout, a barrier
// that holds every worker until the last one arrives, and a context as the
// stop event that reaches every goroutine at once. They are Go's answers to
// Python's threading.Event and threading.Barrier.
//
// Every wait in the demo is for simulated work or setup: a sleep.
//
// Usage:
//
//	go run ./lessons/event [-workers n] [-open d] [-timeout d] [-work d] [-stop d]
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
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "event:", err)
		os.Exit(1)
	}
}

// run shows the four demos in turn: the start gate, the resettable event,
// the barrier and the stop event. It returns ctx.Err() if ctx is done
// first. Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	logger := log.New(w, "", 0)
	demos := []func(context.Context, *log.Logger, config) error{
		startGate, resettable, barrierRounds, stopEvent,
	}
	for i, demo := range demos {
		if i > 0 {
			logger.Print()
		}
		if err := demo(ctx, logger, cfg); err != nil {
			return err
		}
	}
	return nil
}

// startGate lets cfg.workers goroutines wait at a gate, then opens it for
// all of them at once with one close.
func startGate(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Printf("start gate: %d workers wait until we open it", cfg.workers)

	// A gate is a channel that nobody ever sends on. A receive from it
	// blocks until it is closed, and from then on succeeds at once, for
	// every receiver, forever: closing it is Python's event.set() for any
	// number of waiters, now and later.
	gate := make(chan struct{})

	// Closing a channel that is already closed panics. When more than one
	// goroutine may open the gate, we wrap the close in sync.OnceFunc, and
	// every call after the first does nothing.
	open := sync.OnceFunc(func() { close(gate) })

	begin := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.workers {
		id := i + 1
		wg.Go(func() {
			logger.Printf("worker %d: waiting at the gate", id)
			select {
			case <-gate: // opened: everyone goes through together
				logger.Printf("worker %d: through the gate at %v", id, since(begin))
			case <-ctx.Done(): // Ctrl-C
			}
		})
	}

	// We simulate the setup the workers wait for by sleeping, then open
	// the gate: one close, and every worker goes through at that moment.
	err := sleep(ctx, cfg.open)
	if err == nil {
		logger.Printf("opening the gate at %v", since(begin))
		open()
	}
	wg.Wait()
	if err != nil {
		return err // Ctrl-C: every worker has returned
	}

	// We open the gate a second time: sync.OnceFunc makes that harmless.
	// Note that a bare close would panic; closeTwice shows it on a
	// channel of its own.
	open()
	logger.Print("opening it again: nothing happens (sync.OnceFunc)")
	logger.Printf("a bare close, twice: panic: %v", closeTwice())

	// A goroutine that comes to the gate after it opened does not wait:
	// the receive succeeds at once. The check is Python's is_set().
	logger.Printf("latecomer: gate open: %t", isClosed(gate))
	<-gate
	logger.Printf("latecomer: through the gate at %v", since(begin))
	return nil
}

// closeTwice closes a new channel twice and returns the value the second
// close panics with.
func closeTwice() (panicked any) {
	ch := make(chan struct{})
	close(ch)
	defer func() { panicked = recover() }()
	close(ch)
	return nil
}

// isClosed reports whether ch is closed. It never blocks. It is meant for
// channels that are only ever closed, never sent on.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch: // closed
		return true
	default: // still open
		return false
	}
}

// resettable shows the event type: wait with a timeout that expires, set,
// is_set, clear, and a waiter released when we set the event again.
func resettable(ctx context.Context, logger *log.Logger, cfg config) error {
	ev := newEvent()
	logger.Printf("event: is_set: %t", ev.IsSet())

	// We wait with a timeout for an event nobody sets: WaitTimeout reports
	// false when the timeout passes, as Python's wait(timeout) does.
	begin := time.Now()
	ok := ev.WaitTimeout(ctx, cfg.timeout)
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Printf("event: wait(%v) returned %t after %v: nobody set it",
		cfg.timeout, ok, since(begin))

	// Once it is set, a wait returns true at once, whatever the timeout.
	ev.Set()
	logger.Printf("event: set; is_set: %t", ev.IsSet())
	begin = time.Now()
	ok = ev.WaitTimeout(ctx, cfg.timeout)
	logger.Printf("event: wait(%v) returned %t after %v: it was set",
		cfg.timeout, ok, since(begin))

	// We clear the event, start a waiter, and set the event again after
	// some simulated work. Clearing swaps in a new channel, so the waiter
	// blocks on that one until the next Set closes it.
	ev.Clear()
	logger.Printf("event: clear; is_set: %t", ev.IsSet())
	begin = time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		logger.Print("waiter: waiting for the event")
		if ev.Wait(ctx) == nil {
			logger.Printf("waiter: released after %v", since(begin))
		}
	}()
	err := sleep(ctx, cfg.work)
	if err == nil {
		logger.Printf("event: set again after %v", since(begin))
		ev.Set()
	}
	<-done // the waiter returns on Set, or on Ctrl-C
	return err
}

// An event is Python's threading.Event: a flag that goroutines can set,
// clear and wait for. Make one with newEvent; the zero value is not
// usable, and an event must not be copied after first use. All methods
// may be called from any number of goroutines at once.
//
// A Set synchronizes before the return of every Wait and WaitTimeout that
// it releases, and before every IsSet that reports true after it (see
// https://go.dev/ref/mem).
type event struct {
	mu  sync.Mutex    // guards ch and set
	ch  chan struct{} // closed by Set; replaced by a new one by Clear
	set bool          // ch is closed
}

// newEvent returns an event that is not set.
func newEvent() *event {
	return &event{ch: make(chan struct{})}
}

// Set sets the event and releases every goroutine waiting for it. Waits
// that start while it stays set return at once. Setting a set event does
// nothing.
func (e *event) Set() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.set {
		close(e.ch)
		e.set = true
	}
}

// Clear resets the event: waits that start after it block until the next
// Set. Clearing an event that is not set does nothing.
func (e *event) Clear() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.set {
		// We cannot reopen a closed channel, so we swap in a new one.
		// Goroutines released by the old one have already been woken.
		e.ch = make(chan struct{})
		e.set = false
	}
}

// IsSet reports whether the event is set. It never blocks for long (only
// for the lock), and the answer may be stale by the time the caller acts
// on it.
func (e *event) IsSet() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.set
}

// done returns the channel that the next Set closes, or the closed one if
// the event is set.
//
// Note that waiters take the channel under the lock, once, and then wait
// on it. A waiter that checked IsSet and then waited on e.ch as it found
// it later could miss a Set followed at once by a Clear: the Set closes a
// channel it has not taken yet, the Clear swaps in a fresh one, and it
// waits for a Set that already happened (the lost wake-up).
func (e *event) done() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ch
}

// Wait blocks until the event is set or ctx is done. It returns nil if a
// Set released it (even if the event was cleared again since), or
// ctx.Err(). If the event is set when Wait is called, it returns nil at
// once, even if ctx is done.
func (e *event) Wait(ctx context.Context) error {
	done := e.done()
	// We look first without waiting: when both cases below are ready,
	// select picks one at random
	// (docs/concepts.md, "When several cases are ready").
	if isClosed(done) {
		return nil
	}
	select {
	case <-done: // a Set closed the channel we took
		return nil
	case <-ctx.Done(): // cancelled or past its deadline
		return ctx.Err()
	}
}

// WaitTimeout is Python's wait(timeout): it blocks until the event is set,
// d has passed, or ctx is done, and reports whether a Set released it. If
// the event is set when it is called, it reports true at once, even if
// d <= 0. It leaves no timer or goroutine behind.
func (e *event) WaitTimeout(ctx context.Context, d time.Duration) bool {
	done := e.done()
	if isClosed(done) {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if a Set comes first
	select {
	case <-done: // set before the timeout
		return true
	case <-timer.C: // the timeout passed first
		return false
	case <-ctx.Done(): // Ctrl-C: the caller checks ctx.Err()
		return false
	}
}

// barrierRounds runs cfg.workers workers through two rounds of simulated
// work, with a barrier at the end of each round.
func barrierRounds(ctx context.Context, logger *log.Logger, cfg config) error {
	const rounds = 2
	logger.Printf("barrier: %d workers, %d rounds; none leaves a round "+
		"until all %d have arrived", cfg.workers, rounds, cfg.workers)

	// One barrier serves every round: when the last worker arrives, it
	// releases the round and starts the next one.
	b := newBarrier(cfg.workers)
	begin := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.workers {
		id := i + 1
		wg.Go(func() {
			for round := range rounds {
				// We simulate each worker's share of the round by sleeping:
				// in the first round worker 1 is the quickest, in the
				// second the slowest. Whoever comes last, everyone waits.
				units := id
				if round == 1 {
					units = cfg.workers + 1 - id
				}
				if sleep(ctx, time.Duration(units)*cfg.work) != nil {
					return // Ctrl-C
				}
				logger.Printf("round %d: worker %d arrives at %v",
					round+1, id, since(begin))
				if b.Wait(ctx) != nil {
					return // Ctrl-C
				}
				logger.Printf("round %d: worker %d leaves at %v",
					round+1, id, since(begin))
			}
		})
	}

	// Note that wg.Wait is a join, not a barrier: it lets one goroutine
	// wait for the others to finish. At a barrier the workers wait for
	// each other, and then carry on.
	wg.Wait()
	return ctx.Err()
}

// A barrier holds each party that calls Wait until n parties have called
// it, then releases them all and starts over for the next round: Python's
// threading.Barrier(n). Make one with newBarrier; it must not be copied
// after first use.
//
// The last arrival of a round synchronizes before the return of every
// Wait of that round.
type barrier struct {
	n int // parties per round

	mu      sync.Mutex    // guards arrived and release
	arrived int           // parties in the current round so far
	release chan struct{} // closed when the current round is complete
}

// newBarrier returns a barrier for n parties; n must be at least 1.
func newBarrier(n int) *barrier {
	if n < 1 {
		panic("event: a barrier needs at least 1 party")
	}
	return &barrier{n: n, release: make(chan struct{})}
}

// Wait blocks until n parties, this one included, have called Wait in the
// current round, or until ctx is done. It returns nil when the round is
// complete, or ctx.Err(). A party that leaves on ctx still counts as
// arrived, so the round it left can complete without it, early: give every
// party the same ctx, and stop using the barrier once ctx is done. (Python
// calls such a barrier broken.)
func (b *barrier) Wait(ctx context.Context) error {
	release := b.arrive()
	if isClosed(release) {
		return nil // we were the last: the round is complete
	}
	select {
	case <-release: // the last party of our round arrived
		return nil
	case <-ctx.Done(): // cancelled
		return ctx.Err()
	}
}

// arrive counts one more party in the current round and returns the
// channel that releases the round. The last party closes it and starts the
// next round with a fresh channel; the others wait on the channel they
// took, so a quick party that starts the next round at once cannot be
// confused with a slow one still leaving the last.
func (b *barrier) arrive() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	release := b.release
	b.arrived++
	if b.arrived == b.n {
		close(release)
		b.arrived = 0
		b.release = make(chan struct{})
	}
	return release
}

// errShutdown is the cause we give when we stop the workers.
var errShutdown = errors.New("shutdown requested")

// longJob is how long each worker's job in the stop demo would take. It is
// longer than any -stop, so the stop always comes first.
const longJob = time.Hour

// stopEvent starts workers on a long job and stops them all with one
// cancel of a context.
func stopEvent(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Printf("stop: %d workers start a %v job; we stop them after %v",
		cfg.workers, longJob, cfg.stop)

	// A context is the standard stop event in Go: ctx.Done() is a channel
	// that is closed when the context is cancelled, so one cancel reaches
	// every goroutine that waits on it. WithCancelCause lets us say why;
	// context.Cause reports it, while ctx.Err() stays context.Canceled.
	// Because stopCtx derives from ctx, Ctrl-C cancels it too.
	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)

	begin := time.Now()
	var wg sync.WaitGroup
	for i := range cfg.workers {
		id := i + 1
		wg.Go(func() {
			logger.Printf("worker %d: working", id)
			err := sleep(stopCtx, longJob) // simulated work
			if err == nil {
				logger.Printf("worker %d: job done", id)
				return
			}
			logger.Printf("worker %d: stopped at %v: %v; cause: %v",
				id, since(begin), err, context.Cause(stopCtx))
		})
	}

	err := sleep(ctx, cfg.stop)
	if err == nil {
		logger.Printf("stopping at %v: cancel(%v)", since(begin), errShutdown)
		stop(errShutdown)
	}
	wg.Wait()
	if err != nil {
		return err // Ctrl-C: every worker has returned
	}
	logger.Print("stop: every worker has returned")
	return nil
}

// sleep waits d, or until ctx is done, whichever comes first. It returns
// nil once d has passed (at once if d <= 0, as time.Sleep does), and
// ctx.Err() if ctx is done first, or already. In a lesson the sleep stands
// for real work or I/O; unlike time.Sleep, it ends as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	// We look at ctx first: when both cases below are ready, select picks
	// one at random (docs/concepts.md, "When several cases are ready").
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if ctx is done first
	select {
	case <-timer.C: // d has passed: the work is done
		return nil
	case <-ctx.Done(): // cancelled, or Ctrl-C: give up now
		return ctx.Err()
	}
}

// since returns the time since begin to a tenth of a second: a real run is
// late by microseconds, which would only be noise.
func since(begin time.Time) time.Duration {
	return time.Since(begin).Truncate(100 * time.Millisecond)
}
