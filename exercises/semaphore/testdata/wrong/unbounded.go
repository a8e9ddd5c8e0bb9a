// Wrong: Acquire counts sessions but never makes one wait: no limit at all.
// It returns at once, however many slots are held; InUse counts right,
// and goes past n.
// Caught by: TestNeverMoreThanNSessionsAtOnce, TestAcquireWaitsUntilASlotFrees, TestReleaseFreesExactlyOneSlot, TestCancelledWaitTakesNoSlot, TestReleaseTwiceFreesOneSlot, TestReleaseSynchronizesWithTheNextAcquire
package semaphore

import (
	"context"
	"sync"
	"sync/atomic"
)

type Limiter struct {
	n     int
	inUse atomic.Int64
}

func New(n int) *Limiter {
	if n < 1 {
		panic("semaphore: n must be at least 1")
	}
	return &Limiter{n: n}
}

func (l *Limiter) Acquire(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l.inUse.Add(1) // wrong: nothing compares this with n, and nothing waits
	return sync.OnceFunc(func() { l.inUse.Add(-1) }), nil
}

func (l *Limiter) InUse() int {
	return int(l.inUse.Load())
}
