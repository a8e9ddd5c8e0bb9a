// Package semaphore admits at most n sessions at once: a connection
// limiter in front of a server that can serve only so many clients.
package semaphore

import "context"

// A Limiter admits at most n sessions at once, where n is set by New. It is
// safe for concurrent use. Make one with New; the zero value is not usable.
//
// Each session's release synchronizes before the Acquire that is given the
// freed slot returns (see https://go.dev/ref/mem): whatever a session did
// before it released is visible to the session that takes its slot.
type Limiter struct {
	// TODO: what your Limiter needs to count the slots held and to make
	// Acquire wait: a buffered channel of tokens, say, or a
	// *semaphore.Weighted from golang.org/x/sync/semaphore (which does not
	// tell how much is held: count that too).
}

// New returns a Limiter that admits at most n sessions at once. It panics
// if n < 1: a limiter that admits no one would make every Acquire wait
// until its ctx is done.
func New(n int) *Limiter {
	// TODO: panic("semaphore: n must be at least 1") if n < 1; then make the
	// Limiter.
	return nil
}

// Acquire waits until a session slot is free, takes it, and returns a
// release function that frees it. Slots are not handed out in any
// particular order.
//
// If ctx is done before a slot is free, Acquire returns a nil release and
// ctx.Err(), and takes no slot: the Limiter is left as it was. This is so
// even when ctx is already done on entry and a slot is free. (If ctx ends
// at the very moment a slot frees, Acquire may take the slot and succeed.)
//
// The release function frees the slot. The caller must call it when the
// session ends, typically with defer. It may be called any number of times,
// from any goroutines: only the first call frees the slot, and later calls
// do nothing, as with a context.CancelFunc. So a session can release early
// and still defer release, and one session can never free another's slot.
func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	// TODO: if ctx is already done, return its error and take nothing.
	// Otherwise wait for a free slot or for ctx to be done, whichever comes
	// first, without leaving anything behind that could still take a slot.
	// Return a release that frees the slot on its first call only, however
	// many goroutines call it.
	return nil, nil
}

// InUse returns the number of slots held: sessions whose Acquire has
// succeeded and whose release has not been called. It is a snapshot, for
// monitoring: other goroutines may acquire and release while it is read.
func (l *Limiter) InUse() int {
	// TODO: count the slots held.
	return 0
}
