// Wrong: the waits poll a flag with time.Sleep, so they return up to one poll interval after Open.
// The flag is atomic, so there is no data race: the waiters are only late,
// and wake every 10ms for nothing while the gate is closed.
// Caught by: TestOpenReleasesEveryWaiterAtOnce, TestWaitTimeout, TestWaitHonoursContext, TestStartGateAndShutdownSignal
package event

import (
	"context"
	"sync/atomic"
	"time"
)

// poll is how often the waits look at the flag.
const poll = 10 * time.Millisecond

type Gate struct {
	open atomic.Bool
}

func NewGate() *Gate {
	return &Gate{}
}

func (g *Gate) Open() {
	g.open.Store(true)
}

func (g *Gate) Wait(ctx context.Context) error {
	for !g.open.Load() { // wrong: looks every poll instead of being woken
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(poll)
	}
	return nil
}

func (g *Gate) WaitTimeout(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !g.open.Load() { // wrong: looks every poll instead of being woken
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(min(poll, time.Until(deadline)))
	}
	return true
}

func (g *Gate) IsOpen() bool {
	return g.open.Load()
}
