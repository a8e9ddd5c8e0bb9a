// The schedule command shows how to run code later, run it again and
// again, and cancel it: time.AfterFunc and Timer.Stop, a time.Ticker and
// the ticks it drops when its reader is slow, a rate limit made of a
// ticker, and a small event scheduler (a heap of events ordered by time,
// run by one goroutine that sleeps until the next) with Enter, Cancel and
// Run. They are Go's answers to Python's sched.scheduler, threading.Timer
// and asyncio's loop.call_later.
//
// Every wait in the demo is a timer; the work the events and calls do is
// only a printed line.
//
// Usage:
//
//	go run ./lessons/schedule [-unit d]
package main

import (
	"container/heap"
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
		fmt.Fprintln(os.Stderr, "schedule:", err)
		os.Exit(1)
	}
}

// run shows the demos in turn. It returns ctx.Err() if ctx is done first.
// Every goroutine it starts, and every function it schedules, has
// returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	// Scheduled functions run in goroutines of their own, so everything
	// prints through one Logger, which writes each line in a single call.
	logger := log.New(w, "", 0)
	demos := []func(context.Context, *log.Logger, time.Duration) error{
		afterFunc, missedTicks, rateLimit, scheduler,
	}
	for i, demo := range demos {
		if i > 0 {
			logger.Print()
		}
		if err := demo(ctx, logger, cfg.unit); err != nil {
			return err
		}
	}
	return nil
}

// never is a delay so long that the demo always stops its timer first.
const never = time.Hour

// afterFunc runs a function later, and cancels another before it runs.
func afterFunc(ctx context.Context, logger *log.Logger, unit time.Duration) error {
	// time.AfterFunc(d, f) returns at once; after d, the runtime calls f
	// in a goroutine of its own: threading.Timer(d, f).start(), without
	// the thread. Note that nothing joins that goroutine for us: f closes
	// ran, our join point.
	begin := time.Now()
	ran := make(chan struct{})
	timer := time.AfterFunc(unit, func() {
		logger.Printf("afterfunc: f runs at %v", since(begin))
		close(ran)
	})
	logger.Printf("afterfunc: AfterFunc(%v, f) returned at once", unit)
	select {
	case <-ran: // f has run and returned
	case <-ctx.Done(): // Ctrl-C: stop f, or wait for it if it has started
		if !timer.Stop() {
			<-ran
		}
		return ctx.Err()
	}

	// Stop reports whether it stopped the call before it started. Note
	// that false does not mean f has finished, only that it was started;
	// to know, wait for a signal from f, as we do with ran.
	logger.Printf("afterfunc: Stop() after f ran: %t", timer.Stop())

	// Stopped in time, the call never happens, and no goroutine starts.
	later := time.AfterFunc(never, func() {
		logger.Print("afterfunc: never printed")
	})
	logger.Printf("afterfunc: Stop() before it fired: %t; f will never run",
		later.Stop())
	logger.Printf("afterfunc: Stop() again: %t", later.Stop())
	return nil
}

// missedTicks reads a ticker with a handler that is once too slow.
func missedTicks(ctx context.Context, logger *log.Logger, unit time.Duration) error {
	if unit <= 0 {
		logger.Print("ticker: skipped with -unit 0: a Ticker's period must be > 0")
		return nil
	}
	// A Ticker sends the time on its channel every period, until Stop.
	// Its channel holds one tick: when the reader is late, the next tick
	// waits for it, and the ticks after that are dropped, not queued. So
	// a slow handler does not cause a burst of catch-up ticks afterwards.
	begin := time.Now()
	ticker := time.NewTicker(unit)
	defer ticker.Stop()
	logger.Printf("ticker: every %v; the first tick's handler takes %v",
		unit, slow(unit))
	for i := range 3 {
		var tick time.Time
		select {
		case tick = <-ticker.C: // the next tick, or the one held for us
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
		logger.Printf("ticker: the tick of %v received at %v",
			tick.Sub(begin).Truncate(10*time.Millisecond), since(begin))
		if i == 0 {
			// Simulated: a handler that is too slow for once.
			if err := sleep(ctx, slow(unit)); err != nil {
				return err
			}
		}
	}
	logger.Printf("ticker: the tick of %v was dropped", 3*unit)
	return nil
}

// slow is how long the slow handler of missedTicks takes: two and a half
// periods, so that it misses two ticks.
func slow(unit time.Duration) time.Duration { return 5 * unit / 2 }

// calls is how many calls rateLimit makes.
const calls = 5

// rateLimit makes calls no faster than one every unit.
func rateLimit(ctx context.Context, logger *log.Logger, unit time.Duration) error {
	if unit <= 0 {
		logger.Print("rate: skipped with -unit 0: a Ticker's period must be > 0")
		return nil
	}
	// We take one tick before each call: at most one call per period.
	// Note that the first call waits a whole period too, and that after a
	// pause the tick held in the channel lets one call go at once: a burst
	// of one. golang.org/x/time/rate does more (see the README).
	ticker := time.NewTicker(unit)
	defer ticker.Stop()
	begin := time.Now()
	logger.Printf("rate: %d calls, one every %v (%.4g per second)", calls,
		unit, float64(time.Second)/float64(unit))
	for i := range calls {
		select {
		case <-ticker.C: // our turn
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
		logger.Printf("rate: call %d at %v", i+1, since(begin))
	}
	return nil
}

// scheduler enters events, cancels one, and runs the rest in order.
func scheduler(ctx context.Context, logger *log.Logger, unit time.Duration) error {
	s := NewScheduler()
	begin := time.Now()
	say := func(name string) func() {
		return func() { logger.Printf("sched: %s at %v", name, since(begin)) }
	}

	// We enter events in any order; Run runs them in the order of their
	// times. An event may enter others: "first" enters "follow-up".
	s.Enter(10*unit, say("report"))
	cleanup := s.Enter(5*unit, say("never printed"))
	var first int
	first = s.Enter(unit, func() {
		say("first")()
		s.Enter(2*unit, say("follow-up"))
		logger.Printf("sched: Cancel(first) while it runs: %t", s.Cancel(first))
	})
	logger.Printf("sched: entered 3 events; Cancel(cleanup): %t",
		s.Cancel(cleanup))
	logger.Printf("sched: Cancel(cleanup) again: %t", s.Cancel(cleanup))

	// Another goroutine enters an event due before the one Run sleeps
	// for. Enter wakes Run, which goes back to sleep until the new
	// earliest event. The WaitGroup joins this goroutine, and ctx stops
	// its wait on Ctrl-C.
	var wg sync.WaitGroup
	if unit > 0 {
		wg.Go(func() {
			if sleep(ctx, 4*unit) == nil {
				logger.Printf("sched: at %v another goroutine enters urgent",
					since(begin))
				s.Enter(unit, say("urgent"))
			}
		})
	}

	// Run runs the events in this goroutine, one at a time, as Python's
	// sched.scheduler.run() does, and returns when none is left.
	err := s.Run(ctx)
	wg.Wait()
	if err != nil {
		return err
	}
	logger.Printf("sched: Run returned at %v: no event left", since(begin))
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

// A Scheduler runs functions at set times, in the goroutine that calls
// Run: a small sched.scheduler. Make one with NewScheduler. Its methods
// may be called from any goroutine, including from an event's function.
type Scheduler struct {
	mu     sync.Mutex // protects events, byID and lastID
	events eventHeap  // the events not yet run, earliest first
	byID   map[int]*event
	lastID int
	// wake holds a pending "the queue changed" for Run. Its buffer of
	// one means Enter and Cancel never wait, and many changes while Run
	// is busy wake it once.
	wake chan struct{}
}

// An event is a function due at a time.
type event struct {
	at    time.Time
	id    int // also the order of entry, which breaks ties between times
	fn    func()
	index int // the event's place in the heap, kept by eventHeap
}

// NewScheduler returns a Scheduler with no events.
func NewScheduler() *Scheduler {
	return &Scheduler{byID: map[int]*event{}, wake: make(chan struct{}, 1)}
}

// Enter schedules fn to run delay from now, and returns the event's id
// for Cancel. Events due at the same time run in the order they were
// entered. If Run is waiting for a later event, Enter wakes it.
func (s *Scheduler) Enter(delay time.Duration, fn func()) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastID++
	e := &event{at: time.Now().Add(delay), id: s.lastID, fn: fn}
	heap.Push(&s.events, e)
	s.byID[e.id] = e
	s.poke()
	return e.id
}

// Cancel removes the event id, and reports whether it did: true if the
// event had not started to run, false if it has run or is running, was
// cancelled already, or never existed.
func (s *Scheduler) Cancel(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return false
	}
	heap.Remove(&s.events, e.index)
	delete(s.byID, id)
	s.poke()
	return true
}

// poke wakes Run without waiting. s.mu must be held.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}: // Run will look at the queue again
	default: // a wake-up is already pending
	}
}

// Run runs each event when it is due, one at a time, in the calling
// goroutine, and returns nil when no event is left. If ctx is done first,
// it returns ctx.Err() at once, between events, and leaves the events not
// yet run in the queue. An event's function runs with no lock held, so it
// may call Enter and Cancel.
func (s *Scheduler) Run(ctx context.Context) error {
	timer := time.NewTimer(never)
	defer timer.Stop()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		e, wait := s.next()
		if e == nil && wait == 0 {
			return nil // no event left
		}
		if e != nil {
			e.fn()
			continue
		}
		// We sleep until the earliest event is due, or the queue changes.
		// Note that the mutex is not held while we wait.
		timer.Reset(wait)
		select {
		case <-timer.C: // the earliest event is due
		case <-s.wake: // an event was entered or cancelled: look again
		case <-ctx.Done(): // the caller gave up
			return ctx.Err()
		}
	}
}

// next removes and returns the earliest event if it is due. Otherwise it
// returns how long until it is due, or nil and 0 if there is none.
func (s *Scheduler) next() (*event, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) == 0 {
		return nil, 0
	}
	e := s.events[0]
	if wait := time.Until(e.at); wait > 0 {
		return nil, wait
	}
	heap.Pop(&s.events)
	delete(s.byID, e.id)
	return e, 0
}

// eventHeap is a min-heap of events by time, then id, for container/heap.
type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}
func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *eventHeap) Push(x any) {
	e := x.(*event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil // let the garbage collector have it
	*h = old[:len(old)-1]
	return e
}

// since returns the time since begin to a hundredth of a second: a real
// run is late by microseconds, which would only be noise.
func since(begin time.Time) time.Duration {
	return time.Since(begin).Truncate(10 * time.Millisecond)
}
