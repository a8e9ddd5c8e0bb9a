// Wrong: the timer of a batch flushed because it was full is left running, and fires into the next batch, early.
// Each batch's timer starts with its first line, as it should, but only
// when no timer is running: after a full batch, the old timer is still
// running, so the next batch inherits its deadline.
// Caught by: TestTimerStartsOverAfterFullBatch
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
	var deadline <-chan time.Time // nil while no timer runs
	for {
		select {
		case line, ok := <-in:
			if !ok {
				if len(batch) > 0 {
					flush(batch)
				}
				return nil
			}
			if deadline == nil {
				deadline = time.After(every)
			}
			batch = append(batch, line)
			if len(batch) == n {
				flush(batch)
				batch = nil // wrong: deadline is not reset with the batch
			}
		case <-deadline:
			deadline = nil
			if len(batch) > 0 {
				flush(batch)
				batch = nil
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
