// Wrong: Open sends one value instead of closing the channel, so it releases one waiter, not all.
// Caught by: TestOpenReleasesEveryWaiterAtOnce, TestWaitersAfterOpenPassAtOnce, TestStartGateAndShutdownSignal, TestOpenFromManyGoroutines
package event

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

type Gate struct {
	ch   chan struct{} // receives one value when the gate opens
	once sync.Once
	open atomic.Bool
}

func NewGate() *Gate {
	return &Gate{ch: make(chan struct{}, 1)}
}

func (g *Gate) Open() {
	g.once.Do(func() {
		g.open.Store(true)
		g.ch <- struct{}{} // wrong: wakes one receiver, once; close wakes all
	})
}

func (g *Gate) Wait(ctx context.Context) error {
	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) WaitTimeout(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-g.ch:
		return true
	case <-timer.C:
		return false
	}
}

func (g *Gate) IsOpen() bool {
	return g.open.Load()
}
