// Wrong: IsOpen reads a plain bool that Open writes: a data race.
// The waits use the closed channel and are right; only IsOpen is not.
// Caught by: TestIsOpenIsRaceFree, TestOpenMakesWritesVisible
package event

import (
	"context"
	"sync"
	"time"
)

type Gate struct {
	ch   chan struct{}
	once sync.Once
	open bool // wrong: written by Open, read by IsOpen, unsynchronized
}

func NewGate() *Gate {
	return &Gate{ch: make(chan struct{})}
}

func (g *Gate) Open() {
	g.once.Do(func() {
		g.open = true
		close(g.ch)
	})
}

func (g *Gate) Wait(ctx context.Context) error {
	select {
	case <-g.ch:
		return nil
	default:
	}
	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) WaitTimeout(d time.Duration) bool {
	select {
	case <-g.ch:
		return true
	default:
	}
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
	return g.open
}
