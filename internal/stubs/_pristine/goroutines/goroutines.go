// Package goroutines provides Thread, a small handle on a goroutine that
// mirrors Python's threading.Thread: start a function, join it (with or
// without a timeout), and ask whether it is still running.
//
// A bare go statement returns no handle. Thread adds one, built on a single
// channel that is closed when the function returns.
package goroutines

import "time"

// A Thread runs a function in its own goroutine, like Python's
// threading.Thread with a target. Make one with Start; the zero value is
// not usable. All methods may be called from any number of goroutines at
// once.
//
// The return of the function synchronizes before Join returns, before
// JoinTimeout returns true and before Alive returns false: whatever the
// function wrote is visible to the caller afterwards, without any other
// synchronization. See https://go.dev/ref/mem.
type Thread struct {
	// TODO: the fields your Thread needs. One channel is enough.
}

// Start starts fn in a new goroutine and returns at once, without waiting
// for fn to begin. The caller owns the goroutine: it should Join it (or
// make sure fn returns by itself) before it lets go of the Thread.
func Start(fn func()) *Thread {
	// TODO: make the Thread, start fn in a goroutine, and arrange for the
	// Thread to learn when fn returns.
	return nil
}

// Join blocks until fn has returned. Any number of goroutines may call
// Join, any number of times; once fn has returned, Join returns at once.
func (t *Thread) Join() {
	// TODO: wait for fn to return.
}

// JoinTimeout waits until fn has returned or d has passed, whichever comes
// first, and reports whether fn returned. If fn has already returned,
// JoinTimeout reports true at once, even if d <= 0. It leaves nothing
// running behind it: when d passes first, fn keeps running, but no
// goroutine or timer of JoinTimeout's does.
func (t *Thread) JoinTimeout(d time.Duration) bool {
	// TODO: wait for fn to return, but for at most d.
	return false
}

// Alive reports whether fn is still running. It never blocks. It is safe
// to call from any goroutine, at the same time as fn returns; the answer
// may be stale by the time the caller acts on it, except that once it is
// false it stays false.
func (t *Thread) Alive() bool {
	// TODO: report, without blocking, whether fn has returned.
	return false
}
