// Wrong: Open closes the channel with no guard, so a second Open panics: close of closed channel.
// Caught by: TestOpenTwice, TestOpenFromManyGoroutines
package event

import (
	"context"
	"time"
)

type Gate struct {
	ch chan struct{} // closed by Open
}

func NewGate() *Gate {
	return &Gate{ch: make(chan struct{})}
}

func (g *Gate) Open() {
	close(g.ch) // wrong: the second call panics; guard it with a sync.Once
}

func (g *Gate) Wait(ctx context.Context) error {
	if g.IsOpen() {
		return nil
	}
	select {
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) WaitTimeout(d time.Duration) bool {
	if g.IsOpen() {
		return true
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
	select {
	case <-g.ch:
		return true
	default:
		return false
	}
}
