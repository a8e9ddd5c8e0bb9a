// Wrong: release remembers it has run in a plain bool, a data race when two goroutines call it at once.
// Both may read false, and both free a slot.
// Caught by: TestConcurrentReleaseFreesOneSlot
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
	released := false
	return func() {
		if !released { // wrong: read and written by any goroutine, unguarded
			released = true
			<-l.tokens
		}
	}, nil
}

func (l *Limiter) InUse() int {
	return len(l.tokens)
}
