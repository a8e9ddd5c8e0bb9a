package main

import (
	"fmt"
	"log"
	"strings"
	"sync"
	"time"
)

// A buffer is a bounded first-in, first-out queue of strings, safe for
// concurrent use: put waits while the buffer is full, get waits while it
// is empty, and close wakes everyone who waits. It is Python's queue.Queue
// in miniature, built the same way: one mutex, and a condition variable
// for each thing a goroutine can wait for. Make one with newBuffer; a
// buffer must not be copied.
//
// A put synchronizes before the get that returns its item, through mu
// (see https://go.dev/ref/mem): the consumer sees everything the producer
// wrote before it put the item.
type buffer struct {
	mu sync.Mutex // guards every field below; the Locker of every Cond

	// The two conditions goroutines wait for, each a sync.Cond on mu:
	// producers wait on notFull for room, consumers wait on notEmpty for
	// an item. newOneCondBuffer makes them the same Cond, to show what
	// goes wrong then. wake is how put and get wake the other side:
	// (*sync.Cond).Signal, which wakes one waiter, or Broadcast, all.
	notFull, notEmpty *sync.Cond
	wake              func(*sync.Cond)

	ring   []string // the items: a ring of size slots, oldest at head
	head   int      // where in ring the oldest item is
	n      int      // how many items the ring holds
	closed bool     // set by close; no put succeeds and no one waits after

	// waits counts the times a goroutine has gone to sleep in put or get,
	// and waitsGrew is broadcast each time it grows, for awaitWaits.
	waits     int
	waitsGrew *sync.Cond

	log   *log.Logger // where put, get and close say what they do; or nil
	start time.Time   // if set, each line starts with the time since then
}

// newBuffer returns an empty buffer of size slots, with one Cond for each
// condition and Signal to wake one waiter at a time: what this lesson
// recommends.
func newBuffer(size int) *buffer {
	b := &buffer{ring: make([]string, size), wake: (*sync.Cond).Signal}
	b.notFull = sync.NewCond(&b.mu)
	b.notEmpty = sync.NewCond(&b.mu)
	b.waitsGrew = sync.NewCond(&b.mu)
	return b
}

// newOneCondBuffer returns an empty buffer of size slots whose producers
// and consumers share a single Cond, woken with wake: (*sync.Cond).Signal
// loses wake-ups (see replayLostWakeUp); (*sync.Cond).Broadcast does not.
func newOneCondBuffer(size int, wake func(*sync.Cond)) *buffer {
	b := newBuffer(size)
	b.notEmpty = b.notFull
	b.wake = wake
	return b
}

// put adds v at the end of the buffer, and waits first while the buffer
// is full. It reports false, and adds nothing, if the buffer is closed,
// before or while put waits. who names the caller in the log.
func (b *buffer) put(who, v string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.putLocked(who, v)
}

// putLocked is put for a caller that holds b.mu.
func (b *buffer) putLocked(who, v string) bool {
	// We wait in a for loop, never an if: Wait returns when someone woke
	// us, not when there is room, and another producer may have filled the
	// slot before Wait took the lock back (the stolen wake-up that
	// replayStolenWakeUp shows). Note that the loop also stops when the
	// buffer is closed: a producer woken by close must not sleep again.
	for again := false; b.n == len(b.ring) && !b.closed; again = true {
		b.wait(b.notFull, who, "full", again)
	}
	if b.closed {
		return false
	}
	b.ring[(b.head+b.n)%len(b.ring)] = v
	b.n++
	b.logf(who, "puts ", v)

	// There is an item now: we wake a consumer. With Signal, one of them
	// (in Go's implementation, the one that has waited longest); if none
	// waits, Signal does nothing.
	b.wake(b.notEmpty)
	return true
}

// get removes and returns the oldest item, and waits first while the
// buffer is empty. Once the buffer is closed it still returns the items
// left in it, and then reports false. who names the caller in the log.
func (b *buffer) get(who string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.getLocked(who)
}

// getLocked is get for a caller that holds b.mu.
func (b *buffer) getLocked(who string) (string, bool) {
	// The same loop as in put: after Wait, the item we were woken for may
	// be gone, taken by a consumer that got the lock first.
	for again := false; b.n == 0 && !b.closed; again = true {
		b.wait(b.notEmpty, who, "empty", again)
	}
	if b.n == 0 {
		b.logf(who, "closed and empty: stops")
		return "", false
	}
	v := b.ring[b.head]
	b.ring[b.head] = ""
	b.head = (b.head + 1) % len(b.ring)
	b.n--
	b.logf(who, "gets ", v)

	// There is room now: we wake a producer.
	b.wake(b.notFull)
	return v, true
}

// wait puts who to sleep on c until someone wakes it, as c.Wait does; the
// caller holds b.mu, and holds it again when wait returns. why is what
// who waits out ("full" or "empty"); again says that who has been woken
// before in this call and found the buffer still why. Before it sleeps,
// wait logs, counts the wait and wakes awaitWaits.
func (b *buffer) wait(c *sync.Cond, who, why string, again bool) {
	if again {
		b.logf(who, "wakes up: still ", why, ", waits again")
	} else {
		b.logf(who, "waits: ", why)
	}
	b.waits++
	b.waitsGrew.Broadcast()

	// Wait unlocks b.mu, sleeps until a Signal or Broadcast on c picks
	// this goroutine, then locks b.mu again before it returns.
	c.Wait()
}

// close closes the buffer: every put, waiting or not, then reports false,
// and every get returns what is left and then reports false. Closing a
// closed buffer does nothing. who names the caller in the log.
func (b *buffer) close(who string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	b.logf(who, "closes the buffer")

	// Every waiter must see the change, not one: a Broadcast on each Cond
	// (the same Cond twice, for a one-Cond buffer, which does no harm).
	// This is what Broadcast is for: one change of state that many
	// goroutines wait for.
	b.notFull.Broadcast()
	b.notEmpty.Broadcast()
	b.waitsGrew.Broadcast()
}

// awaitWaits blocks until goroutines have gone to sleep in put or get n
// times in all (a goroutine that sleeps twice counts twice), or until the
// buffer is closed. The lesson uses it to move on only once a goroutine is
// asleep, so that the order of events is the same on every run.
//
// It is a Wait on a predicate over shared state, which is what sync.Cond
// is best at: no channel says "the count has reached n".
func (b *buffer) awaitWaits(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.waits < n && !b.closed {
		b.waitsGrew.Wait()
	}
}

// logf logs one line about who: the time (if b.start is set), who, what
// it did (the concatenation of what), and the buffer as it is now. The
// caller holds b.mu, so lines come out in the order the events happened.
// It builds the line only if there is a log: the benchmarks have none, and
// time the buffer without it.
func (b *buffer) logf(who string, what ...string) {
	if b.log == nil {
		return
	}
	at := ""
	if !b.start.IsZero() {
		// To a hundredth of a second: a real run's timers fire a little
		// late, and the lesson's times are multiples of 10ms.
		d := time.Since(b.start).Truncate(10 * time.Millisecond)
		at = fmt.Sprintf("%5.2fs  ", d.Seconds())
	}
	b.log.Printf("  %s%-10s  %-35s %s", at, who, strings.Join(what, ""),
		b.state())
}

// state shows the buffer's items, oldest first, and a _ for each free
// slot: [a1 b1 _]. The caller holds b.mu.
func (b *buffer) state() string {
	slots := make([]string, len(b.ring))
	for i := range slots {
		slots[i] = "_"
		if i < b.n {
			slots[i] = b.ring[(b.head+i)%len(b.ring)]
		}
	}
	return "[" + strings.Join(slots, " ") + "]"
}
