// The async command shows what Go does instead of Python's asyncio: no
// event loop to run, no async def and no await. We write plain blocking
// code and run it in goroutines; the runtime's scheduler and its network
// poller play the part of the event loop.
//
// Ten thousand tasks each wait 1 second for simulated I/O, at the same
// time: together they take about 1 second and a few kilobytes of memory
// each. Then one task gets a deadline, Go's asyncio.wait_for. Last, a
// generator written two ways: as a goroutine feeding a channel, and as a
// range-over-func iterator (iter.Seq), which needs no goroutine at all.
//
// Usage:
//
//	go run ./lessons/async [-tasks n] [-wait d]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"log"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "async:", err)
		os.Exit(1)
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

// run starts the tasks, gathers them, runs one task with a deadline and
// then the two generators. It returns ctx.Err() if ctx is done first.
// Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	logger := log.New(w, "", 0)

	if err := gather(ctx, logger, cfg); err != nil {
		return err
	}
	if err := waitFor(ctx, logger, cfg.wait); err != nil {
		return err
	}
	logger.Print("")
	if err := channelGenerator(ctx, logger); err != nil {
		return err
	}
	iterator(logger)
	return nil
}

// gather starts cfg.tasks goroutines that each wait cfg.wait for simulated
// I/O, and waits for all of them: asyncio.gather over cfg.tasks
// coroutines. It prints how many goroutines and how much memory they took.
func gather(ctx context.Context, logger *log.Logger, cfg config) error {
	// We start the tasks in an errgroup, asyncio.gather or a TaskGroup:
	// g.Wait waits for all of them and returns the first error, which
	// cancels gctx for the others. Each task calls sleep, our simulated
	// I/O: an ordinary blocking function, where asyncio would need async
	// defs all the way up to asyncio.run. Each task first waits at a start
	// line, a channel we close once all of them exist, so that we can
	// count them and their memory before any has finished.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutinesBefore := runtime.NumGoroutine()
	startLine := make(chan struct{})
	g, gctx := errgroup.WithContext(ctx)
	for range cfg.tasks {
		g.Go(func() error {
			<-startLine
			return sleep(gctx, cfg.wait)
		})
	}

	// We print how many more goroutines and how much more memory (stacks
	// and heap) are in use than before. Note that the memory figure varies
	// from run to run: the runtime reuses the stacks and heap of ended
	// goroutines, and sizes new stacks by the average it has seen.
	goroutines := runtime.NumGoroutine() - goroutinesBefore
	runtime.ReadMemStats(&after)
	used := max(0, int64(after.StackInuse+after.HeapInuse)-
		int64(before.StackInuse+before.HeapInuse))
	logger.Printf("%d tasks started, each waiting %v for simulated I/O",
		cfg.tasks, cfg.wait)
	logger.Printf("runtime.NumGoroutine() rose by %d", goroutines)
	logger.Printf("memory in use rose by %d KiB: about %d bytes per task "+
		"(varies from run to run)", used/1024, used/int64(cfg.tasks))

	// We let them go and wait for all of them. They wait at the same time,
	// so the whole group takes one wait, not one per task. There is no
	// event loop to run: a goroutine blocked on a timer or a socket is
	// parked by the runtime, and its thread runs other goroutines.
	begin := time.Now()
	close(startLine)
	if err := g.Wait(); err != nil {
		return err // Ctrl-C: every task has stopped and returned
	}
	logger.Printf("all %d tasks done after %v; one after another: %v",
		cfg.tasks, round(time.Since(begin), cfg.wait),
		time.Duration(cfg.tasks)*cfg.wait)
	return nil
}

// waitFor runs one task of d with a deadline of d/2: asyncio.wait_for with
// a timeout. It returns an error only if ctx is done.
func waitFor(ctx context.Context, logger *log.Logger, d time.Duration) error {
	// We give the task a context with a deadline. Note that the deadline
	// does not stop the task from outside: the task sees ctx.Done() and
	// returns by itself, where asyncio throws CancelledError into the
	// coroutine at its next await.
	begin := time.Now()
	tctx, cancel := context.WithTimeout(ctx, d/2)
	err := sleep(tctx, d)
	cancel()
	if ctx.Err() != nil {
		return ctx.Err() // Ctrl-C, not our deadline
	}
	logger.Printf("wait_for: a %v task with a %v deadline: %v after %v",
		d, d/2, err, round(time.Since(begin), d))
	return nil
}

// fibonacciChan starts a goroutine that sends the Fibonacci numbers on the
// returned channel, one at a time, for as long as someone receives them.
// The goroutine ends, and closes the channel, only when ctx is done: the
// caller must cancel ctx when it stops receiving, and may then receive
// until the channel is closed to wait for the goroutine to end.
func fibonacciChan(ctx context.Context) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for a, b := 0, 1; ; a, b = b, a+b {
			select {
			case ch <- a: // the consumer took a
			case <-ctx.Done(): // the consumer has stopped: end
				return
			}
		}
	}()
	return ch
}

// fibonacci returns the Fibonacci numbers as an iterator, for a range
// loop. It starts no goroutine: the loop body runs inside yield, and a
// break makes yield return false, which ends the function.
func fibonacci() iter.Seq[int] {
	return func(yield func(int) bool) {
		for a, b := 0, 1; ; a, b = b, a+b {
			if !yield(a) {
				return // the loop was broken out of
			}
		}
	}
}

// channelGenerator takes the first five numbers from fibonacciChan, like a
// Python generator that a for loop breaks out of, then ends its goroutine.
// It returns an error only if ctx is done.
func channelGenerator(ctx context.Context, logger *log.Logger) error {
	// We give the generator a context of its own, so that we can stop it
	// without stopping anything else.
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	numbers := fibonacciChan(gctx)
	var got []string
	for n := range numbers {
		got = append(got, strconv.Itoa(n))
		if len(got) == 5 {
			break
		}
	}
	if ctx.Err() != nil { // Ctrl-C: we still join the generator
		for range numbers {
		}
		return ctx.Err()
	}
	logger.Printf("channel generator: %s, then break", strings.Join(got, " "))

	// Note that the break ended our loop, not the goroutine: it is blocked
	// sending the next number, which nobody will ever receive, a leak. So
	// we cancel its context, and receive until it closes the channel: that
	// is our join point.
	logger.Print("channel generator: its goroutine is still blocked on a send")
	cancel()
	for range numbers {
		// We drop what it sent while it noticed the cancel, if anything.
	}
	logger.Print("channel generator: cancelled and drained; " +
		"its goroutine has returned")
	return nil
}

// iterator takes the first five numbers from fibonacci, an iter.Seq, and
// breaks out of the loop.
func iterator(logger *log.Logger) {
	// We range over the iterator like over a slice. The loop body runs in
	// our goroutine, called through yield, so after the break nothing is
	// left to cancel or join.
	var got []string
	for n := range fibonacci() {
		got = append(got, strconv.Itoa(n))
		if len(got) == 5 {
			break
		}
	}
	logger.Printf("iterator: %s, then break", strings.Join(got, " "))
	logger.Print("iterator: fibonacci has returned; no goroutine, nothing to cancel")
}

// round truncates an elapsed time to a tenth of d (to a tenth of a second
// when d is zero): starting and joining goroutines takes microseconds,
// which would only be noise.
func round(elapsed, d time.Duration) time.Duration {
	return elapsed.Truncate(cmp.Or(d/10, 100*time.Millisecond))
}
