// Wrong: Do runs op in a goroutine of its own and stops waiting for it when ctx is done, so it returns while op is still running.
// It means to make a cancel felt at once, even in the middle of a slow
// op; but op then runs on after Do has returned, and its goroutine
// outlives the call, which the doc comment rules out: Do calls op in the
// caller's goroutine.
// Caught by: TestReturnsOnlyAfterOpReturns
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
			if err := wait(ctx, delay); err != nil {
				return err
			}
			delay *= 2
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		errc := make(chan error, 1) // room for op's error: its send never blocks
		go func() { errc <- op(ctx) }()
		select {
		case err = <-errc: // op returned
			if err == nil {
				return nil
			}
		case <-ctx.Done(): // cancelled: do not wait for op
			return ctx.Err()
		}
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
