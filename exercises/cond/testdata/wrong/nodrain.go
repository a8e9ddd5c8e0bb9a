// Wrong: Get returns ErrClosed as soon as the queue is closed, and the items still in it are lost.
// Caught by: TestCloseWakesEveryWaiter, TestGetDrainsAfterClose
package cond

import (
	"errors"
	"sync"
)

var ErrClosed = errors.New("queue closed")

type Queue[T any] struct {
	mu sync.Mutex // guards items, head, n and closed; the L of both Conds

	notFull, notEmpty sync.Cond

	items  []T  // a ring of capacity slots; the oldest item is at head
	head   int  // the index in items of the oldest item
	n      int  // how many items the queue holds: 0 <= n <= len(items)
	closed bool // set by Close; never cleared
}

func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("cond: capacity must be at least 1")
	}
	q := &Queue[T]{items: make([]T, capacity)}
	q.notFull.L = &q.mu
	q.notEmpty.L = &q.mu
	return q
}

func (q *Queue[T]) Put(v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()

	for q.n == len(q.items) && !q.closed {
		q.notFull.Wait()
	}
	if q.closed {
		return ErrClosed
	}
	q.items[(q.head+q.n)%len(q.items)] = v
	q.n++
	q.notEmpty.Signal() // one more item: one Get can have it
	return nil
}

func (q *Queue[T]) Get() (T, error) {
	q.mu.Lock()
	defer q.mu.Unlock()

	for q.n == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	var zero T
	if q.closed || q.n == 0 { // wrong: drops the items left in a closed queue
		return zero, ErrClosed
	}
	v := q.items[q.head]
	q.items[q.head] = zero // the queue no longer keeps v alive
	q.head = (q.head + 1) % len(q.items)
	q.n--
	q.notFull.Signal() // one more free slot: one Put can have it
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
	return q.n
}
