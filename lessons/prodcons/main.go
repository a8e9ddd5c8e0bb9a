// The prodcons command shows producers and consumers on a channel: who
// closes it when there are several producers, how a bounded buffer slows
// a fast producer down to its consumer's pace, and how a cancelled context
// stops them all with no goroutine left behind. Go's answer to Python's
// queue.Queue with producer and consumer threads and a None sentinel.
//
// Last, it integrates x² over [0, 10] the way the Python notes do with
// threads: workers put partial sums on a results channel, and the main
// goroutine adds them up.
//
// Usage:
//
//	go run ./lessons/prodcons [-producers n] [-consumers n] [-items n]
//	    [-buf n] [-consume d] [-stop d] [-workers n] [-n steps]
//	    [-timeline [-ascii] [-width n]] [-trace file]
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "prodcons:", err)
		os.Exit(1)
	}
}

// run runs the four parts of the lesson in turn: many producers and
// consumers with a closer, back-pressure, shutdown, and the integration.
// It returns ctx.Err() if ctx is done first. Every goroutine it starts has
// returned when it returns. With -timeline it ends with a chart of the
// back-pressure part; with -trace it writes it to a runtime/trace file.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record the sends and the work of part 2 as spans for -timeline
	// and -trace (obs is nil without them), and round every time we print
	// or chart to a tenth of -consume: a hand-over takes microseconds, only
	// noise. Note that the chart then leaves out the sends that did not
	// wait.
	unit := max(cfg.consume/10, time.Millisecond)
	cfg.show.Round = unit
	ctx, obs, err := cfg.show.Start(ctx, "prodcons")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()
	logger := log.New(w, "", 0)

	// Part 1: M producers and N consumers on one channel. Only a sender
	// may close a channel, and with several senders none of them knows
	// it is the last: a closer goroutine waits for all of them, then
	// closes.
	logger.Printf("%d producers, %d items each; %d consumers;"+
		" a channel of capacity %d", cfg.producers, cfg.items,
		cfg.consumers, cfg.buf)
	taken, err := pipeline(ctx, cfg.producers, cfg.consumers, cfg.items,
		cfg.buf)
	if err != nil {
		return err
	}
	logger.Printf("  the closer closed the channel once all %d producers"+
		" were done", cfg.producers)
	logger.Print(exactlyOnce(cfg, taken))

	// Part 2: back-pressure. After both goroutines are done, we print
	// when each send completed and when each item was taken.
	logger.Print()
	logger.Printf("back-pressure: an instant producer, a consumer taking"+
		" %v an item, capacity %d", cfg.consume, cfg.buf)
	sent, got, err := backPressure(ctx, obs, cfg.items, cfg.buf, cfg.consume)
	if err != nil {
		return err
	}
	for k := range sent {
		logger.Printf("  item %d: sent at %v, taken at %v", k+1,
			sent[k].Truncate(unit), got[k].Truncate(unit))
	}
	logger.Printf("  item k is sent when item k-%d is taken:"+
		" the consumer's pace", cfg.buf)

	// Part 3: shutdown. Producers never stop by themselves; a context
	// cancelled after -stop must make every goroutine return.
	logger.Print()
	logger.Printf("shutdown: %d endless producers, %d consumers,"+
		" cancelled after %v", cfg.producers, cfg.consumers, cfg.stop)
	res, err := shutdown(ctx, cfg.producers, cfg.consumers, cfg.buf,
		cfg.consume, cfg.stop)
	if err != nil {
		return err
	}
	logger.Printf("  all %d goroutines returned %v after the cancel",
		cfg.producers+cfg.consumers, res.late.Truncate(unit))
	logger.Printf("  sent %d, taken %d, left in the buffer %d",
		res.sent, res.taken, res.left)
	logger.Print("  a cancel stops the work; it does not drain the queue")

	// Part 4: the Python notes' threaded integration, with goroutines.
	logger.Print()
	logger.Printf("integrate x² over [0, 10]: %d workers, %d steps"+
		" (a left Riemann sum)", cfg.workers, cfg.n)
	partial, err := integrate(ctx, square, 0, 10, cfg.n, cfg.workers)
	if err != nil {
		return err
	}
	var sum float64
	for i, p := range partial {
		logger.Printf("  worker %d: %.6f", i+1, p)
		sum += p // in worker order: the same sum on every run
	}
	exact := 1000.0 / 3
	logger.Printf("  sum %.6f; exact 1000/3 = %.6f; error %.6f",
		sum, exact, sum-exact)

	// Every goroutine has returned: we draw the chart of part 2 (with
	// -timeline). Note that each send of the producer waits for the
	// consumer to take an item.
	return obs.Render(w)
}

// pipeline runs producers goroutines that each send items values on a
// channel of capacity buf, and consumers goroutines that receive until it
// is closed. It returns what each consumer took, in the order it took
// them, or ctx.Err() if ctx is done first.
func pipeline(ctx context.Context, producers, consumers, items, buf int) (
	[][]string, error) {
	// The channel is the bounded buffer: a send waits while buf items
	// are in it, a receive while it is empty.
	ch := make(chan string, buf)

	// Each producer sends its items, each send in a select with
	// ctx.Done(): a send on a full channel would otherwise wait forever
	// once the consumers have gone. Note that a producer does not close
	// ch: the others may still be sending, and a send on a closed
	// channel panics.
	var prod sync.WaitGroup
	for i := range producers {
		prod.Go(func() {
			for k := range items {
				select {
				case ch <- fmt.Sprintf("p%d-%d", i+1, k+1): // there was room
				case <-ctx.Done(): // cancelled: stop sending
					return
				}
			}
		})
	}

	// The closer is the one goroutine that knows when every producer is
	// done: it waits for them, then closes ch. We could do it in this
	// goroutine, after starting the consumers; a goroutine of its own
	// shows the shape used when the function must return ch at once.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		prod.Wait()
		close(ch)
	}()

	// Each consumer receives in a select, not a range, so that it can
	// watch ctx too. One close ends every consumer's loop: a receive from
	// a closed, empty channel returns ok == false at once, to every
	// receiver. Each consumer appends only to its own element of taken.
	taken := make([][]string, consumers)
	var cons sync.WaitGroup
	for j := range consumers {
		cons.Go(func() {
			for {
				select {
				case v, ok := <-ch: // an item, or closed and empty
					if !ok {
						return
					}
					taken[j] = append(taken[j], v)
				case <-ctx.Done(): // cancelled: stop taking
					return
				}
			}
		})
	}

	// We join the consumers, then the closer, which has returned or
	// will, once the producers have.
	cons.Wait()
	<-closed
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return taken, nil
}

// exactlyOnce checks that the consumers took every item the producers
// made, each once, and says so.
func exactlyOnce(cfg config, taken [][]string) string {
	var all, want []string
	for _, items := range taken {
		all = append(all, items...)
	}
	for i := range cfg.producers {
		for k := range cfg.items {
			want = append(want, fmt.Sprintf("p%d-%d", i+1, k+1))
		}
	}
	slices.Sort(all)
	slices.Sort(want)
	if !slices.Equal(all, want) {
		return fmt.Sprintf("  wrong: took %v; want %v", all, want)
	}
	return fmt.Sprintf("  %d consumers took all %d items, each exactly once,"+
		" and stopped at the close", cfg.consumers, len(want))
}

// backPressure runs one producer that sends items values as fast as it can
// on a channel of capacity buf, and one consumer that spends consume on
// each. It returns, for each item, when its send completed and when it
// was taken, measured from the start; or ctx.Err() if ctx is done first.
// It records each send and each item's work as a span on obs (which may
// be nil), on the rows "producer" and "consumer".
func backPressure(ctx context.Context, obs *timeline.Observer, items, buf int,
	consume time.Duration) (sent, taken []time.Duration, err error) {
	ch := make(chan int, buf)
	start := time.Now()
	sent = make([]time.Duration, items)  // written by the producer only
	taken = make([]time.Duration, items) // written by the consumer only

	// The producer is the only sender, so it closes ch itself when it
	// is done. A send blocks while the buffer is full: that wait is the
	// back-pressure, and nothing else slows the producer down.
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(ch)
		for k := range items {
			end := obs.Start(ctx, "producer", fmt.Sprintf("send item %d", k+1))
			select {
			case ch <- k: // room in the buffer, or a waiting consumer
				sent[k] = time.Since(start)
				end()
			case <-ctx.Done(): // cancelled
				end()
				return
			}
		}
	})

	// The consumer takes an item, then works on it for consume (a timer
	// simulates the work), until ch is closed and empty.
	wg.Go(func() {
		for {
			select {
			case k, ok := <-ch: // an item, or closed and empty
				if !ok {
					return
				}
				taken[k] = time.Since(start)
				end := obs.Start(ctx, "consumer", fmt.Sprintf("item %d", k+1))
				ok = sleep(ctx, consume) == nil
				end()
				if !ok {
					return
				}
			case <-ctx.Done(): // cancelled
				return
			}
		}
	})
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	return sent, taken, nil
}

// A stopped is what shutdown saw.
type stopped struct {
	sent, taken, left int           // items sent, taken, and still in the buffer
	late              time.Duration // from the cancel to the last return
}

// shutdown runs producers that send items as fast as the buffer lets them,
// forever, and consumers that spend consume on each item, until a context
// derived from ctx is cancelled after stop. It returns what happened, or
// ctx.Err() if ctx itself is done first.
func shutdown(ctx context.Context, producers, consumers, buf int,
	consume, stop time.Duration) (stopped, error) {
	// The cancel is the only stop signal: nobody closes ch. A channel
	// that no one will receive from again needs no close; the garbage
	// collector takes it, items and all.
	runCtx, cancel := context.WithTimeout(ctx, stop)
	defer cancel()
	ch := make(chan int, buf)
	var sent, taken atomic.Int64

	// Each goroutine checks runCtx before each select as well, so that it
	// stops promptly (docs/concepts.md, "When several cases are ready").
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for runCtx.Err() == nil {
				select {
				case ch <- 1: // room in the buffer
					sent.Add(1)
				case <-runCtx.Done(): // cancelled: stop at once
					return
				}
			}
		})
	}
	for range consumers {
		wg.Go(func() {
			for runCtx.Err() == nil {
				select {
				case <-ch: // an item
					taken.Add(1)
					if sleep(runCtx, consume) != nil {
						return
					}
				case <-runCtx.Done(): // cancelled: stop at once
					return
				}
			}
		})
	}

	// We join every goroutine, and measure how long after the cancel
	// the last one returned. Note that an item still in the buffer is
	// never taken: it is dropped, as a Python program that stops its
	// threads drops what is left in its Queue.
	<-runCtx.Done()
	cancelled := time.Now()
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return stopped{}, err // Ctrl-C, not our own timeout
	}
	return stopped{
		sent:  int(sent.Load()),
		taken: int(taken.Load()),
		left:  len(ch),
		late:  time.Since(cancelled),
	}, nil
}

// integrate computes the left Riemann sum of f over [a, b] with n steps,
// split among workers goroutines, and returns each worker's partial sum,
// in worker order, so that the caller can add them in a fixed order. It
// returns ctx.Err() if ctx is done first.
func integrate(ctx context.Context, f func(float64) float64, a, b float64,
	n, workers int) ([]float64, error) {
	type result struct {
		worker int
		sum    float64
	}
	// One slot per worker: every worker sends exactly one result, so no
	// send ever waits, and a worker can always return.
	results := make(chan result, workers)
	dx := (b - a) / float64(n)

	// Worker i takes steps [i*n/workers, (i+1)*n/workers): together the
	// workers take every step once, even when workers does not divide n.
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			var s float64
			for j := i * n / workers; j < (i+1)*n/workers; j++ {
				if j%(1<<16) == 0 && ctx.Err() != nil {
					return // cancelled: the caller will not add it up
				}
				s += f(a + float64(j)*dx)
			}
			results <- result{i, s * dx}
		})
	}
	wg.Wait()
	close(results) // every sender is done
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// The results arrive in whatever order the workers finish. Note that
	// floating-point addition is not associative: adding them as they
	// arrive would change the last digits from run to run. So we put each
	// in its worker's slot, and the caller adds them in order.
	partial := make([]float64, workers)
	for r := range results {
		partial[r.worker] = r.sum
	}
	return partial, nil
}

// square is the notes' f(x) = x².
func square(x float64) float64 { return x * x }

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
