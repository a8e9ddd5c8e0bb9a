// Wrong: Ship calls flush in a new goroutine, so flushes overlap, the sender is never held back, and Ship returns before its flushes end.
// Nobody waits for the flush goroutines: they outlive Ship.
// Caught by: TestSlowFlushHoldsBackTheInput
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
		go flush(batch) // wrong: no back-pressure, no order, no join
		batch = nil
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
