// Wrong: with ctx already done, Acquire may take a free slot, then return ctx.Err() and keep the slot.
// It goes straight to the select, which picks at random among ready cases;
// when the send wins, it sees ctx is done and returns the error, and the
// token it sent stays in the channel for good.
// Caught by: TestAcquireWithDoneContextTakesNoSlot
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
	select {
	case l.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		return nil, err // wrong: the slot just taken is never given back
	}
	return sync.OnceFunc(func() { <-l.tokens }), nil
}

func (l *Limiter) InUse() int {
	return len(l.tokens)
}
