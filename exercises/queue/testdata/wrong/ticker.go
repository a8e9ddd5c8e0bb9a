// Wrong: a time.Ticker started with Ship flushes on its own beat, not every after a batch's first line.
// It skips empty batches, so an idle shipper flushes nothing, but a line
// that comes just before a tick is flushed almost at once, not every
// after it came, and a full batch does not start the clock again.
// Caught by: TestPartialBatchFlushesAfterEvery, TestTimerStartsOverAfterFullBatch, TestNoEmptyBatches
package queue

import (
	"context"
	"time"
)

func Ship(ctx context.Context, in <-chan string, n int, every time.Duration, flush func([]string)) error {
	if n < 1 || every <= 0 {
		panic("queue: Ship needs n >= 1 and every > 0")
	}
	var batch []string
	ticker := time.NewTicker(every) // wrong: ticks at every, 2*every, ... from the start
	defer ticker.Stop()
	for {
		select {
		case line, ok := <-in:
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
		case <-ticker.C:
			if len(batch) > 0 {
				flush(batch)
				batch = nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
