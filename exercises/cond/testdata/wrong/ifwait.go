// Wrong: Put and Get wait in an if, not a for loop, so a goroutine woken for an item or a slot that another took first goes ahead anyway.
// This queue wakes every waiter on each change (Broadcast, a common
// "to be safe" choice), so one Put wakes every blocked Get: the first
// takes the item, and the others, their if already passed, return
// ErrClosed on an open queue. One Get wakes every blocked Put, and they
// all add their items to a queue with room for one.
// Caught by: TestOneItemReleasesOneGet, TestOneFreeSlotReleasesOnePut
package cond

import (
	"errors"
	"sync"
)

var ErrClosed = errors.New("queue closed")

type Queue[T any] struct {
	mu                sync.Mutex // guards items and closed
	notFull, notEmpty sync.Cond
	items             []T
	capacity          int
	closed            bool
}

func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("cond: capacity must be at least 1")
	}
	q := &Queue[T]{capacity: capacity}
	q.notFull.L = &q.mu
	q.notEmpty.L = &q.mu
	return q
}

func (q *Queue[T]) Put(v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == q.capacity && !q.closed { // wrong: if, not for
		q.notFull.Wait()
	}
	if q.closed {
		return ErrClosed
	}
	q.items = append(q.items, v)
	q.notEmpty.Broadcast()
	return nil
}

func (q *Queue[T]) Get() (T, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.items) == 0 && !q.closed { // wrong: if, not for
		q.notEmpty.Wait()
	}
	var zero T
	if len(q.items) == 0 { // "then it must be closed": not after a stolen wake-up
		return zero, ErrClosed
	}
	v := q.items[0]
	q.items = q.items[1:]
	q.notFull.Broadcast()
	return v, nil
}

func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.notFull.Broadcast()
	q.notEmpty.Broadcast()
}

func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
