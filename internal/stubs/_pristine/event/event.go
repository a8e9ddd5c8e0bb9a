// Package event provides Gate, a one-shot event that many goroutines can
// wait for: Python's threading.Event without clear. Opened once, it
// releases every waiter at the same moment, and every later waiter passes
// at once. It serves as a start gate (workers wait until everything is
// ready) and as a shutdown signal (workers stop when it opens).
package event

import (
	"context"
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
	// TODO: the fields your Gate needs. A channel that Open closes is the
	// heart of it; closing a closed channel panics, so Open needs a guard.
}

// NewGate returns a closed gate.
func NewGate() *Gate {
	// TODO: make the Gate and whatever it needs.
	return nil
}

// Open opens the gate, releasing every goroutine that waits for it; waits
// that start afterwards return at once. Open may be called more than once
// and from many goroutines at once: the first call opens the gate, and the
// others do nothing. It never blocks for longer than the first call takes
// to close the channel.
func (g *Gate) Open() {
	// TODO: open the gate, once, however many goroutines call Open.
}

// Wait blocks until the gate is open or ctx is done. It returns nil if the
// gate opened, or ctx.Err() if ctx was done first, leaving the gate as it
// was. If the gate is open when Wait is called, it returns nil at once,
// even if ctx is done.
func (g *Gate) Wait(ctx context.Context) error {
	// TODO: wait for the gate to open, or for ctx to be done.
	return nil
}

// WaitTimeout is Python's wait(timeout): it blocks until the gate is open
// or d has passed, whichever comes first, and reports whether the gate is
// open. If the gate is open when it is called, it reports true at once,
// even if d <= 0. It leaves no goroutine or timer behind.
func (g *Gate) WaitTimeout(d time.Duration) bool {
	// TODO: wait for the gate to open, but for at most d.
	return false
}

// IsOpen reports whether the gate is open. It never blocks. Once it
// reports true, it reports true forever.
func (g *Gate) IsOpen() bool {
	// TODO: report, without blocking, whether the gate is open.
	return false
}
