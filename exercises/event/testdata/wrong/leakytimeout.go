// Wrong: WaitTimeout waits for the gate in a new goroutine, which is left blocked forever after a timeout.
// The goroutine sends its result on an unbuffered channel that nobody
// receives from once the timer has won.
// Caught by: TestWaitTimeoutLeavesNothingBehind, TestWaitTimeout
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
	opened := make(chan bool) // wrong: unbuffered, and nobody may receive
	go func() {
		<-g.ch
		opened <- true
	}()
	select {
	case ok := <-opened:
		return ok
	case <-time.After(d):
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
