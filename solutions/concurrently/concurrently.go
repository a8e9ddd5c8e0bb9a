// Package concurrently reads several lab instruments at once and returns
// their readings by name.
package concurrently

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

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
	// The goroutines share the readings map and the errs slice, so mu
	// guards both.
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex // protects readings and errs
		readings = make(map[string]int, len(readers))
		errs     []error
	)
	for name, read := range readers {
		wg.Go(func() {
			v, err := call(ctx, read)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
				return
			}
			readings[name] = v
		})
	}

	// wg.Wait returns when every reader has, and makes their writes
	// visible here. The errors came in finishing order: sort them by
	// name ("name: ..." sorts by name first).
	wg.Wait()
	slices.SortFunc(errs, func(a, b error) int {
		return strings.Compare(a.Error(), b.Error())
	})
	return readings, errors.Join(errs...)
}

// call calls read, and turns a panic into an error: recover works only in
// the goroutine that panicked, so it must be here, not in All.
func call(ctx context.Context, read Reader) (v int, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = 0, fmt.Errorf("panic: %v", r)
		}
	}()
	return read(ctx)
}
