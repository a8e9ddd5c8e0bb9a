package queue

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Every test runs Ship inside synctest.Test, where time is fake and exact:
// a batch due 5s after its first line, which came at 1s, is flushed at
// exactly 6s, not a tick earlier or later. The test is the only sender on
// the input channel, which is unbuffered, so a send returns when Ship has
// taken the line.
//
// A test never leaves Ship running: each one ends it with a deferred
// s.end(), which cancels its ctx and, if Ship ignores that, closes its
// input. Ship's flushes are recorded with the time they happened and a
// copy of the batch as it was then.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A flush is one call of the flush function, as the tests saw it.
type flush struct {
	At    time.Duration // when flush was called, since Ship started
	Lines []string      // the batch as it was when flush was called
}

// shipper runs Ship in a goroutine of the bubble and records its flushes.
type shipper struct {
	in     chan string
	cancel context.CancelFunc
	begin  time.Time
	closed bool // the test has closed in

	done     chan struct{} // closed when Ship returns
	err      error         // what Ship returned; read after done
	returnAt time.Duration // when Ship returned; read after done

	flushTakes time.Duration // how long each flush takes (simulated I/O)

	mu         sync.Mutex // guards flushes, kept, running and maxRunning
	flushes    []flush
	kept       [][]string // each batch slice itself, as flush received it
	running    int        // flush calls under way
	maxRunning int        // the most flush calls ever under way at once
}

// start runs Ship(ctx, in, n, every, flush) in a new goroutine, with a
// flush that records each batch and then takes flushTakes (simulated I/O).
// It must be called inside the bubble.
func start(t *testing.T, n int, every, flushTakes time.Duration) *shipper {
	ctx, cancel := context.WithCancel(t.Context())
	s := &shipper{
		in:         make(chan string),
		cancel:     cancel,
		begin:      time.Now(),
		done:       make(chan struct{}),
		flushTakes: flushTakes,
	}
	record := func(batch []string) {
		s.mu.Lock()
		s.flushes = append(s.flushes, flush{
			At:    time.Since(s.begin),
			Lines: append([]string(nil), batch...),
		})
		s.kept = append(s.kept, batch)
		s.running++
		s.maxRunning = max(s.maxRunning, s.running)
		s.mu.Unlock()

		time.Sleep(flushTakes)

		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}
	go func() {
		defer close(s.done)
		s.err = Ship(ctx, s.in, n, every, record)
		s.returnAt = time.Since(s.begin)
	}()
	return s
}

// at sleeps until d after Ship started.
func (s *shipper) at(d time.Duration) {
	time.Sleep(d - time.Since(s.begin))
}

// send sends each line to Ship, in order. It fails the test if Ship has
// returned and no longer reads.
func (s *shipper) send(t *testing.T, lines ...string) {
	t.Helper()
	for _, l := range lines {
		select {
		case s.in <- l: // Ship took it
		case <-s.done: // Ship returned: nobody will take it
			t.Fatalf("at %v: Ship returned (%v) before it read %q",
				time.Since(s.begin), s.err, l)
		}
	}
}

// close closes Ship's input.
func (s *shipper) close() {
	s.closed = true
	close(s.in)
}

// wait waits until Ship returns, or for an hour of fake time, and reports
// whether it returned.
func (s *shipper) wait(t *testing.T) bool {
	t.Helper()
	select {
	case <-s.done:
		return true
	case <-time.After(time.Hour):
		t.Errorf("Ship still running an hour after it should have returned")
		return false
	}
}

// end stops Ship if it is still running: it cancels ctx and, if Ship does
// not return within an hour of fake time, closes in. It waits for Ship,
// and then for any flush that Ship left running (it should leave none),
// so that a test reports what is wrong rather than a synctest deadlock.
func (s *shipper) end() {
	s.cancel()
	select {
	case <-s.done:
	case <-time.After(time.Hour):
		if !s.closed {
			s.close()
		}
		<-s.done
	}
	time.Sleep(s.flushTakes)
}

// got returns the flushes so far.
func (s *shipper) got() []flush {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]flush(nil), s.flushes...)
}

// TestFullBatchFlushesAtOnce checks that a batch is flushed the moment its
// n-th line arrives, long before every has passed.
func TestFullBatchFlushesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 3, time.Minute, 0)
		defer s.end()
		s.at(time.Second)
		s.send(t, "a", "b", "c")
		s.at(2 * time.Second)
		s.send(t, "d", "e", "f")
		synctest.Wait()
		assert.Equal(t, []flush{
			{time.Second, []string{"a", "b", "c"}},
			{2 * time.Second, []string{"d", "e", "f"}},
		}, s.got(), "want each batch of 3 flushed the moment it is full")
	})
}

// TestPartialBatchFlushesAfterEvery checks that a batch that does not
// fill up is flushed exactly every after its first line arrived.
func TestPartialBatchFlushesAfterEvery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 3, 5*time.Second, 0)
		defer s.end()
		s.at(time.Second)
		s.send(t, "a")
		s.at(2 * time.Second)
		s.send(t, "b")
		s.at(10 * time.Second)
		s.send(t, "c")
		s.at(20 * time.Second)
		assert.Equal(t, []flush{
			{6 * time.Second, []string{"a", "b"}},
			{15 * time.Second, []string{"c"}},
		}, s.got(), "want each batch flushed 5s after its first line")
	})
}

// TestTimerStartsOverAfterFullBatch checks that the clock starts again with
// the first line after a full batch: a timer left running from the batch
// before, or one started when Ship started, fires at the wrong time.
func TestTimerStartsOverAfterFullBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 2, 5*time.Second, 0)
		defer s.end()
		s.at(time.Second)
		s.send(t, "a")
		s.at(2 * time.Second)
		s.send(t, "b") // full: flushed at 2s
		s.at(4 * time.Second)
		s.send(t, "c") // due at 9s
		s.at(12 * time.Second)
		s.send(t, "d", "e") // full: flushed at 12s
		s.at(13 * time.Second)
		s.send(t, "f") // due at 18s
		s.at(30 * time.Second)
		assert.Equal(t, []flush{
			{2 * time.Second, []string{"a", "b"}},
			{9 * time.Second, []string{"c"}},
			{12 * time.Second, []string{"d", "e"}},
			{18 * time.Second, []string{"f"}},
		}, s.got(), "want each partial batch flushed 5s after its own first line")
	})
}

// TestRemainderIsFlushedOnClose checks that closing the input flushes the
// lines Ship holds at once, and that Ship then returns nil.
func TestRemainderIsFlushedOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 10, time.Hour, 0)
		defer s.end()
		s.at(time.Second)
		s.send(t, "a", "b", "c")
		s.at(2 * time.Second)
		s.close()
		if s.wait(t) {
			assert.NoError(t, s.err, "Ship after its input was closed")
			assert.Equal(t, 2*time.Second, s.returnAt,
				"Ship returned after; want the moment of the close")
		}
		assert.Equal(t, []flush{{2 * time.Second, []string{"a", "b", "c"}}},
			s.got(), "want the remainder flushed when the input is closed")
	})
}

// TestNoEmptyBatches checks that an idle shipper flushes nothing: not on a
// tick while there are no lines, not after a full batch, not on close.
func TestNoEmptyBatches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 2, time.Second, 0)
		defer s.end()
		s.at(10*time.Second + 500*time.Millisecond)
		s.send(t, "a") // due at 11.5s
		s.at(13 * time.Second)
		s.send(t, "b", "c") // full: flushed at 13s
		s.at(20 * time.Second)
		s.close()
		if s.wait(t) {
			assert.NoError(t, s.err)
			assert.Equal(t, 20*time.Second, s.returnAt, "Ship returned after")
		}
		assert.Equal(t, []flush{
			{11*time.Second + 500*time.Millisecond, []string{"a"}},
			{13 * time.Second, []string{"b", "c"}},
		}, s.got(), "want no flush without lines")
	})
}

// TestBatchesAreNotReused checks that Ship hands flush a new slice for
// every batch, and never writes to one after flush returns: flush may keep
// its batches.
func TestBatchesAreNotReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 2, time.Hour, 0)
		defer s.end()
		s.send(t, "a", "b", "c", "d", "e")
		s.close()
		require.True(t, s.wait(t))
		s.mu.Lock()
		defer s.mu.Unlock()
		require.Len(t, s.kept, 3, "want batches [a b] [c d] [e]")
		for i, f := range s.flushes {
			assert.Equal(t, f.Lines, s.kept[i],
				"batch %d as flush kept it, after Ship returned; want it as "+
					"it was when flush was called", i+1)
		}
	})
}

// TestLinesKeepTheirOrder sends many lines at once: they come out in
// order, in batches of n, the last one short.
func TestLinesKeepTheirOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 4, time.Hour, 0)
		defer s.end()
		var lines []string
		for i := range 10 {
			lines = append(lines, fmt.Sprint(i))
		}
		s.send(t, lines...)
		s.close()
		require.True(t, s.wait(t))
		assert.Equal(t, []flush{
			{0, []string{"0", "1", "2", "3"}},
			{0, []string{"4", "5", "6", "7"}},
			{0, []string{"8", "9"}},
		}, s.got())
	})
}

// TestSlowFlushHoldsBackTheInput checks that flush is called from Ship,
// one batch at a time: while flush runs, Ship reads no line, so the sender
// waits (back-pressure), and Ship returns only after the last flush has.
func TestSlowFlushHoldsBackTheInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 2, time.Hour, time.Second) // each flush takes 1s
		defer s.end()
		var sentAt []time.Duration
		for _, l := range []string{"a", "b", "c", "d", "e"} {
			s.send(t, l)
			sentAt = append(sentAt, time.Since(s.begin))
		}
		s.close()
		if s.wait(t) {
			assert.Equal(t, 3*time.Second, s.returnAt,
				"Ship returned after; want after the third 1s flush")
			s.mu.Lock()
			assert.Zero(t, s.running, "flush calls still running when Ship returned")
			assert.Equal(t, 1, s.maxRunning, "most flush calls running at once")
			s.mu.Unlock()
		}
		assert.Equal(t, []time.Duration{0, 0, time.Second, time.Second, 2 * time.Second},
			sentAt, "when each send completed; want none while a flush runs")
		assert.Equal(t, []flush{
			{0, []string{"a", "b"}},
			{time.Second, []string{"c", "d"}},
			{2 * time.Second, []string{"e"}},
		}, s.got(), "want one flush at a time, each after the one before returned")
	})
}

// TestCancelStopsShipAtOnce checks that Ship returns ctx.Err() the moment
// ctx is done, while it waits for lines or for a batch's time, and drops
// the lines it holds without flushing them.
func TestCancelStopsShipAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := start(t, 10, time.Minute, 0)
		defer s.end()
		s.at(time.Second)
		s.send(t, "a", "b")
		s.at(3 * time.Second)
		s.cancel()
		if s.wait(t) {
			assert.ErrorIs(t, s.err, context.Canceled)
			assert.Equal(t, 3*time.Second, s.returnAt,
				"Ship returned after; want the moment of cancel")
		}
		assert.Empty(t, s.got(), "want the held lines dropped on cancel")
	})
}

// TestBadArgumentsPanic checks that Ship rejects a batch size below 1 and
// an interval that is not positive, as programmer errors.
func TestBadArgumentsPanic(t *testing.T) {
	in := make(chan string)
	close(in)
	noFlush := func([]string) { t.Error("flush called") }
	assert.Panics(t, func() { _ = Ship(t.Context(), in, 0, time.Second, noFlush) },
		"Ship with n = 0")
	assert.Panics(t, func() { _ = Ship(t.Context(), in, 3, 0, noFlush) },
		"Ship with every = 0")
	assert.Panics(t, func() { _ = Ship(t.Context(), in, 3, -time.Second, noFlush) },
		"Ship with every < 0")
}
