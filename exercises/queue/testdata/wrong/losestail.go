// Wrong: when in is closed, Ship returns at once and loses the lines of the last, partial batch.
// Caught by: TestRemainderIsFlushedOnClose, TestLinesKeepTheirOrder
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
	timer := time.NewTimer(every)
	timer.Stop()
	defer timer.Stop()
	var deadline <-chan time.Time
	send := func() {
		timer.Stop()
		deadline = nil
		flush(batch)
		batch = nil
	}
	for {
		select {
		case line, ok := <-in:
			if !ok {
				return nil // wrong: the lines in batch are never flushed
			}
			if len(batch) == 0 {
				timer.Reset(every)
				deadline = timer.C
			}
			batch = append(batch, line)
			if len(batch) == n {
				send()
			}
		case <-deadline:
			send()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
