// Wrong: on semaphore.Weighted, InUse counts a session before Acquire, and keeps it when Acquire fails.
// After a cancelled wait, InUse reports a slot held that nobody holds; and
// it counts the sessions still waiting, too.
// Caught by: TestReleaseFreesExactlyOneSlot, TestAcquireWithDoneContextTakesNoSlot, TestCancelledWaitTakesNoSlot
package semaphore

import (
	"context"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

type Limiter struct {
	sem   *semaphore.Weighted
	inUse atomic.Int64
}

func New(n int) *Limiter {
	if n < 1 {
		panic("semaphore: n must be at least 1")
	}
	return &Limiter{sem: semaphore.NewWeighted(int64(n))}
}

func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	l.inUse.Add(1)
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return nil, err // wrong: the count above is never undone
	}
	return sync.OnceFunc(func() {
		l.inUse.Add(-1)
		l.sem.Release(1)
	}), nil
}

func (l *Limiter) InUse() int {
	return int(l.inUse.Load())
}
