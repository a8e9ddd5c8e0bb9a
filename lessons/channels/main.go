// The channels command shows what a Go channel does: an unbuffered send
// that waits for its receiver, a buffered channel that waits only when it
// is full, close and range, the receive with ok, directions in signatures,
// nil channels, and the three mistakes that panic. Channels are Go's answer
// to Python's queue.Queue between threads and multiprocessing.Pipe between
// processes.
//
// Every wait in the demo is for a receiver that arrives late: a sleep.
//
// Usage:
//
//	go run ./lessons/channels [-cap n] [-wait d]
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
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "channels:", err)
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

	// Only run's own goroutine prints: the goroutines we start report
	// back over channels, so the output is the same on every run.
	logger := log.New(w, "", 0)
	demos := []func(context.Context, *log.Logger, config) error{
		unbuffered, buffered, closeAndRange, directions, nilChannels, panics,
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

// A handoff is what happened at one send on an unbuffered channel.
type handoff struct {
	waited   time.Duration // how long the send blocked
	got      string        // what the receiver received
	sawNote  string        // what the receiver read after its receive
	sawReply string        // what the sender read after its send
}

// unbuffered shows that a send on an unbuffered channel waits for the
// receiver, and what each side may read afterwards.
func unbuffered(ctx context.Context, logger *log.Logger, cfg config) error {
	ch := make(chan string)
	logger.Printf("unbuffered: make(chan string): cap %d, len %d",
		cap(ch), len(ch))
	h, err := handOff(ctx, ch, cfg.wait)
	if err != nil {
		return err
	}
	logger.Printf("unbuffered: the send waited %v, until the receiver came",
		h.waited)
	logger.Printf("unbuffered: the receiver got %q and read %q",
		h.got, h.sawNote)
	logger.Printf("unbuffered: after the send, the sender read %q",
		h.sawReply)
	return nil
}

// handOff sends one value on the unbuffered channel ch to a receiver that
// arrives after wait, and reports what each side saw. It returns ctx.Err()
// if ctx is done first; its receiver has returned when it returns.
func handOff(ctx context.Context, ch chan string, wait time.Duration) (
	handoff, error) {
	// Two plain variables, with no lock: the sender writes note before
	// its send, the receiver writes reply before its receive, and both are
	// safe to read afterwards. A send synchronizes before the receive that
	// takes its value completes, and on an unbuffered channel the receive
	// also synchronizes before the send completes: the handoff is a
	// meeting (docs/concepts.md, "The memory model in one page").
	var note, reply string
	var h handoff

	// We start the receiver. It arrives late (we simulate being busy
	// with a sleep), and receives in a select so that Ctrl-C can stop it.
	done := make(chan struct{})
	go func() {
		defer close(done)
		if sleep(ctx, wait) != nil {
			return
		}
		reply = "written before the receive"
		select {
		case h.got = <-ch: // the sender was waiting: the handoff
			h.sawNote = note
		case <-ctx.Done(): // Ctrl-C
		}
	}()

	// We send. Note that the send does not return when the value is
	// "put somewhere": an unbuffered channel has nowhere to put it. It
	// returns when the receiver takes it.
	note = "written before the send"
	begin := time.Now()
	select {
	case ch <- "ping": // the receiver took it
		h.waited = since(begin)
		h.sawReply = reply
	case <-ctx.Done(): // Ctrl-C
	}
	<-done // join the receiver; it returns on Ctrl-C too
	return h, ctx.Err()
}

// buffered shows that a buffered channel takes cap sends with no receiver,
// and that the next send waits until a receive makes room.
func buffered(ctx context.Context, logger *log.Logger, cfg config) error {
	ch := make(chan int, cfg.capacity)
	logger.Printf("buffered: make(chan int, %d): cap %d, len %d",
		cfg.capacity, cap(ch), len(ch))

	// We fill the buffer. Nobody receives, and no send waits: a
	// buffered channel is a queue of at most cap values.
	begin := time.Now()
	for i := range cfg.capacity {
		ch <- i + 1
	}
	logger.Printf("buffered: filling it with no receiver took %v; len %d",
		since(begin), len(ch))

	// One more send waits for room. A receiver that arrives after
	// cfg.wait takes the first value, which lets our send complete: the
	// k-th receive is synchronized before the (k+cap)-th send completes.
	waited, first, err := sendWhenFull(ctx, ch, cfg.capacity+1, cfg.wait)
	if err != nil {
		return err
	}
	logger.Printf("buffered: send %d waited %v, until a receive took %d "+
		"and made room; len %d", cfg.capacity+1, waited, first, len(ch))

	// We close the full channel and keep it for the next demo's reader:
	// closing does not drop what is buffered.
	close(ch)
	return drainClosed(logger, ch)
}

// sendWhenFull sends v on ch, which must be full, while a receiver that
// arrives after wait takes one value. It reports how long the send waited
// and the value the receiver took. It returns ctx.Err() if ctx is done
// first; its receiver has returned when it returns.
func sendWhenFull(ctx context.Context, ch chan int, v int,
	wait time.Duration) (waited time.Duration, took int, err error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if sleep(ctx, wait) != nil {
			return
		}
		took = <-ch // never blocks: the channel is full
	}()
	begin := time.Now()
	select {
	case ch <- v: // a receive made room
		waited = since(begin)
	case <-ctx.Done(): // Ctrl-C
	}
	<-done
	return waited, took, ctx.Err()
}

// drainClosed reads the closed channel ch to the end, first with the
// receive with ok, then with range, and shows what a receive returns once
// nothing is left.
func drainClosed(logger *log.Logger, ch <-chan int) error {
	logger.Printf("close: closed with len %d: what was sent stays readable",
		len(ch))

	// The receive with ok tells a real value from the zero value that a
	// closed, empty channel returns.
	v, ok := <-ch
	logger.Printf("close: v, ok := <-ch: %d %t", v, ok)

	// A range loop receives until the channel is closed and empty.
	var rest []string
	for v := range ch {
		rest = append(rest, fmt.Sprint(v))
	}
	if len(rest) == 0 {
		rest = append(rest, "nothing")
	}
	logger.Printf("close: range got %s, then ended", strings.Join(rest, " "))

	// From now on every receive returns at once: zero value, false.
	v, ok = <-ch
	logger.Printf("close: v, ok := <-ch: %d %t (at once, every time)", v, ok)
	return nil
}

// closeAndRange ranges over a generator, the usual shape of a channel
// that someone else fills: the sender closes it when it has no more.
func closeAndRange(ctx context.Context, logger *log.Logger, _ config) error {
	var got []string
	for v := range count(ctx, 5) {
		got = append(got, fmt.Sprint(v))
	}
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C: count stopped early and closed its channel
	}
	logger.Printf("range: count(ctx, 5) sent %s; its close ended the loop",
		strings.Join(got, " "))
	return nil
}

// count returns a channel on which a goroutine of its own sends 1, 2, ...,
// n, in order. The channel is closed after the last value, or as soon as
// ctx is done, and the goroutine returns right after closing it. The
// caller must receive until the channel is closed or cancel ctx;
// otherwise the goroutine blocks forever.
func count(ctx context.Context, n int) <-chan int {
	out := make(chan int)
	go func() {
		// Only the sender closes, and it closes once, when it is done:
		// defer does that whichever way the loop ends.
		defer close(out)
		fill(ctx, out, n)
	}()
	return out
}

// fill sends 1, 2, ..., n on out, or stops when ctx is done. It does not
// close out: whoever owns out decides when no one else will send.
func fill(ctx context.Context, out chan<- int, n int) {
	for i := range n {
		select {
		case out <- i + 1: // the consumer took it
		case <-ctx.Done(): // the consumer gave up: stop sending
			return
		}
	}
}

// sum receives from in until it is closed and returns the total.
func sum(in <-chan int) int {
	total := 0
	for v := range in {
		total += v
	}
	return total
}

// directions shows channel directions: a chan int converts to a send-only
// or a receive-only channel, and a signature that says which one is
// checked by the compiler.
func directions(ctx context.Context, logger *log.Logger, _ config) error {
	// Direction is part of the type. A bidirectional channel converts to
	// either direction, implicitly, where a function asks for one; never
	// back. count's signature says its callers only receive, and fill's
	// says it only sends. Note that "fill closes out" or "sum sends on
	// in" would not compile (the README quotes the compiler's errors).
	ch := make(chan int)
	var sendOnly chan<- int = ch
	var recvOnly <-chan int = ch
	logger.Printf("directions: %T converts to %T and to %T",
		ch, sendOnly, recvOnly)
	total := sum(count(ctx, 10))
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Printf("directions: sum(count(ctx, 10)) = %d", total)
	return nil
}

// nilChannels shows that a nil channel never becomes ready, and how that
// turns off a select case.
func nilChannels(ctx context.Context, logger *log.Logger, _ config) error {
	// A receive (or a send) on a nil channel blocks forever. We ask
	// without waiting, with a select and a default case.
	var never chan int
	logger.Printf("nil: var never chan int: nil %t; a receive is ready: %t",
		never == nil, ready(never))

	// We merge two generators. On Ctrl-C, merge returns early and we
	// drain both: each closes its channel once it has stopped.
	a, b := count(ctx, 3), count(ctx, 4)
	values, loops, err := merge(ctx, a, b)
	if err != nil {
		for range a {
		}
		for range b {
		}
		return err
	}
	total := 0
	for _, v := range values {
		total += v
	}
	logger.Printf("nil: merged %d values (sum %d) in %d rounds; "+
		"closed inputs set to nil", len(values), total, loops)
	return nil
}

// ready reports whether a receive from ch would succeed at once. It never
// blocks.
func ready(ch <-chan int) bool {
	select {
	case <-ch: // a value, or closed
		return true
	default: // nothing to receive now; for a nil channel, never
		return false
	}
}

// merge receives from a and b until both are closed and returns what it
// received, and how many times its select ran. It returns ctx.Err() if ctx
// is done first.
func merge(ctx context.Context, a, b <-chan int) ([]int, int, error) {
	var values []int
	loops := 0
	// A closed channel is always ready: its case would win again and
	// again, returning zero values. So when one input closes, we set our
	// copy of it to nil, which turns its case off; the loop ends when both
	// are off. The select lesson uses this again.
	for a != nil || b != nil {
		loops++
		select {
		case v, ok := <-a: // a value from a, or a's close
			if !ok {
				a = nil
				continue
			}
			values = append(values, v)
		case v, ok := <-b: // a value from b, or b's close
			if !ok {
				b = nil
				continue
			}
			values = append(values, v)
		case <-ctx.Done(): // Ctrl-C: the generators stop on ctx too
			return values, loops, ctx.Err()
		}
	}
	return values, loops, nil
}

// panics shows the three channel mistakes that panic, recovered by catch
// so that the demo carries on.
func panics(_ context.Context, logger *log.Logger, _ config) error {
	closed := make(chan int)
	close(closed)
	var nilCh chan int
	logger.Printf("panics: send on a closed channel: %s",
		catch(func() { closed <- 1 }))
	logger.Printf("panics: close of a closed channel: %s",
		catch(func() { close(closed) }))
	logger.Printf("panics: close of a nil channel: %s",
		catch(func() { close(nilCh) }))

	// A receive from a closed channel is not a mistake: it is how the
	// receiver learns that nothing more will come.
	var v int
	var ok bool
	logger.Printf("panics: receive from a closed channel: %s, got %d %t",
		catch(func() { v, ok = <-closed }), v, ok)
	return nil
}

// catch calls f and describes how it ended: "panic: " and the panic's
// message, or "no panic". It recovers only f's own panic, in the goroutine
// that calls catch, and says so in its result: nothing is hidden.
func catch(f func()) (result string) {
	defer func() {
		if r := recover(); r != nil {
			result = fmt.Sprint("panic: ", r)
		}
	}()
	f()
	return "no panic"
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
