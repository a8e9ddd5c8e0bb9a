// Wrong: Ship reuses one backing array for every batch, so the lines of a batch that flush kept are overwritten by the next.
// batch = batch[:0] saves an allocation per batch, but the slice flush
// received shares its array with the next batch.
// Caught by: TestBatchesAreNotReused
package queue

import (
	"context"
	"time"
)

func Ship(ctx context.Context, in <-chan string, n int, every time.Duration, flush func([]string)) error {
	if n < 1 || every <= 0 {
		panic("queue: Ship needs n >= 1 and every > 0")
	}
	batch := make([]string, 0, n)
	timer := time.NewTimer(every)
	timer.Stop()
	defer timer.Stop()
	var deadline <-chan time.Time
	send := func() {
		timer.Stop()
		deadline = nil
		flush(batch)
		batch = batch[:0] // wrong: flush may still hold the slice
	}
	for {
		select {
		case line, ok := <-in:
			if !ok {
				if len(batch) > 0 {
					send()
				}
				return nil
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
