// Wrong: time.After is called once, before the loop, so only one batch is ever flushed on time, and too early.
// The channel fires once, every after Ship started; after that, a partial
// batch waits until it fills up or in is closed.
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
	timeout := time.After(every) // wrong: one value, ever
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
		case <-timeout:
			if len(batch) > 0 {
				flush(batch)
				batch = nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
