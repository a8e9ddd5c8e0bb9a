// Wrong: InUse reads the count of sessions without the lock that guards it ("it is only for monitoring"): a data race with every Acquire and release.
// The count is right whenever nobody else is acquiring or releasing, but
// InUse is meant to be called while sessions come and go, and a read that
// nothing orders after a concurrent write is a data race.
// Caught by: TestNeverMoreThanNSessionsAtOnce
package semaphore

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"
)

type Limiter struct {
	sem *semaphore.Weighted

	mu    sync.Mutex // guards inUse; but InUse forgets
	inUse int
}

func New(n int) *Limiter {
	if n < 1 {
		panic("semaphore: n must be at least 1")
	}
	return &Limiter{sem: semaphore.NewWeighted(int64(n))}
}

func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.inUse++
	l.mu.Unlock()
	return sync.OnceFunc(func() {
		l.mu.Lock()
		l.inUse--
		l.mu.Unlock()
		l.sem.Release(1)
	}), nil
}

func (l *Limiter) InUse() int {
	return l.inUse // no lock: nothing orders this read after a write
}
