// Package semaphore admits at most n sessions at once: a connection
// limiter in front of a server that can serve only so many clients.
package semaphore

import (
	"context"
	"sync"
)

// A Limiter admits at most n sessions at once, where n is set by New. It is
// safe for concurrent use. Make one with New; the zero value is not usable.
//
// Each session's release synchronizes before the Acquire that is given the
// freed slot returns (see https://go.dev/ref/mem): whatever a session did
// before it released is visible to the session that takes its slot.
type Limiter struct {
	// tokens holds one token per session in progress: Acquire sends one,
	// and waits while the buffer is full; release receives one. Its
	// capacity, n, is the limit.
	tokens chan struct{}
}

// New returns a Limiter that admits at most n sessions at once. It panics
// if n < 1: a limiter that admits no one would make every Acquire wait
// until its ctx is done.
func New(n int) *Limiter {
	if n < 1 {
		panic("semaphore: n must be at least 1")
	}
	return &Limiter{tokens: make(chan struct{}, n)}
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
	// We look at ctx before we wait: when ctx is done and a slot is free,
	// both cases of the select below are ready, and select would pick one
	// at random.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case l.tokens <- struct{}{}: // a slot was free, or was freed: it is ours
	case <-ctx.Done(): // the caller gave up: we hold nothing to give back
		return nil, ctx.Err()
	}
	// sync.OnceFunc makes the release safe to call again, and from several
	// goroutines at once: the receive, which frees our slot, runs once.
	return sync.OnceFunc(func() { <-l.tokens }), nil
}

// InUse returns the number of slots held: sessions whose Acquire has
// succeeded and whose release has not been called. It is a snapshot, for
// monitoring: other goroutines may acquire and release while it is read.
func (l *Limiter) InUse() int {
	return len(l.tokens)
}
