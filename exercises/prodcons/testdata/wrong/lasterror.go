// Wrong: every producer that stops records its error in one variable, so the context.Canceled of a producer stopped by the first error overwrites that error.
// Caught by: TestOpenErrorIsReturned
package prodcons

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
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
	switch {
	case producers < 1:
		panic("prodcons: producers must be at least 1")
	case consumers < 1:
		panic("prodcons: consumers must be at least 1")
	case buf < 0:
		panic("prodcons: buf must not be negative")
	}

	// Any error cancels ctx, which stops every other goroutine; each
	// producer records the error it returns with.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex // guards firstErr
	var firstErr error

	// The bounded buffer between the two sides.
	lines := make(chan string, buf)

	// The producers take the next name by index: an atomic counter is
	// the whole work queue, with no goroutine to feed it.
	var next atomic.Int64
	var prod sync.WaitGroup
	for range producers {
		prod.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) || ctx.Err() != nil {
					return
				}
				if err := send(ctx, files, names[i], lines); err != nil {
					mu.Lock()
					firstErr = err // each later error overwrites it
					mu.Unlock()
					cancel()
					return
				}
			}
		})
	}

	// Only the sending side closes lines, once every producer is done:
	// a producer that closed it would make the others' sends panic.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		prod.Wait()
		close(lines)
	}()

	// Each consumer counts into its own map, so no lock is needed; we
	// merge them after the consumers are done.
	counts := make([]map[string]int, consumers)
	var cons sync.WaitGroup
	for j := range consumers {
		counts[j] = map[string]int{}
		cons.Go(func() {
			for {
				select {
				case line, ok := <-lines: // a line, or closed and empty
					if !ok {
						return
					}
					for _, w := range strings.Fields(line) {
						counts[j][w]++
					}
				case <-ctx.Done(): // cancelled, or an error elsewhere
					return
				}
			}
		})
	}
	cons.Wait()
	<-closed
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	total := counts[0]
	for _, c := range counts[1:] {
		for w, n := range c {
			total[w] += n
		}
	}
	return total, nil
}

// send reads the file called name line by line and sends each line on
// lines, until the file ends or ctx is done. It returns the error from
// opening or reading the file, or ctx.Err().
func send(ctx context.Context, files fs.FS, name string,
	lines chan<- string) error {
	f, err := files.Open(name)
	if err != nil {
		return err // an *fs.PathError, which names the file
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// We look at ctx first: with room in the buffer and ctx done,
		// both cases of the select are ready, and it picks at random.
		if err := ctx.Err(); err != nil {
			return err
		}
		select {
		case lines <- sc.Text(): // there was room
		case <-ctx.Done(): // the consumers may be gone: stop
			return ctx.Err()
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	return nil
}
