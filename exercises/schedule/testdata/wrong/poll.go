// Wrong: Do waits by polling the clock and ctx every millisecond, so a cancel is seen up to 1ms late.
// Caught by: TestCancelWhileWaiting
package schedule

import (
	"context"
	"fmt"
	"time"
)

func Do(ctx context.Context, attempts int, base time.Duration,
	op func(context.Context) error) error {
	if attempts < 1 {
		panic(fmt.Sprintf("schedule: attempts must be at least 1, got %d", attempts))
	}
	var err error
	delay := base
	for i := range attempts {
		if i > 0 {
			start := time.Now()
			for time.Since(start) < delay {
				if err := ctx.Err(); err != nil {
					return err
				}
				time.Sleep(time.Millisecond)
			}
			delay *= 2
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err = op(ctx); err == nil {
			return nil
		}
	}
	return fmt.Errorf("schedule: after %d attempts: %w", attempts, err)
}
