// The semaphore command shows three ways to limit how many goroutines do
// something at once: a buffered channel of tokens, semaphore.Weighted from
// golang.org/x/sync, and errgroup.Group with SetLimit. They are Go's answers
// to Python's threading.Semaphore and BoundedSemaphore.
//
// Ten simulated downloads (each one sleeps, as a network call would wait)
// run with at most three in flight, once each way. Each way takes four
// rounds: not one, as with no limit, and not ten, as one at a time. Then the
// command shows weighted acquires, TryAcquire, an Acquire that gives up,
// what one release too many does, and errgroup's TryGo.
//
// Usage:
//
//	go run ./lessons/semaphore [-downloads n] [-limit n] [-sleep d]
//	    [-timeline [-ascii] [-width n]] [-trace file]
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
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "semaphore:", err)
		os.Exit(1)
	}
}

// A task is one unit of work that a limiter runs: here, download number id.
type task func(ctx context.Context, id int)

// A limiter calls task for the ids 1 to n, with at most limit calls in
// progress at any moment, and returns once every call it started has
// returned. If ctx is done first, it starts no more calls and returns
// ctx.Err(); the calls in progress are expected to notice ctx and return.
type limiter func(ctx context.Context, n, limit int, task task) error

// run runs the downloads each of the three ways, then shows the extras of
// semaphore.Weighted, one release too many, and errgroup's TryGo. It
// returns ctx.Err() as soon as ctx is done (Ctrl-C). Every goroutine it
// starts has returned when it returns. With -timeline it ends with a chart
// of the downloads; with -trace it writes them to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record each download as a span on its row, for -timeline and
	// -trace; without them obs is nil and records nothing. The chart
	// rounds its times to cfg.resolution(), as the lines we print do.
	cfg.show.Round = cfg.resolution()
	ctx, obs, err := cfg.show.Start(ctx, "semaphore")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()
	fmt.Fprintf(w, "%d downloads, at most %d at once;"+
		" each one waits %v (simulated I/O)\n", cfg.downloads, cfg.limit, cfg.sleep)

	// We run the same downloads three ways. Each way takes a slot before
	// it starts a download's goroutine, so that no goroutine is started
	// only to wait for a slot. The tracker notes when each download starts
	// and is done, and we print what it saw once the way has finished, so
	// that the lines are the same on every run.
	ways := []struct {
		name, title string
		limit       limiter
	}{
		{"channel",
			"a channel of %d tokens: sem <- struct{}{} acquires, <-sem releases",
			withChannel},
		{"weighted",
			"semaphore.NewWeighted(%d): Acquire(ctx, 1), then Release(1)",
			withWeighted},
		{"errgroup",
			"errgroup.Group with SetLimit(%d): Go waits for a free slot",
			withErrgroup},
	}
	for i, way := range ways {
		fmt.Fprintf(w, "\n%d. "+way.title+"\n", i+1, cfg.limit)
		tr := newTracker(cfg.resolution())
		download := func(ctx context.Context, id int) {
			tr.start(id)
			defer tr.done(id)
			end := obs.Start(ctx, fmt.Sprintf("download %d", id), way.name)
			defer end()
			_ = sleep(ctx, cfg.sleep) // on Ctrl-C, way.limit returns ctx.Err()
		}
		if err := way.limit(ctx, cfg.downloads, cfg.limit, download); err != nil {
			return err // Ctrl-C: every download has returned
		}
		tr.print(w, cfg.downloads, cfg.limit, cfg.sleep)
	}

	// The rest of the lesson uses a semaphore of size 3, whatever the
	// flags, so that its weights make sense.
	fmt.Fprintln(w, "\n4. semaphore.NewWeighted(3): weights, TryAcquire,"+
		" and an Acquire that gives up")
	if err := weightedExtras(ctx, w, cfg.sleep, cfg.resolution()); err != nil {
		return err
	}

	fmt.Fprintln(w, "\n5. One release too many"+
		" (Python's BoundedSemaphore raises ValueError)")
	oneReleaseTooMany(w)

	fmt.Fprintln(w, "\n6. errgroup.Group with SetLimit(3): TryGo")
	if err := tryGo(ctx, w, 3); err != nil {
		return err
	}
	// Every download has returned: we draw the chart (with -timeline).
	// Note that no more than -limit bars ever overlap.
	return obs.Render(w)
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

// withChannel limits the calls with a buffered channel used as a counting
// semaphore.
func withChannel(ctx context.Context, n, limit int, task task) error {
	// We acquire by sending a token, which waits while every slot is
	// full, and release by receiving one (errgroup does the same inside).
	// Note that the tokens carry nothing: only their count matters.
	sem := make(chan struct{}, limit) // one slot per call in progress
	var wg sync.WaitGroup
	for id := 1; id <= n; id++ {
		select {
		case sem <- struct{}{}: // a slot was free, or was freed: it is ours
		case <-ctx.Done(): // Ctrl-C while we wait for a slot
			wg.Wait()
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }() // release our slot however task returns
			task(ctx, id)
		})
	}
	wg.Wait()
	return nil
}

// withWeighted limits the calls with a semaphore.Weighted of size limit.
func withWeighted(ctx context.Context, n, limit int, task task) error {
	// Acquire(ctx, 1) waits for one unit of the semaphore's weight, or
	// for ctx to be done: then it returns ctx.Err() and takes nothing, so
	// there is nothing to give back. Release(1) returns the unit and wakes
	// the next waiter.
	sem := semaphore.NewWeighted(int64(limit))
	var wg sync.WaitGroup
	for id := 1; id <= n; id++ {
		if err := sem.Acquire(ctx, 1); err != nil {
			wg.Wait() // Ctrl-C: join the calls in progress
			return err
		}
		wg.Go(func() {
			defer sem.Release(1)
			task(ctx, id)
		})
	}
	wg.Wait()
	return nil
}

// withErrgroup limits the calls with an errgroup.Group and SetLimit.
func withErrgroup(ctx context.Context, n, limit int, task task) error {
	// SetLimit(limit) makes Go wait until fewer than limit of the group's
	// functions are running; each slot is released when its function
	// returns, so there is no Release to forget. Wait joins them all and
	// returns the first error (our downloads cannot fail, so none).
	// Note that Go cannot give up waiting: it does not watch ctx. We look
	// at ctx before each Go, and the downloads return at once when ctx is
	// done, which frees the slots that a waiting Go needs.
	var g errgroup.Group
	g.SetLimit(limit)
	for id := 1; id <= n && ctx.Err() == nil; id++ {
		g.Go(func() error {
			task(ctx, id)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// weightedExtras shows what a channel of tokens cannot do: acquire several
// units at once, and give up on a wait when ctx is done, leaving the
// semaphore as it was. The Acquire that gives up waits timeout.
func weightedExtras(ctx context.Context, w io.Writer, timeout,
	resolution time.Duration) error {
	const size = 3
	sem := semaphore.NewWeighted(size)
	held := 0 // Weighted does not say how much is held: we count

	// We take 2 of the 3 units in one call: say, a download big enough to
	// count as two. A request is all or nothing: Acquire never takes part
	// of n and waits for the rest.
	if err := sem.Acquire(ctx, 2); err != nil {
		return err
	}
	held += 2
	fmt.Fprintf(w, "  Acquire(ctx, 2): ok, %d of %d held\n", held, size)

	// TryAcquire never waits: it takes n units if they are free now, and
	// otherwise reports false and takes nothing.
	fmt.Fprintf(w, "  TryAcquire(2): %t at once, only %d free\n",
		sem.TryAcquire(2), size-held)

	// Acquire with a ctx that ends gives up when it ends, returns
	// ctx.Err(), and leaves the semaphore unchanged: the 1 free unit is
	// still free afterwards. Note that we must tell our own timeout from
	// Ctrl-C, which ends timeoutCtx too.
	timeoutCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	begin := time.Now()
	err := sem.Acquire(timeoutCtx, 2)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintf(w, "  Acquire(ctx, 2) with a %v timeout: %v after %v\n",
		timeout, err, time.Since(begin).Truncate(resolution))
	ok := sem.TryAcquire(1)
	if ok {
		held++
	}
	fmt.Fprintf(w, "  TryAcquire(1): %t, so the failed Acquire took"+
		" nothing; %d of %d held\n", ok, held, size)

	// One Release can return several units: they need not be returned as
	// they were taken.
	fmt.Fprintf(w, "  Release(%d): ", held)
	sem.Release(int64(held))
	held = 0
	fmt.Fprintf(w, "%d of %d held\n", held, size)
	return nil
}

// oneReleaseTooMany shows what a release with nothing held does to a
// channel of tokens and to a semaphore.Weighted, without hanging or
// crashing.
func oneReleaseTooMany(w io.Writer) {
	if !tryRelease(make(chan struct{}, 3)) {
		fmt.Fprintln(w, "  channel, nothing held: no token to take,"+
			" so <-sem would block forever")
	}
	err := releaseOneTooMany(semaphore.NewWeighted(3))
	fmt.Fprintf(w, "  Weighted, nothing held: Release(1) panics: %v\n", err)
}

// tryRelease releases one token of sem, a channel of tokens acquired by
// sending, if one is held, and reports whether it did. It never blocks.
func tryRelease(sem chan struct{}) bool {
	// Note that a plain <-sem with nothing held would wait for a send that
	// may never come: one release too many blocks its goroutine forever,
	// silently.
	select {
	case <-sem: // a token was held: now it is released
		return true
	default: // nothing held: <-sem would have blocked
		return false
	}
}

// releaseOneTooMany calls sem.Release(1) on a semaphore with nothing held,
// and returns the panic it causes as an error.
func releaseOneTooMany(sem *semaphore.Weighted) (err error) {
	// We recover only around the call we know panics, and we return the
	// panic as an error to print. Note that this is for the lesson: in a
	// program, one release too many is a bug to fix, not to recover from.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	sem.Release(1)
	return nil
}

// tryGo shows that TryGo starts a function only if the group has a free
// slot, and never waits for one. Every goroutine it starts has returned
// when it returns.
func tryGo(ctx context.Context, w io.Writer, limit int) error {
	// We fill every slot with a function that waits until we close
	// release (or Ctrl-C), so that the group is full when we ask.
	var g errgroup.Group
	g.SetLimit(limit)
	release := make(chan struct{})
	for range limit {
		g.Go(func() error {
			select {
			case <-release: // we let it go
			case <-ctx.Done(): // Ctrl-C
			}
			return nil
		})
	}
	fmt.Fprintf(w, "  %d running: TryGo: %t, it never waits\n", limit,
		g.TryGo(func() error { return nil }))
	close(release)
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	ok := g.TryGo(func() error { return nil })
	fmt.Fprintf(w, "  after Wait: TryGo: %t\n", ok)
	return g.Wait()
}

// A tracker records, for one way of running the downloads, when each
// download started and was done, and how many were in flight. It is safe
// for concurrent use.
type tracker struct {
	begin      time.Time
	resolution time.Duration // the times are truncated to this

	mu       sync.Mutex // guards inFlight, peak and events
	inFlight int
	peak     int // the largest inFlight ever was
	events   []event
}

// An event is one download starting or being done.
type event struct {
	at    time.Duration // since the tracker began, truncated
	id    int
	start bool // false: done
}

func newTracker(resolution time.Duration) *tracker {
	return &tracker{begin: time.Now(), resolution: resolution}
}

// start records that download id has started.
func (tr *tracker) start(id int) { tr.record(id, true) }

// done records that download id is done.
func (tr *tracker) done(id int) { tr.record(id, false) }

func (tr *tracker) record(id int, start bool) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	// We read the clock under the lock, so that the events are in the
	// order of their times.
	at := time.Since(tr.begin).Truncate(tr.resolution)
	tr.events = append(tr.events, event{at: at, id: id, start: start})
	if start {
		tr.inFlight++
	} else {
		tr.inFlight--
	}
	tr.peak = max(tr.peak, tr.inFlight)
}

// print writes one line per moment at which something happened, then a
// summary of n downloads of sleep each, at most limit at once. Call it
// once every download has returned.
func (tr *tracker) print(w io.Writer, n, limit int, sleep time.Duration) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	// We group the events that happened at the same moment, and sort the
	// ids in each group: downloads that start or finish together do so in
	// a different order on every run.
	inFlight := 0
	for len(tr.events) > 0 {
		n := 1
		for n < len(tr.events) && tr.events[n].at == tr.events[0].at {
			n++
		}
		group := tr.events[:n]
		tr.events = tr.events[n:]

		var started, done []int
		for _, e := range group {
			if e.start {
				started = append(started, e.id)
				inFlight++
			} else {
				done = append(done, e.id)
				inFlight--
			}
		}
		parts := []string{listIDs("start", started), listIDs("done", done)}
		if !group[0].start {
			// Something finished first, freeing the slot that let the
			// starts in: we say so in that order.
			slices.Reverse(parts)
		}
		parts = slices.DeleteFunc(parts, func(s string) bool { return s == "" })
		fmt.Fprintf(w, "  %v: %s; %d in flight\n",
			group[0].at, strings.Join(parts, "; "), inFlight)
	}
	took := time.Since(tr.begin).Truncate(tr.resolution)
	if tr.peak <= limit {
		fmt.Fprintf(w, "  %d downloads in %v, never more than %d at once"+
			" (one at a time: %v)\n", n, took, limit, time.Duration(n)*sleep)
	} else {
		fmt.Fprintf(w, "  %d downloads in %v, but %d at once: the limit"+
			" of %d did not hold!\n", n, took, tr.peak, limit)
	}
}

// listIDs returns "verb 1 2 3" for the ids, sorted, or "" if there are
// none.
func listIDs(verb string, ids []int) string {
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	var b strings.Builder
	b.WriteString(verb)
	for _, id := range ids {
		fmt.Fprintf(&b, " %d", id)
	}
	return b.String()
}
