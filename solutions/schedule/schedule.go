// Package schedule calls an operation again when it fails, waiting longer
// each time: exponential backoff, the way a client retries a flaky
// service without hammering it. The waits are timers, stopped at once
// when the caller's context is done.
package schedule

import (
	"context"
	"fmt"
	"time"
)

// Do calls op until it returns nil, at most attempts times, and returns
// nil as soon as one call succeeds. After a failed call it waits before
// the next: base after the first, then 2·base, 4·base, and so on, so the
// calls start at 0, base, 3·base, 7·base, ... after Do is called. It does
// not wait after the last call.
//
// When every call has failed, Do returns the last call's error, wrapped as
// "schedule: after N attempts: ..." (errors.Is and errors.As see it). If ctx
// is done while Do waits, Do returns ctx.Err() at that moment and makes no
// further call; if ctx is done when Do is called, it returns ctx.Err()
// without calling op. op gets ctx, and should return promptly once it is
// done. Do calls op in the caller's goroutine and starts none of its own.
//
// Do panics if attempts is less than 1. The wait doubles without limit:
// keep base·2^(attempts-1) well below the largest time.Duration.
func Do(ctx context.Context, attempts int, base time.Duration,
	op func(context.Context) error) error {
	if attempts < 1 {
		panic(fmt.Sprintf("schedule: attempts must be at least 1, got %d",
			attempts))
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
		// A done ctx makes no call: before the first, and when the wait
		// and the cancel end at the same moment.
		if err := ctx.Err(); err != nil {
			return err
		}
		if err = op(ctx); err == nil {
			return nil
		}
	}
	return fmt.Errorf("schedule: after %d attempts: %w", attempts, err)
}

// wait returns nil after d, or ctx.Err() as soon as ctx is done.
func wait(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C: // the wait is over
		return nil
	case <-ctx.Done(): // the caller gave up: stop waiting now
		return ctx.Err()
	}
}
