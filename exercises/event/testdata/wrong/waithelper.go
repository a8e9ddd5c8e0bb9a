// Wrong: Wait waits for the gate in a helper goroutine, which is left blocked after a cancelled Wait until the gate opens, and for good if it never does.
// It looks at ctx before it starts the helper, so a Wait with a ctx that is
// already done leaves nothing behind; only a cancel during the wait does.
// Caught by: TestWaitsLeaveNothingBehindWhenTheyGiveUp
package event

import (
	"context"
	"sync"
	"time"
)

// A Gate is closed until Open is called, and open from then on. Make one
// with NewGate; the zero value is not usable. A Gate must not be copied
// after first use. All methods may be called from any number of goroutines
// at once.
//
// Open synchronizes before the return of every Wait and WaitTimeout that
// it releases or that finds the gate open, and before every IsOpen that
// reports true: whatever a goroutine wrote before calling Open is visible
// to the waiters afterwards, with no other synchronization. See
// https://go.dev/ref/mem.
type Gate struct {
	// ch is closed by the first Open, exactly once, and never sent on. A
	// receive from a closed channel succeeds at once, for every receiver,
	// forever: that is what releases every waiter, present and future.
	ch chan struct{}

	// once makes Open close ch exactly once, however many goroutines call
	// it: closing a closed channel panics.
	once sync.Once
}

// NewGate returns a closed gate.
func NewGate() *Gate {
	return &Gate{ch: make(chan struct{})}
}

// Open opens the gate, releasing every goroutine that waits for it; waits
// that start afterwards return at once. Open may be called more than once
// and from many goroutines at once: the first call opens the gate, and the
// others do nothing. It never blocks for longer than the first call takes
// to close the channel.
func (g *Gate) Open() {
	g.once.Do(func() { close(g.ch) })
}

// Wait blocks until the gate is open or ctx is done. It returns nil if the
// gate opened, or ctx.Err() if ctx was done first, leaving the gate as it
// was. If the gate is open when Wait is called, it returns nil at once,
// even if ctx is done.
func (g *Gate) Wait(ctx context.Context) error {
	if g.IsOpen() {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// A helper goroutine waits for the gate and tells us; we wait for it
	// or for ctx.
	released := make(chan struct{})
	go func() {
		<-g.ch // blocked until Open, for good if the gate never opens
		close(released)
	}()
	select {
	case <-released: // opened
		return nil
	case <-ctx.Done(): // the caller gave up; the helper waits on
		return ctx.Err()
	}
}

// WaitTimeout is Python's wait(timeout): it blocks until the gate is open
// or d has passed, whichever comes first, and reports whether the gate is
// open. If the gate is open when it is called, it reports true at once,
// even if d <= 0. It leaves no goroutine or timer behind.
func (g *Gate) WaitTimeout(d time.Duration) bool {
	if g.IsOpen() {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once when the gate opens first
	select {
	case <-g.ch: // opened before d passed
		return true
	case <-timer.C: // d passed first
		return false
	}
}

// IsOpen reports whether the gate is open. It never blocks. Once it
// reports true, it reports true forever.
func (g *Gate) IsOpen() bool {
	select {
	case <-g.ch: // closed: open
		return true
	default: // not closed yet
		return false
	}
}
