// The goroutines command shows how to start goroutines and wait for them,
// how to ask whether one is still running, and how to join one with a
// timeout: Go's answers to Python's threading.Thread start, join, is_alive
// and join(timeout).
//
// Five workers each wait 3 seconds for simulated I/O. Started one after
// another, they finish together after 3 seconds, not 15.
//
// Usage:
//
//	go run ./lessons/goroutines [-workers n] [-sleep d] [-timeout d]
//	    [-timeline [-ascii] [-width n]] [-trace file]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines:", err)
		os.Exit(1)
	}
}

// A worker waits for one simulated I/O call. Where Python subclasses
// threading.Thread and overrides run(), Go needs no base class: we start a
// method call in a goroutine like any other call.
type worker struct {
	id    int           // goroutines have no names or ids: we give our own
	sleep time.Duration // how long the simulated I/O takes
	log   *log.Logger   // shared by all workers; safe for concurrent use
}

// Run waits w.sleep for simulated I/O, or until ctx is done, whichever
// comes first.
func (w *worker) Run(ctx context.Context) {
	w.log.Printf("worker %d: start", w.id)

	// We wait with sleep (at the end of this file), not time.Sleep, so
	// that the wait also ends when ctx is done. Note that nothing can stop
	// a goroutine from outside: Ctrl-C cancels ctx, and each goroutine has
	// to notice and return by itself.
	if err := sleep(ctx, w.sleep); err != nil {
		w.log.Printf("worker %d: stopped: %v", w.id, err)
		return
	}
	w.log.Printf("worker %d: done", w.id)
}

// run starts the workers and waits for them, then shows one goroutine's
// liveness and a join with a timeout. It returns ctx.Err() if ctx is done
// first. Every goroutine it starts has returned when it returns. With
// -timeline it ends with a chart of when each goroutine ran; with -trace
// it writes them to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record what each goroutine does as a span on its row, for
	// -timeline and -trace; without them obs is nil and records nothing.
	// The chart rounds its times to a tenth of the shorter of -sleep and
	// -timeout: starting and joining goroutines takes microseconds, which
	// would only be noise. Note that under load timers fire late, and a 3s
	// bar can come out 3.1s.
	cfg.show.Round = cmp.Or(min(cfg.sleep, cfg.timeout)/10, 100*time.Millisecond)
	ctx, obs, err := cfg.show.Start(ctx, "goroutines")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()

	// All goroutines print through one Logger: it writes each line in a
	// single call, one goroutine at a time, so lines never interleave.
	logger := log.New(w, "", 0)

	// We start one goroutine per worker with wg.Go, which runs the
	// function in a new goroutine and lets wg.Wait wait for it to return.
	// Each first waits at a start line, a channel we close once all of
	// them exist (closing a channel wakes every goroutine waiting on it),
	// so that we can count them before any can finish.
	before := runtime.NumGoroutine()
	startLine := make(chan struct{})
	var wg sync.WaitGroup
	for i := range cfg.workers {
		wk := &worker{id: i + 1, sleep: cfg.sleep, log: logger}
		wg.Go(func() {
			<-startLine
			end := obs.Start(ctx, fmt.Sprintf("worker %d", wk.id), "simulated I/O")
			defer end()
			wk.Run(ctx)
		})
	}

	// We print how many goroutines we added, not how many there are: the
	// count includes goroutines we did not start (main's,
	// signal.NotifyContext's, the test runner's). Note that it is a
	// snapshot, for diagnostics only: a count that keeps growing is a leak.
	logger.Printf("workers started: %d; runtime.NumGoroutine() rose by %d",
		cfg.workers, runtime.NumGoroutine()-before)

	// We let the workers go and wait for all of them to return: what a
	// loop of t.join() does in Python. They wait for their I/O at the same
	// time, so the whole group takes one sleep, not one per worker.
	begin := time.Now()
	close(startLine)
	wg.Wait()
	elapsed := time.Since(begin)
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C: every worker has stopped and returned
	}

	// We print the time to a tenth of the sleep, or of a second with
	// -sleep 0: as in the chart, the microseconds would only be noise.
	elapsed = elapsed.Truncate(cmp.Or(cfg.sleep/10, 100*time.Millisecond))
	logger.Printf("all %d workers done after %v; one after another: %v",
		cfg.workers, elapsed, time.Duration(cfg.workers)*cfg.sleep)

	// A WaitGroup says when a whole group is done, not whether one
	// goroutine is still running. For that the goroutine closes a done
	// channel when it returns: a closed channel stays closed, so anyone
	// can check it, any number of times. The waiter blocks until we
	// release it, so the lines below are the same on every run.
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		end := obs.Start(ctx, "waiter", "wait for release")
		defer end()
		select {
		case <-release: // we let it go
			logger.Print("waiter: released")
		case <-ctx.Done(): // Ctrl-C
		}
	}()
	logger.Printf("waiter started; alive: %t", alive(done))

	// We join with a timeout, Python's t.join(timeout). Note that the
	// timeout ends our wait, not the goroutine: the waiter is still alive
	// afterwards, and we still owe it a join.
	joined := joinTimeout(done, cfg.timeout)
	if err := ctx.Err(); err != nil {
		<-done // the waiter returns on Ctrl-C too
		return err
	}
	logger.Printf("join with a %v timeout: joined: %t; alive: %t",
		cfg.timeout, joined, alive(done))

	// We release the waiter and join it for good: a receive from done
	// returns once done is closed, like t.join() with no timeout.
	logger.Print("releasing the waiter")
	close(release)
	<-done
	logger.Printf("joined the waiter; alive: %t", alive(done))

	// Every goroutine has returned: we draw the chart (with -timeline).
	// Note that the workers' bars overlap from end to end.
	return obs.Render(w)
}

// alive reports whether the goroutine that closes done when it returns is
// still running: Python's t.is_alive(). It never blocks.
func alive(done <-chan struct{}) bool {
	// A select with a default case does not wait: it takes the default
	// when no other case is ready.
	select {
	case <-done: // closed: the goroutine has returned
		return false
	default: // not closed yet
		return true
	}
}

// joinTimeout waits until done is closed or d has passed, whichever comes
// first, and reports whether done was closed: Python's t.join(timeout)
// followed by a check of t.is_alive(). If done is already closed it
// reports true at once, whatever d is.
func joinTimeout(done <-chan struct{}, d time.Duration) bool {
	// We look first without waiting: when both cases below are ready,
	// select picks one at random
	// (docs/concepts.md, "When several cases are ready").
	if !alive(done) {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if done wins
	select {
	case <-done: // the goroutine returned first
		return true
	case <-timer.C: // d passed first
		return false
	}
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
