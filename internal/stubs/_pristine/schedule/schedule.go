// Package schedule calls an operation again when it fails, waiting longer
// each time: exponential backoff, the way a client retries a flaky
// service without hammering it. The waits are timers, stopped at once
// when the caller's context is done.
package schedule

import (
	"context"
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
	// TODO: panic with a "schedule: ..." message if attempts < 1.

	// TODO: loop over the attempts. Before each attempt but the first,
	// wait (base, then twice as long each time) in a select on a timer and
	// ctx.Done(), so that a cancel ends the wait at once; then, if ctx is
	// done, return ctx.Err() without calling op.

	// TODO: call op(ctx); return nil on success, and after the last
	// failure, the last error wrapped as "schedule: after N attempts: %w".
	return nil
}
