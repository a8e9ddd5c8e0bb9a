// Wrong: every call of release frees a slot, so a session that releases twice frees another's slot.
// One more session than the limit then gets in.
// Caught by: TestReleaseTwiceFreesOneSlot, TestConcurrentReleaseFreesOneSlot
package semaphore

import "context"

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
	select {
	case l.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return func() { <-l.tokens }, nil // wrong: frees a slot on every call
}

func (l *Limiter) InUse() int {
	return len(l.tokens)
}
