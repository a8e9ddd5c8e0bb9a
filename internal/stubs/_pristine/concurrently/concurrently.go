// Package concurrently reads several lab instruments at once and returns
// their readings by name.
package concurrently

import "context"

// A Reader reads one instrument. It should return promptly, with
// ctx.Err(), once ctx is done.
type Reader func(ctx context.Context) (int, error)

// All calls every reader in readers at once, each in its own goroutine,
// and blocks until every one of them has returned. It returns the readings
// of the readers that succeeded, by name, and an error that reports every
// reader that failed: nil if none did, else errors.Join of one error per
// failure, "name: error", sorted by name, each wrapping the reader's error
// so that errors.Is and errors.As reach it.
//
// A reader that panics fails with an error "name: panic: value"; the
// others are unaffected. Every goroutine All starts has returned when it
// returns.
func All(ctx context.Context, readers map[string]Reader) (map[string]int,
	error) {
	// TODO: make the readings map and a slice for the errors, and a
	// mutex to guard both: every goroutine writes to them.

	// TODO: start one goroutine per reader (wg.Go). Each calls call(ctx,
	// read), then, under the lock, stores the reading under its name, or
	// appends the error wrapped with the name: fmt.Errorf("%s: %w", ...).

	// TODO: wait for every goroutine, sort the errors by name, and return
	// the readings and errors.Join of the errors.
	return nil, nil
}

// call calls read, and turns a panic into an error: recover works only in
// the goroutine that panicked, so it must be here, not in All.
func call(ctx context.Context, read Reader) (v int, err error) {
	// TODO: recover a panic in a deferred function, and return 0 and an
	// error "panic: <value>" instead.
	return read(ctx)
}
