// The concurrently command shows how to run several slow calls at once and
// get their results by name, with patterns/concurrently: the Go version of
// labbench's concurrently(f1, f2, Call(f3, 1, 2, c=3), catch=True).
//
// Five fake instrument calls sleep to stand for the instrument's work, and
// two of them fail. We run them in pairs with concurrently.Run, show that
// the pair takes as long as its longer call, not the sum, show what comes
// back when one or both fail, with and without Catch, and then rebuild the
// core of Run by hand with a WaitGroup, a map under a mutex and
// errors.Join.
//
// Usage:
//
//	go run ./lessons/concurrently [-unit d] [-timeline [-ascii] [-width n]]
//	    [-trace file]
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

	"github.com/concurrency-workbook/workbook/internal/timeline"
	"github.com/concurrency-workbook/workbook/patterns/concurrently"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "concurrently:", err)
		os.Exit(1)
	}
}

// The two failures, as Go error values: they stand for the notes'
// ValueError('I had an error') and IndexError('I had a different error').
// We keep the notes' messages, capital I included.
var (
	//lint:ignore ST1005 the message of the notes' ValueError
	errValue = errors.New("I had an error")
	//lint:ignore ST1005 the message of the notes' IndexError
	errIndex = errors.New("I had a different error")
)

// A call is one instrument operation: the shape concurrently.Run takes.
// Its result is an any, because do_something_3 returns three numbers where
// the others return one.
type call = func(context.Context) (any, error)

// A lab holds the five fake instrument calls. unit is how long "1 second"
// of the notes lasts: 1s by default, 0 in the Example.
type lab struct{ unit time.Duration }

func (l lab) doSomething1(ctx context.Context) (any, error) {
	return 1, sleep(ctx, l.unit)
}

func (l lab) doSomething2(ctx context.Context) (any, error) {
	return 2, sleep(ctx, 2*l.unit)
}

// doSomething3 takes three arguments and returns them, after 2.5 units.
func (l lab) doSomething3(ctx context.Context, a, b, c int) (any, error) {
	return []int{a, b, c}, sleep(ctx, l.unit*5/2)
}

func (l lab) doSomething4(ctx context.Context) (any, error) {
	if err := sleep(ctx, 3*l.unit); err != nil {
		return nil, err
	}
	return nil, errValue
}

func (l lab) doSomething5(ctx context.Context) (any, error) {
	if err := sleep(ctx, 4*l.unit); err != nil {
		return nil, err
	}
	return nil, errIndex
}

// run shows the notes' four examples with concurrently.Run, then Run's
// core by hand. It returns ctx.Err() once ctx is done (Ctrl-C). Every
// goroutine it starts has returned when it returns. With -timeline it
// ends with a chart of the calls; with -trace it writes them to a
// runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	unit := cfg.unit
	// We print durations, and the chart rounds them, to a tenth of a unit,
	// so a real run prints 2.5s, not 2.500312s. The chart (-timeline,
	// -trace; obs is nil without them) has a row for each call.
	res := max(unit/10, 100*time.Millisecond)
	cfg.show.Round = res
	ctx, obs, err := cfg.show.Start(ctx, "concurrently")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()

	l := lab{unit: unit}
	fmt.Fprintf(w, "do_something_1 to 5 take 1, 2, 2.5, 3 and 4 times %v"+
		" (simulated instrument work)\n", unit)
	took := func(begin time.Time, serial time.Duration) {
		fmt.Fprintf(w, "  after %v (one at a time: %v)\n",
			time.Since(begin).Truncate(res), serial)
	}

	// We give Run a map from each call's name to the call. Run starts
	// them all at once, each in its own goroutine, and waits for both:
	// the pair takes as long as do_something_2, not 1 + 2 units.
	fmt.Fprintln(w, "\n1. concurrently(do_something_1, do_something_2)")
	begin := time.Now()
	results, err := concurrently.Run(ctx, observe(obs, "section 1", map[string]call{
		"do_something_1": l.doSomething1,
		"do_something_2": l.doSomething2,
	}))
	if err != nil {
		return err // only Ctrl-C: these two never fail
	}
	fmt.Fprintln(w, "  results:", results["do_something_1"],
		results["do_something_2"])
	took(begin, 3*unit)

	// labbench's Call(f, 1, 2, c=3) binds arguments to a function. In Go
	// a closure does it: it captures the arguments and has the shape Run
	// wants.
	fmt.Fprintln(w, "\n2. concurrently(do_something_1,"+
		" Call(do_something_3, 1, 2, c=3)), the Call as a closure")
	begin = time.Now()
	results, err = concurrently.Run(ctx, observe(obs, "section 2", map[string]call{
		"do_something_1": l.doSomething1,
		"do_something_3": func(ctx context.Context) (any, error) {
			return l.doSomething3(ctx, 1, 2, 3)
		},
	}))
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "  results:", results["do_something_1"],
		results["do_something_3"])
	took(begin, unit+unit*5/2)

	// When both fail, Run waits for both and returns a
	// *ConcurrentError listing each failure by name, in name order: the
	// ConcurrentException of the notes. errors.Is still finds each
	// error. Note that the results map is nil: without Catch, any
	// failure loses every result.
	fmt.Fprintln(w, "\n3. concurrently(do_something_4, do_something_5):"+
		" both fail")
	begin = time.Now()
	results, err = concurrently.Run(ctx, observe(obs, "section 3", map[string]call{
		"do_something_4": l.doSomething4,
		"do_something_5": l.doSomething5,
	}))
	if ctx.Err() != nil {
		return ctx.Err() // Ctrl-C, not the calls' errors
	}
	fmt.Fprintln(w, "  error:", err)
	fmt.Fprintf(w, "  errors.Is(err, errValue): %t, errors.Is(err, errIndex):"+
		" %t; results == nil: %t\n", errors.Is(err, errValue),
		errors.Is(err, errIndex), results == nil)
	took(begin, 7*unit)

	// With Catch (catch=True), the map keeps the results of the calls
	// that succeeded, and the error still names the one that failed.
	fmt.Fprintln(w, "\n4. concurrently(do_something_4, do_something_1,"+
		" catch=True)")
	begin = time.Now()
	results, err = concurrently.Run(ctx, observe(obs, "section 4", map[string]call{
		"do_something_4": l.doSomething4,
		"do_something_1": l.doSomething1,
	}), concurrently.Catch())
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintln(w, "  results:", results)
	fmt.Fprintln(w, "  error:", err)
	took(begin, 4*unit)

	// Run's core fits in a few lines; we write it out to see the parts.
	fmt.Fprintln(w, "\n5. By hand: a WaitGroup, a map under a mutex,"+
		" errors.Join (do_something_1, 2 and 4)")
	begin = time.Now()
	results, err = byHand(ctx, observe(obs, "section 5", map[string]call{
		"do_something_1": l.doSomething1,
		"do_something_2": l.doSomething2,
		"do_something_4": l.doSomething4,
	}))
	if ctx.Err() != nil {
		return ctx.Err()
	}
	fmt.Fprintln(w, "  results:", results)
	fmt.Fprintln(w, "  error:", err)
	took(begin, 6*unit)

	// Every call has returned: we draw the chart (with -timeline). Note
	// that the bars of each section start together, and the next section
	// starts when its longest call ends.
	return obs.Render(w)
}

// observe returns calls with each call wrapped so that it records a span
// of label on the row named after it. The span begins and ends inside
// the call, on the goroutine that runs it, as a trace region must. With
// a nil obs the wrapped calls only call the originals.
func observe(obs *timeline.Observer, label string,
	calls map[string]call) map[string]call {
	observed := make(map[string]call, len(calls))
	for name, f := range calls {
		observed[name] = func(ctx context.Context) (any, error) {
			end := obs.Start(ctx, name, label)
			defer end()
			return f(ctx)
		}
	}
	return observed
}

// byHand runs every call in its own goroutine, waits for all, and returns
// the results of those that succeeded and every failure, joined.
func byHand(ctx context.Context, calls map[string]call) (map[string]any,
	error) {
	// Every goroutine writes to the same map and slice, so a mutex guards
	// them: a map written by two goroutines at once is a data race, and
	// the runtime may crash the program for it.
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex // protects results and errs
		results = make(map[string]any)
		errs    []error
	)
	for name, f := range calls {
		wg.Go(func() {
			v, err := f(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			results[name] = v
		})
	}
	// After wg.Wait every goroutine's writes are visible to us. The errors
	// came in finishing order; we sort them so that the message does not
	// vary. Note what this version lacks and Run has: a panic in a call is
	// not recovered (it ends the program), and nothing can cancel the
	// other calls early.
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int {
		return strings.Compare(a.Error(), b.Error())
	})
	return results, errors.Join(errs...)
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
