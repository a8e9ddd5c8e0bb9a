// The select command shows how one goroutine waits on several channels at
// once: select and its random choice among ready cases, default for a
// send or receive that never waits, timeouts with time.After and with a
// reusable time.Timer, the for-select loop, a nil channel that switches a
// case off, and context cancellation and deadlines as the standard way to
// stop work. They are Go's answers to asyncio.wait_for, asyncio.wait with
// FIRST_COMPLETED, asyncio.timeout and task.cancel().
//
// Every long call in the demo is simulated: a wait that only a cancelled
// context can cut short.
//
// Usage:
//
//	go run ./lessons/select [-rounds n] [-timeout d] [-tick d]
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
		fmt.Fprintln(os.Stderr, "select:", err)
		os.Exit(1)
	}
}

// run shows the demos in turn. It returns ctx.Err() if ctx is done first.
// Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	// All goroutines print through one Logger, so lines never interleave.
	logger := log.New(w, "", 0)
	demos := []func(context.Context, *log.Logger, config) error{
		randomChoice, nonBlocking, timeoutAfter, idleTimer, merge,
		deadline, cause, afterFunc,
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

// randomChoice runs a select whose two cases are both ready, many times.
func randomChoice(_ context.Context, logger *log.Logger, cfg config) error {
	a, b := pick(cfg.rounds)
	// We print only what is certain: over 1000 rounds, the chance that one
	// case is never chosen is 2 in 2^1000. The counts themselves vary.
	logger.Printf("random: %d rounds with both cases ready: "+
		"both cases were chosen: %t", cfg.rounds, a > 0 && b > 0)
	return nil
}

// pick runs rounds selects on two closed channels and returns how often
// each case was chosen.
func pick(rounds int) (a, b int) {
	// A receive from a closed channel never waits, so both cases are
	// ready in every round. Note that select does not take the first ready
	// case in source order, as a switch would: it picks one uniformly at
	// random, so that no case can starve another (docs/concepts.md, "When
	// several cases are ready").
	chA, chB := make(chan struct{}), make(chan struct{})
	close(chA)
	close(chB)
	for range rounds {
		select {
		case <-chA:
			a++
		case <-chB:
			b++
		}
	}
	return a, b
}

// nonBlocking shows a receive and a send that never wait.
func nonBlocking(_ context.Context, logger *log.Logger, _ config) error {
	// A select with a default case does not wait: when no other case is
	// ready, it takes the default at once. That is Python's
	// queue.get_nowait() and put_nowait(), with a bool instead of the
	// Empty and Full exceptions.
	ch := make(chan int, 1)
	v, ok := tryReceive(ch)
	logger.Printf("default: tryReceive on an empty channel: %d, %t", v, ok)
	logger.Printf("default: trySend(1) on a channel with a free slot: %t",
		trySend(ch, 1))
	logger.Printf("default: trySend(2) on a full channel: %t", trySend(ch, 2))
	v, ok = tryReceive(ch)
	logger.Printf("default: tryReceive: %d, %t", v, ok)
	return nil
}

// tryReceive receives from ch if a value is ready, and reports whether it
// did. It never blocks.
func tryReceive(ch <-chan int) (int, bool) {
	select {
	case v := <-ch: // a value was ready
		return v, true
	default: // nothing ready: do not wait
		return 0, false
	}
}

// trySend sends v on ch if the send can happen now, and reports whether
// it did. It never blocks.
func trySend(ch chan<- int, v int) bool {
	select {
	case ch <- v: // a receiver or a free buffer slot was ready
		return true
	default: // the send would wait: give up
		return false
	}
}

// hang is how long the demo's stuck calls would take if nobody stopped
// them: longer than any -timeout, so the timeout always comes first.
const hang = time.Hour

// slowCall stands in for a call (a query, a download) that takes d. It
// returns its answer when d has passed, or ctx.Err() if ctx is done first.
func slowCall(ctx context.Context, d time.Duration) (string, error) {
	if err := sleep(ctx, d); err != nil {
		return "", err // the caller gave up: stop now
	}
	return "the answer", nil
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

// A result is what a call sends back from its goroutine.
type result struct {
	answer string
	err    error
}

// timeoutAfter waits for a call that hangs, for at most cfg.timeout.
func timeoutAfter(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Printf("time.After: a call that hangs; we wait at most %v",
		cfg.timeout)

	// We run the call in a goroutine, with a context of its own so that
	// we can stop it. Note the result channel's buffer of one: unbuffered,
	// a call that finished after we gave up would block forever on its
	// send, a leak.
	callCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		answer, err := slowCall(callCtx, hang)
		results <- result{answer, err}
	})

	// The select waits for whichever comes first: the result, the
	// timeout, or Ctrl-C. time.After(d) is a channel that receives once d
	// has passed: asyncio.wait_for in one case.
	begin := time.Now()
	select {
	case r := <-results: // the call answered in time
		logger.Printf("time.After: answer %q after %v", r.answer, since(begin))
		wg.Wait()
		return nil
	case <-time.After(cfg.timeout): // it did not
		logger.Printf("time.After: gave up after %v", since(begin))
	case <-ctx.Done(): // Ctrl-C: callCtx, made from ctx, is done too
		wg.Wait()
		return ctx.Err()
	}

	// Note that the timeout ended our wait, not the call. We cancel its
	// context, which makes it return, and join its goroutine; its result
	// is then in the channel's buffer.
	cancel()
	wg.Wait()
	r := <-results
	logger.Printf("time.After: cancelled the call; it returned at %v: %v",
		since(begin), r.err)
	return nil
}

// idleTimer reads messages until none has come for cfg.timeout.
func idleTimer(ctx context.Context, logger *log.Logger, cfg config) error {
	// Three messages wait in the inbox; then it stays quiet.
	inbox := make(chan string, 3)
	for _, m := range []string{"hello", "how are you", "bye"} {
		inbox <- m
	}
	logger.Printf("timer: read until the inbox is quiet for %v", cfg.timeout)

	// A for-select loop waits for several things, again and again. For
	// the idle timeout we make one time.Timer and Reset it after each
	// message, rather than a new time.After every round: before Go 1.23
	// each of those stayed in memory until it fired. (Since Go 1.23, Reset
	// also leaves no stale value in timer.C to drain.)
	idle := time.NewTimer(cfg.timeout)
	defer idle.Stop()
	begin := time.Now()
	received := func(m string) {
		logger.Printf("timer: got %q at %v; Reset(%v)", m, since(begin),
			cfg.timeout)
		idle.Reset(cfg.timeout)
	}
	for {
		// Note that select has no priority: with -timeout 0 a message and
		// the timer are ready at once. We want messages first, so we look
		// at the inbox first, without waiting.
		select {
		case m := <-inbox: // a message is waiting: it goes first
			received(m)
			continue
		default: // the inbox is empty: wait below
		}
		select {
		case m := <-inbox: // a message came
			received(m)
		case <-idle.C: // nothing came for cfg.timeout
			logger.Printf("timer: quiet for %v: stopped reading at %v",
				cfg.timeout, since(begin))
			return nil
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
	}
}

// merge reads two channels until both are closed.
func merge(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Print("nil channel: merge a and b until both are closed")

	// Two producers send at different times, every other tick, and close
	// their channels when they are done.
	var wg sync.WaitGroup
	mergeCtx, cancel := context.WithCancel(ctx)
	defer wg.Wait() // runs after cancel: the producers have stopped
	defer cancel()
	a := produce(mergeCtx, &wg, "a", 3, cfg.tick, 2*cfg.tick)
	b := produce(mergeCtx, &wg, "b", 2, 2*cfg.tick, 2*cfg.tick)

	// A receive from a closed channel succeeds at once, forever, with the
	// zero value: if we kept a closed channel in the select, its case
	// would be chosen again and again. A receive from a nil channel never
	// succeeds, so setting a closed channel to nil switches its case off.
	begin := time.Now()
	n := 0
	for a != nil || b != nil {
		select {
		case v, ok := <-a: // a sent a value, or is closed
			if !ok {
				logger.Printf("nil channel: a closed at %v: a = nil", since(begin))
				a = nil
				continue
			}
			logger.Printf("nil channel: %s at %v", v, since(begin))
			n++
		case v, ok := <-b: // the same for b
			if !ok {
				logger.Printf("nil channel: b closed at %v: b = nil", since(begin))
				b = nil
				continue
			}
			logger.Printf("nil channel: %s at %v", v, since(begin))
			n++
		case <-ctx.Done(): // Ctrl-C: the deferred cancel stops the producers
			return ctx.Err()
		}
	}
	logger.Printf("nil channel: both closed; %d values", n)
	return nil
}

// produce starts a goroutine that sends n values named name1, name2, ...
// on the returned channel, the first after first and then one every
// every, and closes the channel after the last. It stops early, and
// closes the channel, when ctx is done. wg waits for the goroutine.
func produce(ctx context.Context, wg *sync.WaitGroup, name string, n int,
	first, every time.Duration) <-chan string {
	ch := make(chan string)
	wg.Go(func() {
		defer close(ch)
		wait := first
		for i := range n {
			if _, err := slowCall(ctx, wait); err != nil {
				return
			}
			select {
			case ch <- fmt.Sprintf("%s%d", name, i+1): // the merge took it
			case <-ctx.Done(): // nobody will take it
				return
			}
			wait = every
		}
	})
	return ch
}

// workers is how many goroutines the context demo stops.
const workers = 3

// deadline stops a group of stuck calls with one context deadline.
func deadline(ctx context.Context, logger *log.Logger, cfg config) error {
	// context.WithTimeout(ctx, d) is done at the deadline, when cancel is
	// called, or when its parent (here Ctrl-C) is done, whichever comes
	// first. Every call that waits on its Done stops then: one timeout for
	// a whole group of calls, however deeply nested (asyncio.timeout does
	// this for one block of code).
	begin := time.Now()
	dctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel() // frees the context's timer if we finish early
	when, _ := dctx.Deadline()
	logger.Printf("context: WithTimeout(%v): the deadline is %v away; "+
		"%d calls that hang", cfg.timeout,
		when.Sub(begin).Truncate(10*time.Millisecond), workers)

	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			_, err := slowCall(dctx, hang)
			logger.Printf("context: call %d stopped at %v: %v", i+1,
				since(begin), err)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C: every call has returned
	}
	logger.Printf("context: every call has returned; ctx.Err() = %v",
		dctx.Err())
	return nil
}

// errReplica is the cause the demo gives for its cancel.
var errReplica = errors.New("replica 2 answered first")

// cause cancels a call with a reason.
func cause(ctx context.Context, logger *log.Logger, cfg config) error {
	// ctx.Err() says only that a context was cancelled, or that its
	// deadline passed. WithCancelCause's cancel takes an error, the
	// cause, and context.Cause reports it; ctx.Err() stays
	// context.Canceled, so errors.Is checks keep working.
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	logger.Printf("cause: a call that hangs; we cancel it after %v", cfg.tick)

	begin := time.Now()
	errc := make(chan error, 1) // the call's error; buffered so the send never waits
	var wg sync.WaitGroup
	wg.Go(func() {
		_, err := slowCall(cctx, hang)
		errc <- err
	})
	_, err := slowCall(ctx, cfg.tick) // simulated: replica 2 answers
	if err == nil {
		cancel(errReplica)
	}
	wg.Wait()
	if err != nil {
		return err // Ctrl-C: the call saw it too, and has returned
	}
	logger.Printf("cause: the call returned at %v: %v; cause: %v",
		since(begin), <-errc, context.Cause(cctx))
	return nil
}

// afterFunc runs a function when a context is done.
func afterFunc(ctx context.Context, logger *log.Logger, _ config) error {
	// context.AfterFunc(ctx, f) runs f in a goroutine of its own once ctx
	// is done. It is for code that cannot select on ctx.Done(): f can
	// close a connection that a read is blocked on, or Broadcast a
	// sync.Cond. The stop function it returns unregisters f, and reports
	// whether it did so before f started.
	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan struct{}) // closed by f: the join point of f's goroutine
	stop := context.AfterFunc(actx, func() {
		logger.Printf("afterfunc: f runs: %v", actx.Err())
		close(ran)
	})
	logger.Print("afterfunc: registered f; now we cancel")
	cancel()
	<-ran
	logger.Printf("afterfunc: stop() after f ran: %t", stop())

	// Stopped in time, f never runs, and no goroutine is started. (We
	// derive this context from Background, not ctx, so that not even
	// Ctrl-C can cancel it before the stop.)
	later, cancelLater := context.WithCancel(context.Background())
	stopLater := context.AfterFunc(later, func() {
		logger.Print("afterfunc: never printed")
	})
	logger.Printf("afterfunc: stop() before the cancel: %t; f will never run",
		stopLater())
	cancelLater()
	return ctx.Err()
}

// since returns the time since begin to a hundredth of a second: a real
// run is late by microseconds, which would only be noise.
func since(begin time.Time) time.Duration {
	return time.Since(begin).Truncate(10 * time.Millisecond)
}
