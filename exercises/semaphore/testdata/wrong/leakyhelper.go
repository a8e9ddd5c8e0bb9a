// Wrong: a helper goroutine waits for the slot, and after a cancel it still takes the next slot that frees.
// Acquire selects on the helper and ctx.Done(), so it returns ctx.Err() in
// time; but nothing calls the helper's send off, and nobody ever releases
// the slot it takes.
// Caught by: TestCancelledWaitTakesNoSlot, TestCancelledWaitLeavesNoGoroutine
package semaphore

import (
	"context"
	"sync"
)

type Limiter struct {
	tokens chan struct{}
}

func New(n int) *Limiter {
	if n < 1 {
		panic("semaphore: n must be at least 1")
	}
	return &Limiter{tokens: make(chan struct{}, n)}
}

func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	got := make(chan struct{})
	go func() {
		l.tokens <- struct{}{} // wrong: nothing can call this send off
		close(got)
	}()
	select {
	case <-got:
		return sync.OnceFunc(func() { <-l.tokens }), nil
	case <-ctx.Done():
		return nil, ctx.Err() // the helper is still waiting for a slot
	}
}

func (l *Limiter) InUse() int {
	return len(l.tokens)
}
