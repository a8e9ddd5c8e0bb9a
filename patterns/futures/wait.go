package futures

import (
	"context"
	"errors"
	"iter"
)

// A Condition says when Wait returns.
type Condition int

const (
	// AllCompleted makes Wait return when every future is done.
	AllCompleted Condition = iota
	// FirstCompleted makes Wait return when any future is done.
	FirstCompleted
	// FirstError makes Wait return when any future finishes with an
	// error (a cancelled future does not count), or when every future
	// is done.
	FirstError
)

// AsCompleted returns an iterator that yields the futures of fs in the
// order they complete (finish or are cancelled): those already done first,
// in the order of fs, then each as it completes. The iterator blocks
// between futures. It ends when every future has been yielded, or as soon
// as ctx is done: check ctx.Err() after the loop to tell. A future listed
// twice is yielded twice.
//
// Each iteration adds a done callback to every future of fs; the callback
// only sends on a channel with room for every future, so it never blocks,
// and breaking out of the loop leaves no goroutine behind. The iterator
// starts no goroutine. A future's completion synchronizes before it is
// yielded.
func AsCompleted[T any](ctx context.Context, fs ...*Future[T]) iter.Seq[*Future[T]] {
	return func(yield func(*Future[T]) bool) {
		// One slot per future: every callback sends exactly once, and
		// none may block a worker, even after the loop is abandoned.
		completed := make(chan *Future[T], len(fs))
		for _, f := range fs {
			f.AddDoneCallback(func(f *Future[T]) { completed <- f })
		}
		for range fs {
			// A future ready now is yielded even if ctx is done too.
			select {
			case f := <-completed: // the next future is done
				if !yield(f) {
					return
				}
				continue
			default: // none ready: wait below
			}
			select {
			case f := <-completed: // the next future is done
				if !yield(f) {
					return
				}
			case <-ctx.Done(): // the caller gave up; ctx.Err() says so
				return
			}
		}
	}
}

// Wait waits until cond holds for fs (see Condition), or until ctx is
// done, and returns the futures of fs that were done when it returned and
// those that were not, each in the order of fs. It returns ctx.Err() if
// ctx ended first; no future is changed either way. Errors of the futures
// are not returned: ask each done future for its Result.
func Wait[T any](ctx context.Context, fs []*Future[T], cond Condition) (done, notDone []*Future[T], err error) {
	met, completed := false, 0
	for f := range AsCompleted(ctx, fs...) {
		completed++
		switch cond {
		case FirstCompleted:
			met = true
		case FirstError:
			// f is done: Result returns at once.
			_, ferr := f.Result(context.Background())
			met = ferr != nil && !errors.Is(ferr, ErrCancelled)
		}
		if met {
			break
		}
	}
	// Every future completed satisfies every condition. Otherwise
	// AsCompleted ended early, which it does only when ctx is done.
	if !met && completed < len(fs) {
		err = ctx.Err()
	}
	for _, f := range fs {
		if f.Done() {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone, err
}
