// Wrong: the waits go straight to the select, so an open gate with a done ctx or a zero timeout is reported closed half the time.
// Caught by: TestOpenGateAnswersAtOnce
package event

import (
	"context"
	"sync"
	"time"
)

type Gate struct {
	ch   chan struct{}
	once sync.Once
}

func NewGate() *Gate {
	return &Gate{ch: make(chan struct{})}
}

func (g *Gate) Open() {
	g.once.Do(func() { close(g.ch) })
}

func (g *Gate) Wait(ctx context.Context) error {
	select { // wrong: with both cases ready, select picks at random
	case <-g.ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *Gate) WaitTimeout(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select { // wrong: with both cases ready, select picks at random
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
