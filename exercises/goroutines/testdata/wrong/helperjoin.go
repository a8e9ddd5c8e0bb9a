// Wrong: JoinTimeout waits in a helper goroutine (Join, then a send on a buffered channel), which it leaves blocked in Join after a timeout, for as long as fn runs.
// The buffer means the helper does not block for good: it sends when fn
// returns, and ends. But until then it is a goroutine of JoinTimeout's
// still running after JoinTimeout returned, one per call: a caller that
// polls with JoinTimeout(time.Second) while fn runs for an hour piles up
// 3600 of them.
// Caught by: TestJoinTimeout
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
	// done is closed when fn returns, by the goroutine that ran it, and
	// never sent on. A receive from a closed channel succeeds at once, for
	// every receiver, forever: that is what lets every Join return.
	done chan struct{}
}

// Start starts fn in a new goroutine and returns at once, without waiting
// for fn to begin. The caller owns the goroutine: it should Join it (or
// make sure fn returns by itself) before it lets go of the Thread.
func Start(fn func()) *Thread {
	t := &Thread{done: make(chan struct{})}
	go func() {
		// The close comes after every write fn makes, and a receive that
		// sees the close comes after it: the happens-before edge that
		// Join, JoinTimeout and Alive promise.
		defer close(t.done)
		fn()
	}()
	return t
}

// Join blocks until fn has returned. Any number of goroutines may call
// Join, any number of times; once fn has returned, Join returns at once.
func (t *Thread) Join() {
	<-t.done
}

// JoinTimeout waits until fn has returned or d has passed, whichever comes
// first, and reports whether fn returned. If fn has already returned,
// JoinTimeout reports true at once, even if d <= 0. It leaves nothing
// running behind it: when d passes first, fn keeps running, but no
// goroutine or timer of JoinTimeout's does.
func (t *Thread) JoinTimeout(d time.Duration) bool {
	if !t.Alive() {
		return true
	}
	joined := make(chan struct{}, 1) // buffered, so that the helper never blocks on its send
	go func() {
		t.Join() // wrong: still waiting here after a timeout, until fn returns
		joined <- struct{}{}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-joined: // fn returned first
		return true
	case <-timer.C: // d passed first
		return false
	}
}

// Alive reports whether fn is still running. It never blocks. It is safe
// to call from any goroutine, at the same time as fn returns; the answer
// may be stale by the time the caller acts on it, except that once it is
// false it stays false.
func (t *Thread) Alive() bool {
	select {
	case <-t.done: // closed: fn has returned
		return false
	default: // not closed yet
		return true
	}
}
