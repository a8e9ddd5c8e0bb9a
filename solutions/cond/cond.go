// Package cond is a bounded blocking queue built on sync.Cond, like
// Python's queue.Queue(maxsize=n) with its shutdown: Put waits while the
// queue is full, Get waits while it is empty, and Close wakes everyone
// who waits.
package cond

import (
	"errors"
	"sync"
)

// ErrClosed is returned by Put on a closed queue, and by Get on a closed
// queue that has no items left.
var ErrClosed = errors.New("queue closed")

// A Queue is a first-in, first-out queue of at most a fixed number of
// items, safe for concurrent use by any number of goroutines. Make one
// with New; the zero value is not usable, and a Queue must not be copied.
//
// A Put synchronizes before the Get that returns its item (see
// https://go.dev/ref/mem): whatever the putting goroutine wrote before
// Put, the getting goroutine can read after Get.
type Queue[T any] struct {
	mu sync.Mutex // guards items, head, n and closed; the L of both Conds

	// Put waits on notFull for a free slot, and Get and Close wake it. Get
	// waits on notEmpty for an item, and Put and Close wake it. Each Cond
	// has waiters of one kind only, so the one waiter Signal wakes can
	// always use what changed.
	notFull, notEmpty sync.Cond

	items  []T  // a ring of capacity slots; the oldest item is at head
	head   int  // the index in items of the oldest item
	n      int  // how many items the queue holds: 0 <= n <= len(items)
	closed bool // set by Close; never cleared
}

// New returns an empty queue that holds at most capacity items. It panics
// if capacity is less than 1.
func New[T any](capacity int) *Queue[T] {
	if capacity < 1 {
		panic("cond: capacity must be at least 1")
	}
	q := &Queue[T]{items: make([]T, capacity)}
	q.notFull.L = &q.mu
	q.notEmpty.L = &q.mu
	return q
}

// Put adds v at the end of the queue. While the queue is full, it blocks
// until a Get makes room or the queue is closed. It returns ErrClosed,
// and adds nothing, if the queue is closed, before Put is called or while
// it waits.
func (q *Queue[T]) Put(v T) error {
	q.mu.Lock()
	defer q.mu.Unlock()

	// A for loop, not an if: when Wait returns, another Put may have taken
	// the slot we were woken for, or Close may have woken us. And the
	// loop looks at closed too, or a Put woken by Close would find the
	// queue still full and go back to sleep forever.
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

// Get removes and returns the oldest item. While the queue is empty, it
// blocks until a Put adds an item or the queue is closed. Once the queue
// is closed, Get still returns the items left in it, oldest first, and
// then returns the zero value and ErrClosed.
func (q *Queue[T]) Get() (T, error) {
	q.mu.Lock()
	defer q.mu.Unlock()

	// The same loop as in Put: another Get may have taken the item we
	// were woken for.
	for q.n == 0 && !q.closed {
		q.notEmpty.Wait()
	}
	var zero T
	if q.n == 0 {
		return zero, ErrClosed // closed, and drained
	}
	v := q.items[q.head]
	q.items[q.head] = zero // the queue no longer keeps v alive
	q.head = (q.head + 1) % len(q.items)
	q.n--
	q.notFull.Signal() // one more free slot: one Put can have it
	return v, nil
}

// Close closes the queue and wakes every blocked Put and Get: the Puts
// return ErrClosed, and the Gets return what is left, then ErrClosed.
// Items already in the queue stay there for Get. Closing a closed queue
// does nothing.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true

	// Every waiter must see the change, not just one: Broadcast.
	q.notFull.Broadcast()
	q.notEmpty.Broadcast()
}

// Len returns how many items the queue holds. Other goroutines may change
// it as soon as Len returns: use it to observe, not to decide whether a
// Put or Get would block.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
