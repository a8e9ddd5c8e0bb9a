// Package queue provides Ship, the heart of a log shipper: it batches lines
// from a channel and flushes a batch when it is full or has waited long
// enough, whichever comes first. It is what Python programs build from a
// queue.Queue and get(timeout=...) in a loop.
package queue

import (
	"context"
	"time"
)

// Ship reads lines from in and calls flush with batches of them, in the
// order they arrived, until in is closed or ctx is done.
//
// A batch is flushed as soon as it has n lines, or when every has passed
// since its first line arrived, whichever comes first. The clock starts
// with the first line of each batch: a batch never waits longer than every,
// and an empty batch is never flushed (an idle shipper does nothing).
//
// When in is closed, Ship flushes the lines it holds, if any, and returns
// nil. When ctx is done first, Ship returns ctx.Err() without calling flush
// again: the lines it holds are dropped. To drain, close in instead.
//
// Ship calls flush from its own goroutine, one batch at a time, and reads
// no line while flush runs: a slow flush holds back the sender (that is
// the back-pressure). Each batch is a new slice that Ship never touches
// again once flush has it, so flush may keep it. flush is never called
// with an empty batch.
//
// Ship panics if n < 1 or every <= 0.
func Ship(ctx context.Context, in <-chan string, n int, every time.Duration, flush func([]string)) error {
	// TODO: panic, with a message that starts "queue: ", if n < 1 or
	// every <= 0.

	// TODO: the batch, and a timer that runs only while the batch has
	// lines (a nil channel in a select is never ready).

	// TODO: loop on a select: a line from in (or in closed), the batch's
	// time is up, or ctx is done. Flush a full batch at once, and start a
	// new slice for the next one.
	return nil
}
