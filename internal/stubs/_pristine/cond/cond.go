// Package cond is a bounded blocking queue built on sync.Cond, like
// Python's queue.Queue(maxsize=n) with its shutdown: Put waits while the
// queue is full, Get waits while it is empty, and Close wakes everyone
// who waits.
package cond

import "errors"

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
	// TODO: a sync.Mutex, in a named field with a comment saying what it
	// guards; a sync.Cond on it for each thing a goroutine can wait for
	// (a free slot, an item); the items themselves (a slice used as a
	// ring, or a slice you append to and take from the front of); and
	// whether the queue is closed.
	//
	// This exercise is about sync.Cond: build the waiting with it, not
	// with a channel. The tests can only check what the queue does, not
	// how; the point is to practise the Cond.
}

// New returns an empty queue that holds at most capacity items. It panics
// if capacity is less than 1.
func New[T any](capacity int) *Queue[T] {
	// TODO: panic("cond: capacity must be at least 1") if capacity < 1;
	// then make the queue, and set each Cond's L to the queue's mutex.
	return nil
}

// Put adds v at the end of the queue. While the queue is full, it blocks
// until a Get makes room or the queue is closed. It returns ErrClosed,
// and adds nothing, if the queue is closed, before Put is called or while
// it waits.
func (q *Queue[T]) Put(v T) error {
	// TODO: holding the lock, wait while the queue is full and open; then
	// return ErrClosed if it is closed, or add v and wake one Get.
	return nil
}

// Get removes and returns the oldest item. While the queue is empty, it
// blocks until a Put adds an item or the queue is closed. Once the queue
// is closed, Get still returns the items left in it, oldest first, and
// then returns the zero value and ErrClosed.
func (q *Queue[T]) Get() (T, error) {
	// TODO: holding the lock, wait while the queue is empty and open; then
	// return ErrClosed if it is still empty, or take the oldest item and
	// wake one Put.
	var zero T
	return zero, nil
}

// Close closes the queue and wakes every blocked Put and Get: the Puts
// return ErrClosed, and the Gets return what is left, then ErrClosed.
// Items already in the queue stay there for Get. Closing a closed queue
// does nothing.
func (q *Queue[T]) Close() {
	// TODO: holding the lock, mark the queue closed and wake every waiter
	// of every kind.
}

// Len returns how many items the queue holds. Other goroutines may change
// it as soon as Len returns: use it to observe, not to decide whether a
// Put or Get would block.
func (q *Queue[T]) Len() int {
	// TODO: read the count while holding the lock.
	return 0
}
