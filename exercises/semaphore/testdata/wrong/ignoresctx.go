// Wrong: Acquire waits for a slot with a plain send, so a ctx that ends while it waits goes unnoticed.
// It looks at ctx once, on entry; then it returns only when a slot frees,
// with the slot.
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
	l.tokens <- struct{}{} // wrong: waits for a slot however long it takes
	return sync.OnceFunc(func() { <-l.tokens }), nil
}

func (l *Limiter) InUse() int {
	return len(l.tokens)
}
