// Package prodcons counts the words in a set of files with a pipeline of
// producers, which read the files line by line, and consumers, which count
// the words of each line, joined by a bounded buffer.
package prodcons

import (
	"context"
	"io/fs"
)

// CountWords counts the words in the files called names in files, and
// returns how often each word occurs. A word is a run of non-space
// characters, as strings.Fields splits them; counts are case-sensitive.
//
// At most producers goroutines read files at once, each file whole, line
// by line; they send the lines over a channel of capacity buf to
// consumers goroutines, which count the words. So at most producers files
// are open at once, and at most buf lines wait between the two sides: a
// producer waits while the buffer is full. CountWords panics if producers
// or consumers is less than 1, or buf is negative.
//
// The first error wins: if a file cannot be opened or read, CountWords
// stops the other goroutines and returns that error, naming the file. If
// ctx is done first, it returns ctx.Err() (or its cause). A Read already
// in progress is not interrupted, but no goroutine starts another after
// the cancel. On error the map is nil. Every goroutine CountWords starts
// has returned when it returns.
func CountWords(ctx context.Context, files fs.FS, names []string,
	producers, consumers, buf int) (map[string]int, error) {
	// TODO: panic("prodcons: producers must be at least 1") if
	// producers < 1, and the same for consumers; panic("prodcons: buf
	// must not be negative") if buf < 0.

	// TODO: derive a context that the first error can cancel
	// (context.WithCancelCause), so that one error stops everyone.

	// TODO: make the bounded buffer: a channel of lines, capacity buf.

	// TODO: start producers goroutines. Each takes the next name (an
	// atomic counter makes a fine work queue), opens the file, and sends
	// its lines (bufio.Scanner) on the channel, each send in a select with
	// ctx.Done(), until the names run out. On an error, cancel with it.

	// TODO: close the channel once every producer is done, and only then:
	// only the sending side closes, and a send on a closed channel panics.

	// TODO: start consumers goroutines that receive lines until the
	// channel is closed (or ctx is done) and count the words of each
	// (strings.Fields), each in a map of its own.

	// TODO: wait for every goroutine; return the error that stopped them,
	// if any (context.Cause), or the merged counts.
	return nil, nil
}
