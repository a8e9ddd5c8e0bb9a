// Wrong: Do waits after every failed attempt, the last one too, so it reports the failure a whole wait late.
// Caught by: TestAttemptsAtDoublingTimes, TestOneAttempt
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
	for range attempts {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err = op(ctx); err == nil {
			return nil
		}
		if err := wait(ctx, delay); err != nil {
			return err
		}
		delay *= 2
	}
	return fmt.Errorf("schedule: after %d attempts: %w", attempts, err)
}

func wait(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
