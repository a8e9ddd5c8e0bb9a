package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Tests that measure time run inside synctest.Test, where time is fake and
// exact: a get with a 2s timeout on an empty queue gives up at exactly 2s.
// Channel operations, select and timers are durable waits in a bubble. The
// priority queue's mutex is not, so its tests run outside the bubble; it
// never blocks for longer than a heap operation.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no timeout and no work, so that it is
// instant. Every line is always the same.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-maxsize", "3", "-timeout", "0", "-work", "0", "-tasks", "2"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1. queue.Queue(maxsize=3) is make(chan int, 3)
	// put(37337): qsize 1 of 3
	// get(timeout=0s): 37337 after 0s
	// get(timeout=0s): queue empty after 0s
	//
	// 2. put blocks while the queue is full
	// put 1..3: qsize 3 of 3, full
	// after 0s: put(4) is still blocked: true
	// get(): 1 at 0s
	// put(4) returned at 0s; qsize 3 of 3
	//
	// 3. put_nowait and get_nowait never wait
	// put_nowait(4) on a full queue: queue full
	// get_nowait() until empty: 1 2 3
	// get_nowait() on an empty queue: queue empty
	// qsize() is len(q): 0; maxsize is cap(q): 3
	//
	// 4. task_done and join: 2 tasks, 1 worker, 0s each
	// worker: task 1 done at 0s
	// worker: task 2 done at 0s
	// join() returned at 0s
	//
	// 5. a channel is FIFO only: a priority queue is container/heap
	// put((3, "write report"))
	// put((1, "page on-call"))
	// put((2, "reply to email"))
	// put((1, "restart db"))
	// peek: (1, "page on-call"); still 4 queued
	// get(): (1, "page on-call")
	// get(): (1, "restart db")
	// get(): (2, "reply to email")
	// get(): (3, "write report")
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, and takes exactly as long as the README says.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 4*time.Second, time.Since(begin),
			"want the 2s get timeout + 0.5s blocked put + 3 tasks of 0.5s")
		assert.Equal(t, readme.Lines(block), readme.Lines(out.String()))
	})
}

// TestPutBlocksWhileFull checks that put on a full queue blocks until a
// receive makes room, and returns at that very moment.
func TestPutBlocksWhileFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := make(chan int, 2)
		q <- 1
		q <- 2
		begin := time.Now()
		var returnedAt time.Duration
		done := make(chan struct{})
		go func() {
			defer close(done)
			assert.NoError(t, put(t.Context(), q, 3))
			returnedAt = time.Since(begin)
		}()

		time.Sleep(time.Second)
		synctest.Wait() // the goroutine is blocked in put, or has returned
		require.False(t, isClosed(done), "put returned while the queue was full")

		assert.Equal(t, 1, <-q, "the oldest value comes out first")
		<-done
		assert.Equal(t, time.Second, returnedAt,
			"put returned after; want the moment of the receive")
		assert.Equal(t, []int{2, 3}, drain(q))
	})
}

// TestPutAndGetGiveUpWhenCtxIsDone checks that a blocked put or get
// returns ctx.Err() at the moment ctx is done, leaving the queue as it was.
func TestPutAndGetGiveUpWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		full := make(chan int, 1)
		full <- 1
		begin := time.Now()
		assert.ErrorIs(t, put(ctx, full, 2), context.DeadlineExceeded)
		assert.Equal(t, 3*time.Second, time.Since(begin), "put gave up after")
		assert.Equal(t, []int{1}, drain(full), "put that gave up changed the queue")

		ctx, cancel = context.WithCancel(t.Context())
		time.AfterFunc(time.Second, cancel)
		empty := make(chan int, 1)
		begin = time.Now()
		_, err := get(ctx, empty)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, time.Second, time.Since(begin), "get gave up after")
	})
}

// TestGetTimeout checks that getTimeout returns a value as soon as there
// is one, and ErrEmpty at exactly the timeout when there is none.
func TestGetTimeout(t *testing.T) {
	const never = time.Duration(-1) // nothing is put
	tests := []struct {
		name    string
		queued  bool          // a value is in the queue before the call
		putAt   time.Duration // when a sender puts a value
		d       time.Duration
		wantErr error
		wantAt  time.Duration // when getTimeout returns
	}{
		{"empty queue", false, never, 2 * time.Second, ErrEmpty, 2 * time.Second},
		{"value already there", true, never, 2 * time.Second, nil, 0},
		{"value comes in time", false, time.Second, 2 * time.Second, nil, time.Second},
		{"value comes too late", false, 3 * time.Second, 2 * time.Second,
			ErrEmpty, 2 * time.Second},
		{"zero timeout, empty", false, never, 0, ErrEmpty, 0},
		{"zero timeout, value there", true, never, 0, nil, 0},
		{"negative timeout, empty", false, never, -time.Second, ErrEmpty, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := make(chan int, 1)
				if tt.queued {
					q <- 42
				}
				if tt.putAt != never {
					time.AfterFunc(tt.putAt, func() { q <- 42 })
				}
				begin := time.Now()
				v, err := getTimeout(t.Context(), q, tt.d)
				assert.Equal(t, tt.wantAt, time.Since(begin), "returned after")
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
					return
				}
				assert.NoError(t, err)
				assert.Equal(t, 42, v)
			})
		})
	}
}

// TestGetTimeoutPrefersAValueThatIsThere checks the look before the
// select: with a value queued and a zero timeout, both cases are ready,
// and a bare select would report ErrEmpty about half of the time.
func TestGetTimeoutPrefersAValueThatIsThere(t *testing.T) {
	q := make(chan int, 1)
	for i := range 100 {
		q <- i
		v, err := getTimeout(t.Context(), q, 0)
		require.NoError(t, err, "getTimeout(0) number %d with a value queued", i+1)
		require.Equal(t, i, v)
	}
}

// TestNowait checks that putNowait and getNowait never wait: ErrFull on a
// full queue and ErrEmpty on an empty one, at once, leaving it unchanged.
func TestNowait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		q := make(chan string, 2)
		require.NoError(t, putNowait(q, "a"))
		require.NoError(t, putNowait(q, "b"))
		assert.ErrorIs(t, putNowait(q, "c"), ErrFull)
		assert.Equal(t, 2, len(q), "qsize after a put_nowait that failed")

		for _, want := range []string{"a", "b"} {
			v, err := getNowait(q)
			require.NoError(t, err)
			assert.Equal(t, want, v, "values come out in the order they went in")
		}
		v, err := getNowait(q)
		assert.ErrorIs(t, err, ErrEmpty)
		assert.Zero(t, v, "the value getNowait returns with ErrEmpty")
		assert.Equal(t, time.Duration(0), time.Since(begin), "the nowait calls waited")
	})
}

// TestQsizeIsStale checks the pitfall: a len(q) that says there is room
// is already wrong once another goroutine puts, and a put "checked" by it
// blocks.
func TestQsizeIsStale(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := make(chan int, 1)
		room := len(q) < cap(q)
		require.True(t, room, "an empty queue has room")

		// Another producer fills the queue between our look and our put.
		other := make(chan struct{})
		go func() {
			defer close(other)
			q <- 1
		}()
		<-other

		// Our put, which the look said was safe, cannot complete.
		assert.ErrorIs(t, putNowait(q, 2), ErrFull,
			"the queue len(q) said had room is full")
		assert.Equal(t, []int{1}, drain(q))
	})
}

// TestJoinReturnsWhenTheLastTaskIsDone checks task_done and join: Join
// blocks while any task put is unfinished, even after the channel is
// empty, and returns at the very moment of the last TaskDone.
func TestJoinReturnsWhenTheLastTaskIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTaskQueue[int](3)
		begin := time.Now()
		for i := range 3 {
			require.NoError(t, q.Put(t.Context(), i))
		}

		// A worker takes every task at once, then finishes one per
		// second: the channel is empty from the start, but the tasks are
		// done only at 1s, 2s and 3s.
		workerDone := make(chan struct{})
		go func() {
			defer close(workerDone)
			var tasks []int
			for range 3 {
				tasks = append(tasks, <-q.ch)
			}
			for range tasks {
				time.Sleep(time.Second)
				q.TaskDone()
			}
		}()

		joined := make(chan time.Duration, 1) // Join's return time; never waits
		go func() {
			q.Join()
			joined <- time.Since(begin)
		}()
		time.Sleep(2*time.Second + time.Second/2)
		synctest.Wait()
		assert.Equal(t, 0, len(q.ch), "the worker should have taken every task")
		select {
		case at := <-joined:
			t.Fatalf("Join returned at %v, with a task still unfinished", at)
		default: // still waiting, as it should
		}
		assert.Equal(t, 3*time.Second, <-joined,
			"Join returned after; want the moment of the last TaskDone")
		<-workerDone
	})
}

// TestJoinWithNoTasksReturnsAtOnce checks that Join on a queue with no
// unfinished tasks does not wait, and that a Put that gives up on ctx
// leaves no task behind for Join to wait for.
func TestJoinWithNoTasksReturnsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		q := newTaskQueue[int](1)
		begin := time.Now()
		q.Join()
		assert.Equal(t, time.Duration(0), time.Since(begin), "Join on a new queue")

		require.NoError(t, q.Put(t.Context(), 1))
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.ErrorIs(t, q.Put(ctx, 2), context.DeadlineExceeded,
			"Put on a full queue")
		<-q.ch
		q.TaskDone()
		begin = time.Now()
		q.Join()
		assert.Equal(t, time.Duration(0), time.Since(begin),
			"Join after the only task that went in is done")
	})
}

// TestPriorityOrder checks that the priority queue returns the lowest
// priority number first and, among equals, the first pushed; that Peek
// does not remove; and that Pop and Peek report false when it is empty.
func TestPriorityOrder(t *testing.T) {
	var pq priorityQueue[string]
	_, _, ok := pq.Pop()
	assert.False(t, ok, "Pop on an empty queue")
	_, _, ok = pq.Peek()
	assert.False(t, ok, "Peek on an empty queue")

	pushed := []struct {
		priority int
		name     string
	}{
		{5, "e1"}, {1, "a1"}, {3, "c1"}, {1, "a2"}, {5, "e2"}, {2, "b1"},
		{1, "a3"}, {3, "c2"},
	}
	for _, p := range pushed {
		pq.Push(p.priority, p.name)
	}
	name, priority, ok := pq.Peek()
	require.True(t, ok)
	assert.Equal(t, "a1", name)
	assert.Equal(t, 1, priority)
	assert.Equal(t, len(pushed), pq.Len(), "Peek removed a value")

	var got []string
	for {
		name, _, ok := pq.Pop()
		if !ok {
			break
		}
		got = append(got, name)
	}
	assert.Equal(t, []string{"a1", "a2", "a3", "b1", "c1", "c2", "e1", "e2"}, got)
	assert.Zero(t, pq.Len())
}

// TestPriorityQueueIsSafeForConcurrentUse pushes and pops from many
// goroutines at once (run it with -race): every value pushed comes out
// exactly once.
func TestPriorityQueueIsSafeForConcurrentUse(t *testing.T) {
	var pq priorityQueue[int]
	const pushers, each = 8, 100
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				pq.Push(i%7, p*each+i)
				pq.Peek()
			}
		})
	}
	var mu sync.Mutex // guards popped
	var popped []int
	for range pushers {
		wg.Go(func() {
			for range each / 2 {
				if v, _, ok := pq.Pop(); ok {
					mu.Lock()
					popped = append(popped, v)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for {
		v, _, ok := pq.Pop()
		if !ok {
			break
		}
		popped = append(popped, v)
	}
	slices.Sort(popped)
	want := make([]int, pushers*each)
	for i := range want {
		want[i] = i
	}
	assert.Equal(t, want, popped)
}

// TestRunStopsWhenCtxIsDone cancels the context (as Ctrl-C does) while
// each demo waits. run must return ctx.Err() at that very moment, and
// print nothing after.
func TestRunStopsWhenCtxIsDone(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		lastLine string
	}{
		{"during get(timeout)", time.Second, "get(timeout=2s): 37337 after 0s"},
		{"while the put is blocked", 2*time.Second + 250*time.Millisecond,
			"put 1..10: qsize 10 of 10, full"},
		{"while the worker works", 3*time.Second + 250*time.Millisecond,
			"worker: task 1 done at 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(tt.cancelAt, cancel)
				var out bytes.Buffer
				begin := time.Now()
				err := run(ctx, &out, nil)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(begin),
					"run returned late: does something ignore ctx?")
				got := readme.Lines(out.String())
				assert.Equal(t, tt.lastLine, got[len(got)-1], "last line printed")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-maxsize", "0"}, "-maxsize must be between 1 and 100, got 0"},
		{[]string{"-maxsize", "101"}, "-maxsize must be between 1 and 100, got 101"},
		{[]string{"-tasks", "-1"}, "-tasks must be between 1 and 100, got -1"},
		{[]string{"-timeout", "-1s"}, "-timeout must be between 0 and 1m0s, got -1s"},
		{[]string{"-work", "2m"}, "-work must be between 0 and 1m0s, got 2m0s"},
		{[]string{"-work", "3"}, `invalid value "3" for flag -work`},
		{[]string{"-size", "4"}, "flag provided but not defined: -size"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-maxsize", "-timeout", "-work", "-tasks"} {
		assert.Contains(t, out.String(), name)
	}
}

// drain takes every value in q without waiting, in order.
func drain[T any](q chan T) []T {
	var got []T
	for {
		v, err := getNowait(q)
		if err != nil {
			return got
		}
		got = append(got, v)
	}
}
