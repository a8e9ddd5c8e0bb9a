// Wrong: Ship does not watch ctx, so cancelling it does not stop Ship: it waits for lines until in is closed.
// Caught by: TestCancelStopsShipAtOnce
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
	for { // wrong: no case for ctx.Done()
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
		}
	}
}
