// The cond command shows sync.Cond, Go's threading.Condition: a bounded
// buffer whose producers wait while it is full and whose consumers wait
// while it is empty. It replays, step by step, why Wait must sit in a for
// loop and how a Signal is lost when waiters for different conditions
// share one Cond, then runs the same producers and consumers on a
// buffered channel, which is a bounded buffer built in.
//
// Usage:
//
//	go run ./lessons/cond [-size n] [-producers n] [-consumers n]
//	    [-items n] [-produce d] [-consume d] [-timeline=false]
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
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cond:", err)
		os.Exit(1)
	}
}

// run runs the producers and consumers on the Cond buffer, replays a
// stolen and a lost wake-up, and runs the producers and consumers again on
// a channel. It returns ctx.Err() if ctx is done during either run. Every
// goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	logger := log.New(w, "", 0)

	// First the buffer at work. The consumers wait for items; the
	// producers make them faster than the consumers use them, so the
	// buffer fills up and producers wait for room.
	logger.Printf("a buffer of size %d on sync.Cond", cfg.size)
	logger.Printf("%d producers, %d items each, %v to make one;"+
		" %d consumers, %v to use one", cfg.producers, cfg.items,
		cfg.produce, cfg.consumers, cfg.consume)
	got, elapsed := onCond(ctx, cfg, logger)
	if err := ctx.Err(); err != nil {
		return err
	}
	if cfg.timeline {
		for j, items := range got {
			logger.Printf("  consumer %d got %s", j+1, strings.Join(items, " "))
		}
	}
	logger.Print(delivered(cfg, got, elapsed))

	// Next, two replays. Each bug needs one unlucky moment, too short to
	// hit on demand, so we make it happen: we take the buffer's lock
	// ourselves and do, in one go, what two goroutines would do if the
	// scheduler ran them in the worst order.
	logger.Print()
	logger.Print("why Wait goes in a for loop: a stolen wake-up, replayed")
	replayStolenWakeUp(logger)

	logger.Print()
	logger.Print("one Cond for two conditions, woken with Signal:" +
		" a lost wake-up, replayed")
	replayLostWakeUp(logger)

	// Last, the same producers and consumers on a buffered channel: the
	// runtime's own bounded buffer, with the waiting built in.
	logger.Print()
	logger.Printf("the same producers and consumers on a buffered channel,"+
		" make(chan string, %d)", cfg.size)
	got, elapsed = onChannel(ctx, cfg)
	if err := ctx.Err(); err != nil {
		return err
	}
	if cfg.timeline {
		// Consumers on a channel print nothing as they go, and we cannot
		// see which one queued first; they are interchangeable, so we
		// list what each got, without names, sorted.
		slices.SortFunc(got, func(a, b []string) int {
			return strings.Compare(strings.Join(a, " "), strings.Join(b, " "))
		})
		for _, items := range got {
			logger.Printf("  a consumer got %s", strings.Join(items, " "))
		}
	}
	logger.Print(delivered(cfg, got, elapsed))
	return nil
}

// onCond runs the producers and consumers on a buffer of cfg.size and
// returns the items each consumer got, in the order it got them, and how
// long the run took. If cfg.timeline is set, the buffer logs every put,
// get and wait to logger as it happens. If ctx is done, every goroutine
// stops early and onCond returns what was got so far.
func onCond(ctx context.Context, cfg config, logger *log.Logger) (
	got [][]string, elapsed time.Duration) {
	b := newBuffer(cfg.size)
	start := time.Now()
	if cfg.timeline {
		b.log, b.start = logger, start
	}

	// Note that Cond.Wait is not a channel operation: it cannot be a case
	// in a select with ctx.Done(). To let Ctrl-C end the waits,
	// context.AfterFunc closes the buffer, in a goroutine of its own, when
	// ctx is done, and close's Broadcast wakes everyone. When we are done,
	// stop unregisters it; if it had already started, we wait for it,
	// because stop does not, and it logs to our logger.
	ctrlC := make(chan struct{}) // closed when the AfterFunc has closed b
	stop := context.AfterFunc(ctx, func() {
		defer close(ctrlC)
		b.close("ctrl-c")
	})
	defer func() {
		if !stop() {
			<-ctrlC
		}
	}()

	// We start the consumers one at a time, each once the one before is
	// asleep in get, so that they queue up in the same order on every
	// run. Each writes only its own element of got, which we read after
	// consumers.Wait.
	got = make([][]string, cfg.consumers)
	var consumers sync.WaitGroup
	for j := range cfg.consumers {
		consumers.Go(func() {
			who := fmt.Sprintf("consumer %d", j+1)
			for {
				v, ok := b.get(who)
				if !ok {
					return // closed and empty, or Ctrl-C
				}
				got[j] = append(got[j], v)
				if sleep(ctx, cfg.consume) != nil {
					return
				}
			}
		})
		b.awaitWaits(j + 1)
	}

	// Producer i names its items after its letter: a1, a2, ... b1, b2.
	// Each starts a little after the one before (see stagger), so that no
	// two put at the same moment.
	var producers sync.WaitGroup
	for i := range cfg.producers {
		producers.Go(func() {
			who := fmt.Sprintf("producer %d", i+1)
			if sleep(ctx, stagger(cfg, i)) != nil {
				return
			}
			for k := range cfg.items {
				if sleep(ctx, cfg.produce) != nil {
					return
				}
				if !b.put(who, fmt.Sprintf("%c%d", 'a'+i, k+1)) {
					return // closed: Ctrl-C
				}
			}
		})
	}

	// When every producer is done, nothing more will come: we close the
	// buffer, and the consumers stop once they have taken what is left.
	producers.Wait()
	b.close("main")
	consumers.Wait()
	return got, time.Since(start)
}

// onChannel runs the same producers and consumers as onCond, on a
// buffered channel instead of a buffer. It logs nothing.
func onChannel(ctx context.Context, cfg config) (
	got [][]string, elapsed time.Duration) {
	start := time.Now()

	// The channel is the buffer: -size slots, as for the Cond buffer. A
	// send waits while it is full and a receive while it is empty; close
	// ends the receives once the buffer is empty. And both can be cases
	// in a select, next to ctx.Done(): no AfterFunc needed.
	ch := make(chan string, cfg.size)

	// We start the consumers all at once: no one can see who waits on a
	// channel, so we cannot queue them up in order, and we report what
	// they got without names (see run). Each receives until the channel
	// is closed and empty, or Ctrl-C.
	got = make([][]string, cfg.consumers)
	var consumers sync.WaitGroup
	for j := range cfg.consumers {
		consumers.Go(func() {
			for {
				select {
				case v, ok := <-ch: // an item, or closed and empty
					if !ok {
						return
					}
					got[j] = append(got[j], v)
					if sleep(ctx, cfg.consume) != nil {
						return
					}
				case <-ctx.Done(): // Ctrl-C
					return
				}
			}
		})
	}

	// The producers are onCond's, with a send for the put.
	var producers sync.WaitGroup
	for i := range cfg.producers {
		producers.Go(func() {
			if sleep(ctx, stagger(cfg, i)) != nil {
				return
			}
			for k := range cfg.items {
				if sleep(ctx, cfg.produce) != nil {
					return
				}
				select {
				case ch <- fmt.Sprintf("%c%d", 'a'+i, k+1): // there was room
				case <-ctx.Done(): // Ctrl-C
					return
				}
			}
		})
	}

	// Only the sender closes a channel: here, once every sender is done.
	producers.Wait()
	close(ch)
	consumers.Wait()
	return got, time.Since(start)
}

// replayStolenWakeUp shows why a goroutine must check its condition again
// when Wait returns. Consumer 1 waits on an empty buffer; a producer puts
// an item and its Signal wakes consumer 1; but consumer 2 gets the lock
// first and takes the item. The sync.Cond docs warn of exactly this:
// Signal does not make the woken goroutine go first.
func replayStolenWakeUp(logger *log.Logger) {
	b := newBuffer(1)
	b.log = logger
	var wg sync.WaitGroup
	wg.Go(func() { b.get("consumer 1") })
	b.awaitWaits(1) // consumer 1 is asleep

	// We hold the lock from the put to consumer 2's get, so consumer 1,
	// woken by the put, cannot run in between: the unlucky order, every
	// time. In a real program, consumer 2 would be another goroutine that
	// called get at that moment.
	b.mu.Lock()
	b.putLocked("producer", "x")
	b.getLocked("consumer 2")
	b.mu.Unlock()

	// Consumer 1 wakes up to an empty buffer. Its for loop checks again and
	// sends it back to sleep; an if would have let it take an item that is
	// not there. Once it sleeps again, we put a second item, which it gets.
	b.awaitWaits(2)
	b.put("producer", "y")
	wg.Wait()
}

// replayLostWakeUp shows how Signal loses a wake-up when producers and
// consumers wait on one Cond. The buffer (1 slot) is full and producers 2
// and 3 wait for room. Consumer 1 takes the item; its Signal wakes
// producer 2. Before producer 2 has the lock, consumer 2 arrives and waits
// for an item. Producer 2 puts its item, and its Signal wakes the longest
// waiter on the one Cond: producer 3, not consumer 2. Producer 3 finds the
// buffer full and sleeps again. Now consumer 2 sleeps next to an item, and
// producer 3 waits for a consumer: neither will ever wake.
func replayLostWakeUp(logger *log.Logger) {
	b := newOneCondBuffer(1, (*sync.Cond).Signal)
	b.log = logger
	b.put("producer 1", "a")
	var wg sync.WaitGroup
	wg.Go(func() { b.put("producer 2", "b") })
	b.awaitWaits(1)
	wg.Go(func() { b.put("producer 3", "c") })
	b.awaitWaits(2)

	// One goroutine plays consumers 1 and 2, holding the lock from one get
	// to the next, so that consumer 2 is asleep before producer 2, woken
	// by consumer 1, can take the lock. got is what consumer 2 gets; it
	// has room for that one value, so the goroutine never waits to send.
	got := make(chan string, 1)
	wg.Go(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.getLocked("consumer 1")
		v, _ := b.getLocked("consumer 2")
		got <- v
	})

	// Consumer 2 goes to sleep (the 3rd wait); producer 2 puts b; producer
	// 3 sleeps again (the 4th wait). Then nothing can happen: no goroutine
	// is left to Signal. We check, as a watchdog would: a consumer that
	// has got nothing, next to an item in the buffer, lost its wake-up.
	b.awaitWaits(4)
	b.mu.Lock()
	if len(got) == 0 && b.n > 0 {
		logger.Printf("  stuck: consumer 2 waits for an item, and %s"+
			" holds one:", b.state())
		logger.Print("  producer 2's Signal went to producer 3," +
			" the longest waiter")
	}

	// To end it, we Broadcast, as close does: everyone wakes and checks
	// again. Consumer 2 gets b and producer 3 puts c, in whichever order
	// they get the lock, so we stop the log and report only the outcome.
	b.log = nil
	b.notEmpty.Broadcast()
	b.mu.Unlock()
	wg.Wait()
	left, _ := b.get("")
	logger.Printf("  a Broadcast wakes both: consumer 2 gets %s, and"+
		" producer 3 puts %s", <-got, left)
}

// delivered checks that the consumers got every item the producers made,
// each exactly once, and says so, with the time the run took when cfg
// asks for a timeline (with no timeline, the time is noise).
func delivered(cfg config, got [][]string, elapsed time.Duration) string {
	var all, want []string
	for _, items := range got {
		all = append(all, items...)
	}
	for i := range cfg.producers {
		for k := range cfg.items {
			want = append(want, fmt.Sprintf("%c%d", 'a'+i, k+1))
		}
	}
	slices.Sort(all)
	slices.Sort(want)
	if !slices.Equal(all, want) {
		return fmt.Sprintf("  wrong: got %v; want %v", all, want)
	}
	s := fmt.Sprintf("  all %d items delivered, each once", len(want))
	if cfg.timeline {
		s += fmt.Sprintf(", in %.2fs",
			elapsed.Truncate(10*time.Millisecond).Seconds())
	}
	return s
}

// stagger is how much later than producer 1 producer i+1 starts: i
// producers' shares of -produce. With the default flags, the producers
// then never put at the same moment (nor does anyone else act at the
// same moment as another), so the timeline is the same on every run.
func stagger(cfg config, i int) time.Duration {
	return cfg.produce * time.Duration(i) / time.Duration(cfg.producers)
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
