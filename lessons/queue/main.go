// The queue command shows Python's queue.Queue(maxsize) as a Go buffered
// channel: put and get that block, get with a timeout, put_nowait and
// get_nowait that never wait, qsize as a hint, and task_done and join as a
// sync.WaitGroup beside the channel. It ends with what a channel is not: a
// priority queue, which is container/heap behind a mutex.
//
// Every wait in the demo is for simulated work or for a timeout.
//
// Usage:
//
//	go run ./lessons/queue [-maxsize n] [-timeout d] [-work d] [-tasks n]
package main

import (
	"container/heap"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "queue:", err)
		os.Exit(1)
	}
}

// ErrFull and ErrEmpty are Python's queue.Full and queue.Empty: what the
// calls that do not wait (or wait only so long) return instead of blocking.
var (
	ErrFull  = errors.New("queue full")
	ErrEmpty = errors.New("queue empty")
)

// run shows the demos in turn. It returns ctx.Err() if ctx is done first.
// Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	logger := log.New(w, "", 0)
	demos := []func(context.Context, *log.Logger, config) error{
		putGet, blockingPut, nowait, joinTasks, priority,
	}
	for i, demo := range demos {
		if i > 0 {
			logger.Print()
		}
		if err := demo(ctx, logger, cfg); err != nil {
			return err
		}
	}
	return nil
}

// putGet is the Python note's example: q = Queue(maxsize=10); q.put(37337);
// q.get(True, 2). Then it gets from the empty queue, which times out.
func putGet(ctx context.Context, logger *log.Logger, cfg config) error {
	// A queue.Queue(maxsize=10) is a channel with a buffer of 10: the
	// buffer holds up to 10 values that nobody has received yet. A send
	// is put, a receive is get, and both are safe from any number of
	// goroutines at once: the channel does its own locking.
	logger.Printf("1. queue.Queue(maxsize=%d) is make(chan int, %d)",
		cfg.maxsize, cfg.maxsize)
	q := make(chan int, cfg.maxsize)
	if err := put(ctx, q, 37337); err != nil {
		return err
	}
	logger.Printf("put(37337): qsize %d of %d", len(q), cap(q))

	// We get with a timeout, twice: the first finds the value at once,
	// the second finds the queue empty and gives up at the timeout with
	// ErrEmpty, where Python raises queue.Empty.
	for range 2 {
		begin := time.Now()
		v, err := getTimeout(ctx, q, cfg.timeout)
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			logger.Printf("get(timeout=%v): %v after %v",
				cfg.timeout, err, since(begin))
			continue
		}
		logger.Printf("get(timeout=%v): %d after %v", cfg.timeout, v, since(begin))
	}
	return nil
}

// put is Python's q.put(v): it blocks while the buffer is full, until a
// receiver makes room or ctx is done. It returns nil once v is in the
// queue, or ctx.Err(), leaving the queue unchanged.
func put[T any](ctx context.Context, q chan<- T, v T) error {
	select {
	case q <- v: // there was room, or a receiver made some
		return nil
	case <-ctx.Done(): // cancelled: v is not in the queue
		return ctx.Err()
	}
}

// get is Python's q.get(): it blocks while the queue is empty, until a
// sender puts a value or ctx is done. It returns the value, or ctx.Err().
func get[T any](ctx context.Context, q <-chan T) (T, error) {
	select {
	case v := <-q: // the oldest value in the queue
		return v, nil
	case <-ctx.Done(): // cancelled: the queue is unchanged
		var zero T
		return zero, ctx.Err()
	}
}

// getTimeout is Python's q.get(timeout=d): it returns the oldest value in
// the queue, waiting at most d for one, and ErrEmpty if d passes first. If
// a value is there when it is called, it returns it at once, even if
// d <= 0. It returns ctx.Err() if ctx is done first.
func getTimeout[T any](ctx context.Context, q <-chan T, d time.Duration) (T, error) {
	// We look first without waiting: with a value there and d <= 0,
	// select would pick the timer half of the time
	// (docs/concepts.md, "When several cases are ready").
	if v, err := getNowait(q); err == nil {
		return v, nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if a value comes first
	select {
	case v := <-q: // a value came within d
		return v, nil
	case <-timer.C: // d passed first
		var zero T
		return zero, ErrEmpty
	case <-ctx.Done(): // cancelled
		var zero T
		return zero, ctx.Err()
	}
}

// putNowait is Python's q.put_nowait(v): it puts v if there is room now,
// and returns ErrFull at once if there is not.
func putNowait[T any](q chan<- T, v T) error {
	select {
	case q <- v: // there was room
		return nil
	default: // full: Python raises queue.Full
		return ErrFull
	}
}

// getNowait is Python's q.get_nowait(): it returns the oldest value if
// there is one now, and ErrEmpty at once if there is not.
func getNowait[T any](q <-chan T) (T, error) {
	select {
	case v := <-q: // there was a value
		return v, nil
	default: // empty: Python raises queue.Empty
		var zero T
		return zero, ErrEmpty
	}
}

// blockingPut fills a queue, then shows a put that waits for room until
// we get a value out.
func blockingPut(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Print("2. put blocks while the queue is full")
	q := make(chan int, cfg.maxsize)
	for i := range cfg.maxsize {
		if err := putNowait(q, i+1); err != nil {
			return err // cannot happen: the queue has room for maxsize
		}
	}
	logger.Printf("put 1..%d: qsize %d of %d, full", cfg.maxsize, len(q), cap(q))

	// We put one more in a goroutine of its own: it blocks until there is
	// room. This is back-pressure: a producer that gets ahead of its
	// consumer is slowed to the consumer's pace, and memory stays bounded.
	begin := time.Now()
	next := cfg.maxsize + 1
	done := make(chan struct{})
	var putErr error // written by the goroutine before it closes done
	go func() {
		defer close(done)
		putErr = put(ctx, q, next)
	}()

	// We simulate the consumer's work by sleeping, then look: the put is
	// still blocked. A receive makes room, and the put returns at once.
	err := sleep(ctx, cfg.work)
	if err == nil {
		logger.Printf("after %v: put(%d) is still blocked: %t",
			since(begin), next, !isClosed(done))
		v := <-q // the goroutine's put cannot complete before this
		logger.Printf("get(): %d at %v", v, since(begin))
	}
	<-done // the put returns when we make room, or on Ctrl-C
	if err != nil {
		return err
	}
	if putErr != nil {
		return putErr
	}
	logger.Printf("put(%d) returned at %v; qsize %d of %d",
		next, since(begin), len(q), cap(q))
	return nil
}

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch: // closed
		return true
	default: // still open
		return false
	}
}

// nowait shows put_nowait on a full queue, get_nowait until the queue is
// empty, and qsize.
func nowait(_ context.Context, logger *log.Logger, cfg config) error {
	logger.Print("3. put_nowait and get_nowait never wait")
	q := make(chan int, cfg.maxsize)
	for i := range cfg.maxsize {
		if err := putNowait(q, i+1); err != nil {
			return err // cannot happen: the queue has room for maxsize
		}
	}
	logger.Printf("put_nowait(%d) on a full queue: %v",
		cfg.maxsize+1, putNowait(q, cfg.maxsize+1))

	// We drain the queue without waiting: values come out in the order
	// they went in. Note that we stop on ErrEmpty, not when len(q) says 0:
	// with another sender or receiver, len is stale the moment we read it.
	var got []string
	for {
		v, err := getNowait(q)
		if err != nil {
			break
		}
		got = append(got, fmt.Sprint(v))
	}
	logger.Printf("get_nowait() until empty: %s", strings.Join(got, " "))
	_, err := getNowait(q)
	logger.Printf("get_nowait() on an empty queue: %v", err)
	logger.Printf("qsize() is len(q): %d; maxsize is cap(q): %d", len(q), cap(q))
	return nil
}

// A taskQueue is a channel with Python's task_done and join: a
// sync.WaitGroup beside the channel counts the values put and not yet
// marked done. Make one with newTaskQueue; it must not be copied.
//
// Every call to TaskDone synchronizes before the return of the Join that
// it releases (https://go.dev/ref/mem).
type taskQueue[T any] struct {
	ch         chan T         // the queue itself
	unfinished sync.WaitGroup // one count per value put and not yet done
}

// newTaskQueue returns an empty taskQueue that holds up to maxsize values.
func newTaskQueue[T any](maxsize int) *taskQueue[T] {
	return &taskQueue[T]{ch: make(chan T, maxsize)}
}

// Put blocks until v is in the queue or ctx is done, like put. A value put
// must be taken with a receive from q.ch and marked done with TaskDone.
// If ctx is done first, Put returns ctx.Err() and leaves the queue and the
// count of unfinished tasks as they were.
func (q *taskQueue[T]) Put(ctx context.Context, v T) error {
	// We count the task before we send it. Note that the other order is
	// a bug: once v is in the channel a consumer may take it and call
	// TaskDone before our Add, taking the count below zero (a panic), or a
	// Join may find the count at zero and return while v is still queued.
	q.unfinished.Add(1)
	if err := put(ctx, q.ch, v); err != nil {
		q.unfinished.Done() // it never went in: nobody will mark it done
		return err
	}
	return nil
}

// TaskDone marks one value taken from the queue as processed: Python's
// q.task_done(). Calling it more times than values were put panics.
func (q *taskQueue[T]) TaskDone() { q.unfinished.Done() }

// Join blocks until every value put has been marked done: Python's
// q.join(). Note the WaitGroup rule it inherits: a Put into a queue with
// no unfinished tasks must not run at the same time as a Join. Put, then
// Join, as Python programs do.
func (q *taskQueue[T]) Join() { q.unfinished.Wait() }

// joinTasks puts tasks into a queue that one worker drains, and joins the
// queue: Join returns when the worker marks the last one done.
func joinTasks(ctx context.Context, logger *log.Logger, cfg config) error {
	logger.Printf("4. task_done and join: %d tasks, 1 worker, %v each",
		cfg.tasks, cfg.work)
	q := newTaskQueue[int](cfg.tasks)
	begin := time.Now()

	// The worker takes tasks until we close the channel. It marks each one
	// done after its (simulated) work, even on Ctrl-C, when the work is
	// cut short: every task put must be marked done, or Join waits forever.
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		for task := range q.ch {
			if sleep(ctx, cfg.work) == nil {
				logger.Printf("worker: task %d done at %v", task, since(begin))
			}
			q.TaskDone()
		}
	}()

	// We put every task, then join. Join waits for the tasks to be done,
	// not for the channel to be empty: the worker has taken the last task
	// long before it finishes it.
	var err error
	for i := range cfg.tasks {
		if err = q.Put(ctx, i+1); err != nil {
			break // Ctrl-C
		}
	}
	q.Join()
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		logger.Printf("join() returned at %v", since(begin))
	}

	// We close the channel, the worker's stop signal, and wait for it to
	// return. Note that only the sender closes: a close while someone may
	// still send would make that send panic.
	close(q.ch)
	<-workerDone
	return err
}

// priority shows what a channel cannot do: take the most urgent value
// first, or look at the next value without taking it.
func priority(_ context.Context, logger *log.Logger, _ config) error {
	logger.Print("5. a channel is FIFO only: a priority queue is container/heap")
	var pq priorityQueue[string]
	jobs := []struct {
		priority int
		name     string
	}{
		{3, "write report"}, {1, "page on-call"}, {2, "reply to email"},
		{1, "restart db"},
	}
	for _, j := range jobs {
		pq.Push(j.priority, j.name)
		logger.Printf("put((%d, %q))", j.priority, j.name)
	}
	if name, p, ok := pq.Peek(); ok {
		logger.Printf("peek: (%d, %q); still %d queued", p, name, pq.Len())
	}
	for {
		name, p, ok := pq.Pop()
		if !ok {
			break
		}
		logger.Printf("get(): (%d, %q)", p, name)
	}
	return nil
}

// A priorityQueue holds values with priorities: Python's PriorityQueue.
// Pop returns the value with the lowest priority number first and, among
// equal priorities, the one pushed first. The zero value is an empty
// queue, ready to use; it must not be copied after first use. All methods
// may be called from any number of goroutines at once. None of them
// blocks, except briefly for the lock: there is no blocking get (for that,
// wait on a sync.Cond, next to the lock).
type priorityQueue[T any] struct {
	mu    sync.Mutex // guards items and seq
	items entries[T]
	seq   uint64 // how many values were ever pushed: breaks ties in order
}

// Push adds v with the given priority.
func (pq *priorityQueue[T]) Push(priority int, v T) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	heap.Push(&pq.items, entry[T]{priority: priority, seq: pq.seq, value: v})
	pq.seq++
}

// Pop removes and returns the most urgent value and its priority. It
// reports false, at once, if the queue is empty.
func (pq *priorityQueue[T]) Pop() (v T, priority int, ok bool) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if len(pq.items) == 0 {
		return v, 0, false
	}
	e := heap.Pop(&pq.items).(entry[T])
	return e.value, e.priority, true
}

// Peek returns the value Pop would return, without removing it. It
// reports false if the queue is empty. A channel has no peek: a receive
// takes the value.
func (pq *priorityQueue[T]) Peek() (v T, priority int, ok bool) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if len(pq.items) == 0 {
		return v, 0, false
	}
	return pq.items[0].value, pq.items[0].priority, true
}

// Len returns how many values are queued: like qsize, a snapshot.
func (pq *priorityQueue[T]) Len() int {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	return len(pq.items)
}

// An entry is one value in a priorityQueue.
type entry[T any] struct {
	priority int
	seq      uint64 // Python's idiom: (priority, count, item)
	value    T
}

// entries implements heap.Interface: a min-heap on (priority, seq). It is
// not safe for concurrent use; priorityQueue's mutex guards it.
type entries[T any] []entry[T]

func (h entries[T]) Len() int { return len(h) }

func (h entries[T]) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority < h[j].priority
	}
	return h[i].seq < h[j].seq
}

func (h entries[T]) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

func (h *entries[T]) Push(x any) { *h = append(*h, x.(entry[T])) }

func (h *entries[T]) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = entry[T]{} // drop the reference for the collector
	*h = old[:len(old)-1]
	return e
}

// sleep waits d, or until ctx is done, whichever comes first. It returns
// nil once d has passed (at once if d <= 0, as time.Sleep does), and
// ctx.Err() if ctx is done first, or already. In a lesson the sleep stands
// for real work or I/O; unlike time.Sleep, it ends as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	// We look at ctx first: when both cases below are ready, select picks
	// one at random (docs/concepts.md, "When several cases are ready").
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if ctx is done first
	select {
	case <-timer.C: // d has passed: the work is done
		return nil
	case <-ctx.Done(): // cancelled, or Ctrl-C: give up now
		return ctx.Err()
	}
}

// since returns the time since begin to a tenth of a second: a real run is
// late by microseconds, which would only be noise.
func since(begin time.Time) time.Duration {
	return time.Since(begin).Truncate(100 * time.Millisecond)
}
