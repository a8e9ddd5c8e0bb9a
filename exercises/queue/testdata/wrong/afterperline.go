// Wrong: each turn of the loop waits on a new time.After(every), Python's q.get(timeout=every), so a batch is flushed every after its last line, not its first, and a steady trickle of lines is never flushed.
// Caught by: TestPartialBatchFlushesAfterEvery
package queue

import (
	"context"
	"fmt"
	"time"
)

// Ship reads lines from in and calls flush with batches of them, in the
// order they arrived, until in is closed or ctx is done.
//
// A batch is flushed as soon as it has n lines, or when every has passed
// since its first line arrived, whichever comes first. The clock starts
// with the first line of each batch: a batch never waits longer than every,
// and an empty batch is never flushed (an idle shipper does nothing).
//
// When in is closed, Ship flushes the lines it holds, if any, and returns
// nil. When ctx is done first, Ship returns ctx.Err() without calling flush
// again: the lines it holds are dropped. To drain, close in instead.
//
// Ship calls flush from its own goroutine, one batch at a time, and reads
// no line while flush runs: a slow flush holds back the sender (that is
// the back-pressure). Each batch is a new slice that Ship never touches
// again once flush has it, so flush may keep it. flush is never called
// with an empty batch.
//
// Ship panics if n < 1 or every <= 0.
func Ship(ctx context.Context, in <-chan string, n int, every time.Duration, flush func([]string)) error {
	if n < 1 {
		panic(fmt.Sprintf("queue: Ship needs n >= 1, got %d", n))
	}
	if every <= 0 {
		panic(fmt.Sprintf("queue: Ship needs every > 0, got %v", every))
	}

	var batch []string // the lines since the last flush

	for {
		// Python's q.get(timeout=every), one wait per line.
		select {
		case line, ok := <-in: // a line, or the end of the input
			if !ok {
				if len(batch) > 0 {
					flush(batch)
				}
				return nil
			}
			batch = append(batch, line)
			if len(batch) == n {
				flush(batch)
				batch = nil
			}
		case <-time.After(every): // no line for every
			if len(batch) > 0 {
				flush(batch)
				batch = nil
			}
		case <-ctx.Done(): // stop now: the lines in batch are dropped
			return ctx.Err()
		}
	}
}
