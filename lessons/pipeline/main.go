// The pipeline command shows how to build a pipeline of goroutines joined
// by channels: stages that each receive from one channel and send on the
// next, fan-out to several workers and fan-in with a merge, a cancel that
// stops every stage, an error that stops the whole pipeline (errgroup),
// and sequence numbers with a reorder buffer to keep the input's order.
// Go's answer to Python's chained generators and to threads with queues
// between them.
//
// Usage:
//
//	go run ./lessons/pipeline [-n items] [-workers n] [-work d]
//	    [-take k] [-fail k] [-timeline [-ascii] [-width n]] [-trace file]
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// run runs the five parts of the lesson in turn: stages, fan-out and
// fan-in, order, cancellation and errors. It returns ctx.Err() if ctx is
// done first. Every goroutine it starts has returned when it returns.
// With -timeline it ends with a chart of the workers of parts 2 and 3;
// with -trace it writes them to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We print times, and the chart rounds them, to a tenth of -work (of a
	// second with -work 0): the hand-offs take microseconds, only noise.
	// The chart (-timeline, -trace; obs is nil without them) has a span
	// for each item a worker of parts 2 and 3 squares.
	unit := cmp.Or(cfg.work/10, 100*time.Millisecond)
	cfg.show.Round = unit
	ctx, obs, err := cfg.show.Start(ctx, "pipeline")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()
	logger := log.New(w, "", 0)

	// Part 1: three stages in a row. Each stage is a function that
	// starts one goroutine and returns the channel it sends on; the sink,
	// sum, is a plain function that receives until that channel closes.
	logger.Printf("stages: gen 1..%d → square → sum", cfg.n)
	total := sum(square(ctx, gen(ctx, cfg.n), 0))
	if err := ctx.Err(); err != nil {
		return err // Ctrl-C: the stages stopped early, the sum is partial
	}
	logger.Printf("  sum of squares %d", total)

	// Part 2: fan-out and fan-in. Squaring is now slow (a timer simulates
	// -work of I/O per item), so we start -workers square stages that all
	// receive from the same generator, and merge their outputs into one.
	logger.Print()
	logger.Printf("fan-out: %d items to %d square workers, %v each;"+
		" fan-in with merge", cfg.n, cfg.workers, cfg.work)
	start := time.Now()
	nums := gen(ctx, cfg.n)
	outs := make([]<-chan int, cfg.workers)
	for i := range outs {
		row := fmt.Sprintf("fan-out square %d", i+1)
		outs[i] = shownSquare(ctx, obs, row, nums, cfg.work)
	}
	total = sum(merge(ctx, outs...))
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Printf("  sum %d after %v; one worker would take %v", total,
		time.Since(start).Truncate(unit), time.Duration(cfg.n)*cfg.work)

	// Part 3: order. A fan-out sends its results in the order the
	// workers finish, not the order of the input. We number each item,
	// square the numbered items, which finish out of order, and put them
	// back in order.
	logger.Print()
	logger.Printf("order: %d workers, sequence numbers, a reorder buffer",
		cfg.workers)
	inOrder, err := ordered(ctx, obs, cfg.n, cfg.workers, cfg.work)
	if err != nil {
		return err
	}
	logger.Printf("  %s", join(inOrder))

	// Part 4: cancellation. The consumer of an endless generator cancels
	// after -take items.
	logger.Print()
	logger.Printf("cancel: an endless gen → square, cancelled after %d"+
		" items", cfg.take)
	took, report, err := cancelAfter(ctx, cfg.take)
	if err != nil {
		return err
	}
	logger.Printf("  took %s", join(took))
	logger.Printf("  %s", report)

	// Part 5: errors. Parsing item -fail fails; the first error cancels
	// the group's context, and every stage stops.
	logger.Print()
	logger.Printf("errors: an errgroup of gen → parse → sum of squares;"+
		" item %d is bad", cfg.fail)
	partial, err := parseAndSum(ctx, cfg.n, cfg.fail)
	if err := ctx.Err(); err != nil {
		return err
	}
	logger.Printf("  g.Wait: %v", err)
	logger.Printf("  every stage returned; the sink had added %d", partial)

	// Every stage has returned: we draw the chart (with -timeline). Note
	// that every worker is busy from its first item to the last, and that
	// no more than -workers bars overlap.
	return obs.Render(w)
}

// gen is the first stage: it sends 1, 2, ..., n on the channel it
// returns. The returned channel is closed when all n are sent or ctx is
// done.
func gen(ctx context.Context, n int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for i := 1; i <= n; i++ {
			if !send(ctx, out, i) {
				return // cancelled
			}
		}
	}()
	return out
}

// square is a stage: it sends the square of each number it receives from
// in, each after work (a timer simulates the I/O). Several square stages
// may receive from one in: that is a fan-out.
//
// The returned channel is closed once in is closed. When ctx is done,
// square stops working and sending but keeps receiving until in is
// closed, which a stage before it, watching ctx too, does at once. So
// when the last channel of a pipeline is closed, every stage before it
// has returned: draining the last channel joins them all.
func square(ctx context.Context, in <-chan int, work time.Duration) <-chan int {
	return shownSquare(ctx, nil, "", in, work)
}

// shownSquare is square, recording the work on each item as a span of
// "item v" on row of obs, for -timeline and -trace. With a nil obs it
// records nothing.
func shownSquare(ctx context.Context, obs *timeline.Observer, row string,
	in <-chan int, work time.Duration) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for v := range in {
			// The span covers the work only, not the wait to send:
			// it begins and ends here, on the stage's goroutine.
			end := obs.Start(ctx, row, fmt.Sprintf("item %d", v))
			ok := sleep(ctx, work) == nil
			end()
			if !ok {
				continue // cancelled: drain in, send nothing
			}
			send(ctx, out, v*v)
		}
	}()
	return out
}

// merge is the fan-in: it sends every value from every channel in ins on
// the one channel it returns, in the order they arrive. The returned
// channel is closed once every channel in ins is closed; when ctx is done
// merge stops sending, and drains ins as square drains in.
func merge[T any](ctx context.Context, ins ...<-chan T) <-chan T {
	out := make(chan T)

	// One forwarding goroutine per input. Note that none of them may
	// close out: the others may still be sending, and a send on a closed
	// channel panics.
	var wg sync.WaitGroup
	for _, in := range ins {
		wg.Go(func() {
			for v := range in {
				send(ctx, out, v)
			}
		})
	}

	// The closer is the one goroutine that knows when every forwarder
	// is done: it waits for them, closes out, and returns. Whoever drains
	// out until it is closed has joined it.
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// sum is the sink: it adds up the values it receives until in is closed.
// It runs in the caller's goroutine and stops only when in is closed, so
// every stage before it must close its channel, also on a cancel.
func sum(in <-chan int) int {
	total := 0
	for v := range in {
		total += v
	}
	return total
}

// An item is a value with its place in the input: its sequence number.
type item struct {
	seq int // 0, 1, 2, ... in the input's order
	v   int
}

// ordered squares 1..n with workers goroutines and returns the squares in
// the input's order, or ctx.Err() if ctx is done first. Each worker
// records its work on each item as a span on its row of obs ("order
// square 2"); a nil obs records nothing.
func ordered(ctx context.Context, obs *timeline.Observer, n, workers int,
	work time.Duration) ([]int, error) {
	// We number the items as they leave the generator: the number
	// travels with the item through every stage.
	items := make(chan item)
	go func() {
		defer close(items)
		for i := range n {
			if !send(ctx, items, item{i, i + 1}) {
				return
			}
		}
	}()

	// The workers square items; item k takes (k mod 3 + 1) × work, so
	// item 3 (one work) overtakes items 1 and 2 (two and three).
	outs := make([]<-chan item, workers)
	for i := range outs {
		out := make(chan item)
		outs[i] = out
		row := fmt.Sprintf("order square %d", i+1)
		go func() {
			defer close(out)
			for it := range items {
				end := obs.Start(ctx, row, fmt.Sprintf("item %d", it.v))
				ok := sleep(ctx, time.Duration(it.v%3+1)*work) == nil
				end()
				if ok {
					send(ctx, out, item{it.seq, it.v * it.v})
				}
			}
		}()
	}

	var got []int
	for v := range reorder(ctx, merge(ctx, outs...)) {
		got = append(got, v)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return got, nil
}

// reorder sends the values of the items it receives from in in the order
// of their sequence numbers, 0, 1, 2, ..., each once the items before it
// have arrived. The returned channel is closed once in is closed.
//
// It holds the items that arrive early in a buffer, a map from sequence
// number to value. Note that the buffer is bounded only by how far ahead
// the fastest item can get: one slow item makes it hold everything that
// arrives after it.
func reorder(ctx context.Context, in <-chan item) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		early := map[int]int{} // items that arrived before their turn
		next := 0              // the sequence number we send next
		for it := range in {
			early[it.seq] = it.v
			for {
				v, ok := early[next]
				if !ok {
					break // next has not arrived yet
				}
				delete(early, next)
				next++
				send(ctx, out, v)
			}
		}
	}()
	return out
}

// cancelAfter runs an endless generator and a square stage, takes take
// squares, cancels, and drains the last channel. It reports what it took
// and whether each stage's channel was closed when the draining ended.
func cancelAfter(ctx context.Context, take int) ([]int, string, error) {
	stageCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	nums := gen(stageCtx, math.MaxInt) // endless, for all we will take
	squares := square(stageCtx, nums, 0)

	// We take what we want, then cancel and keep receiving until the
	// channel is closed. Note that breaking out of the loop without
	// draining would not stop the stages: only the cancel does.
	var took []int
	for v := range squares {
		if len(took) < take {
			took = append(took, v)
		}
		if len(took) == take {
			cancel()
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, "", err // Ctrl-C, not our own cancel
	}
	// The last channel is closed, so by square's contract gen's channel
	// is closed too: both goroutines have returned.
	report := fmt.Sprintf("after the cancel: gen's channel closed: %t,"+
		" square's closed: %t", isClosed(nums), isClosed(squares))
	return took, report, nil
}

// parseAndSum runs gen → parse → sum of squares as an errgroup, where
// item fail is not a number, and returns what the sink had added when
// the group stopped, with the group's first error.
func parseAndSum(ctx context.Context, n, fail int) (int, error) {
	g, ctx := errgroup.WithContext(ctx)

	// Stage 1 sends the items as text; item fail is not a number. With
	// an errgroup, each stage is a g.Go function that closes its own
	// output, and g.Wait is the join point of them all.
	lines := make(chan string)
	g.Go(func() error {
		defer close(lines)
		for i := 1; i <= n; i++ {
			s := strconv.Itoa(i)
			if i == fail {
				s += "?"
			}
			if !send(ctx, lines, s) {
				return ctx.Err()
			}
		}
		return nil
	})

	// Stage 2 parses. Its error cancels ctx, which stops stage 1's
	// sends; returning closes nums, which ends stage 3.
	nums := make(chan int)
	g.Go(func() error {
		defer close(nums)
		for s := range lines {
			v, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("parse: %w", err)
			}
			if !send(ctx, nums, v) {
				return ctx.Err()
			}
		}
		return nil
	})

	// Stage 3, the sink, adds up the squares. We read total only after
	// g.Wait, which every g.Go function's return synchronizes before.
	total := 0
	g.Go(func() error {
		for v := range nums {
			total += v * v
		}
		return nil
	})
	err := g.Wait()
	return total, err
}

// send sends v on out unless ctx is done first, and reports whether it
// sent. It looks at ctx first, so that a cancel wins even when out is
// ready too (docs/concepts.md, "When several cases are ready").
func send[T any](ctx context.Context, out chan<- T, v T) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case out <- v: // a receiver took it
		return true
	case <-ctx.Done(): // cancelled: the receiver may be gone
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

// isClosed reports whether ch is closed and empty. It never blocks.
func isClosed[T any](ch <-chan T) bool {
	select {
	case _, ok := <-ch: // closed, or a value was ready
		return !ok
	default: // open, nothing ready
		return false
	}
}

// join formats nums separated by spaces.
func join(nums []int) string {
	s := make([]string, len(nums))
	for i, v := range nums {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, " ")
}
