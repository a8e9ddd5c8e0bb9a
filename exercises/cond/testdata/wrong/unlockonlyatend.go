// Wrong: Put and Get unlock by hand at their end, and the early return ErrClosed skips the Unlock, so once the queue is closed every later call waits forever for the lock.
// The mutex stays locked after the first Put or Get that finds the queue
// closed: the other waiters Close woke cannot take it back to return, and
// Len, Get and Put all wait for it.
// Caught by: TestCloseWakesEveryWaiter, TestGetDrainsAfterClose, TestManyProducersAndConsumers
package cond

import (
	"errors"
	"sync"
)

// ErrClosed is returned by Put on a closed queue, and by Get on a closed
// queue that has no items left.
var ErrClosed = errors.New("queue closed")

// A Queue is a bounded first-in, first-out queue.
type Queue[T any] struct {
	mu sync.Mutex // guards items, head, n and closed; the L of both Conds

	notFull, notEmpty sync.Cond

	items  []T  // a ring of capacity slots; the oldest item is at head
	head   int  // the index in items of the oldest item
	n      int  // how many items the queue holds: 0 <= n <= len(items)
	closed bool // set by Close; never cleared
}

// New returns an empty queue that holds at most capacity items.
func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("cond: capacity must be at least 1")
	}
	q := &Queue[T]{items: make([]T, capacity)}
	q.notFull.L = &q.mu
	q.notEmpty.L = &q.mu
	return q
}

// Put adds v at the end of the queue.
func (q *Queue[T]) Put(v T) error {
	q.mu.Lock()
	for q.n == len(q.items) && !q.closed {
		q.notFull.Wait()
	}
	if q.closed {
		return ErrClosed // the Unlock below is never reached
	}
	q.items[(q.head+q.n)%len(q.items)] = v
	q.n++
	q.notEmpty.Signal()
	q.mu.Unlock()
	return nil
}

// Get removes and returns the oldest item.
func (q *Queue[T]) Get() (T, error) {
	q.mu.Lock()
	for q.n == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	var zero T
	if q.n == 0 {
		return zero, ErrClosed // the Unlock below is never reached
	}
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head = (q.head + 1) % len(q.items)
	q.n--
	q.notFull.Signal()
	q.mu.Unlock()
	return v, nil
}

// Close closes the queue and wakes every blocked Put and Get.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.notFull.Broadcast()
	q.notEmpty.Broadcast()
}

// Len returns how many items the queue holds.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
