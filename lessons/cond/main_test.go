package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// Tests that wait run inside synctest.Test, where time is fake and exact
// and a goroutine asleep in sync.Cond.Wait is durably blocked: after
// synctest.Wait, every goroutine of the test is asleep or done, so "still
// waiting" is a fact, not a guess. A goroutine that nothing can ever wake
// makes synctest report a deadlock and fail the test.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no simulated work and no timeline, so that
// it is instant and prints the same lines on every run: the timeline's
// order depends on the times, the replays' order on nothing but their
// script.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-produce", "0", "-consume", "0", "-timeline=false"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// a buffer of size 2 on sync.Cond
	// 2 producers, 3 items each, 0s to make one; 2 consumers, 0s to use one
	//   all 6 items delivered, each once
	//
	// why Wait goes in a for loop: a stolen wake-up, replayed
	//   consumer 1  waits: empty                        [_]
	//   producer    puts x                              [x]
	//   consumer 2  gets x                              [_]
	//   consumer 1  wakes up: still empty, waits again  [_]
	//   producer    puts y                              [y]
	//   consumer 1  gets y                              [_]
	//
	// one Cond for two conditions, woken with Signal: a lost wake-up, replayed
	//   producer 1  puts a                              [a]
	//   producer 2  waits: full                         [a]
	//   producer 3  waits: full                         [a]
	//   consumer 1  gets a                              [_]
	//   consumer 2  waits: empty                        [_]
	//   producer 2  puts b                              [b]
	//   producer 3  wakes up: still full, waits again   [b]
	//   stuck: consumer 2 waits for an item, and [b] holds one:
	//   producer 2's Signal went to producer 3, the longest waiter
	//   a Broadcast wakes both: consumer 2 gets b, and producer 3 puts c
	//
	// the same producers and consumers on a buffered channel, make(chan string, 2)
	//   all 6 items delivered, each once
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output" exactly:
// with these flags no two goroutines act at the same moment, so not even
// the order of lines can vary.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, want, out.String())
		assert.Equal(t, 2*1050*time.Millisecond, time.Since(start),
			"want 1.05s on the Cond buffer, then 1.05s on the channel")
	})
}

// TestBufferIsBoundedAndFIFO checks the buffer without any waiting: items
// come out in the order they went in, across the end of the ring.
func TestBufferIsBoundedAndFIFO(t *testing.T) {
	b := newBuffer(3)
	assert.Equal(t, "[_ _ _]", b.state())
	for _, v := range []string{"a", "b", "c"} {
		require.True(t, b.put("p", v), "put %s", v)
	}
	assert.Equal(t, "[a b c]", b.state())
	for _, step := range []struct {
		put, want, state string
	}{
		{"d", "a", "[b c d]"}, // d goes where a was: the ring wraps
		{"e", "b", "[c d e]"},
		{"f", "c", "[d e f]"},
		{"g", "d", "[e f g]"},
	} {
		v, ok := b.get("c")
		require.True(t, ok)
		assert.Equal(t, step.want, v, "get")
		require.True(t, b.put("p", step.put), "put %s", step.put)
		assert.Equal(t, step.state, b.state(), "after put %s", step.put)
	}
}

// TestPutWaitsWhileFullAndGetWhileEmpty checks that put waits exactly as
// long as the buffer is full, and get exactly as long as it is empty.
func TestPutWaitsWhileFullAndGetWhileEmpty(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		b := newBuffer(1)
		require.True(t, b.put("p", "a"))

		var putAt time.Duration
		putDone := make(chan struct{}) // closed when the second put returns
		go func() {
			defer close(putDone)
			b.put("p", "b")
			putAt = time.Since(start)
		}()
		synctest.Wait()
		assert.True(t, waiting(putDone), "put returned while the buffer was full")
		time.Sleep(time.Second)
		assert.True(t, waiting(putDone), "put returned while the buffer was full")
		v, _ := b.get("c")
		assert.Equal(t, "a", v)
		<-putDone
		assert.Equal(t, time.Second, putAt,
			"put returned after; want when get made room")

		v, _ = b.get("c")
		assert.Equal(t, "b", v)
		var got string
		var getAt time.Duration
		getDone := make(chan struct{}) // closed when the get returns
		go func() {
			defer close(getDone)
			got, _ = b.get("c")
			getAt = time.Since(start)
		}()
		synctest.Wait()
		assert.True(t, waiting(getDone), "get returned while the buffer was empty")
		time.Sleep(time.Second)
		b.put("p", "c")
		<-getDone
		assert.Equal(t, "c", got)
		assert.Equal(t, 2*time.Second, getAt,
			"get returned after; want when put added an item")
	})
}

// getWithIf is get written with the mistake the lesson warns about: it
// waits in an if, not a for loop, and assumes that when Wait returns there
// is an item. It reports whether the buffer was in fact empty then.
func (b *buffer) getWithIf(who string) (emptyAfterWait bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 {
		b.wait(b.notEmpty, who, "empty", false)
		return b.n == 0
	}
	return false
}

// TestWokenGoroutineMayFindTheItemGone checks the claim behind the for
// loop: Signal wakes a waiter, but another goroutine can take the lock,
// and the item, before the waiter returns from Wait. We run the lesson's
// replay schedule on an if-waiting consumer: it wakes to an empty buffer.
// (The for-looping consumer of the replay goes back to sleep instead: see
// TestOutputMatchesREADME.)
func TestWokenGoroutineMayFindTheItemGone(t *testing.T) {
	b := newBuffer(1)
	// What consumer 1 found; it has room for the one value, so the
	// goroutine never waits to send.
	emptyAfterWait := make(chan bool, 1)
	var wg sync.WaitGroup
	wg.Go(func() { emptyAfterWait <- b.getWithIf("consumer 1") })
	b.awaitWaits(1)

	b.mu.Lock()
	b.putLocked("producer", "x") // Signal: consumer 1 is woken...
	v, ok := b.getLocked("consumer 2")
	b.mu.Unlock()
	wg.Wait()

	require.True(t, ok)
	assert.Equal(t, "x", v, "consumer 2 took the item")
	assert.True(t, <-emptyAfterWait,
		"consumer 1 was woken for x, and found the buffer empty when Wait returned")
}

// TestSignalOnOneCondLosesAWakeUp plays the lost wake-up's schedule on
// three buffers. Producers 2 and 3 wait on a full buffer of 1; then one
// goroutine, holding the lock, takes the item as consumer 1 and waits for
// another as consumer 2. On one Cond with Signal, producer 2's put wakes
// producer 3, and consumer 2 sleeps on next to an item. With Broadcast, or
// with a Cond for each condition, consumer 2 gets an item.
func TestSignalOnOneCondLosesAWakeUp(t *testing.T) {
	tests := []struct {
		name      string
		newBuffer func() *buffer
		wantStuck bool
	}{
		{"one Cond, Signal", func() *buffer {
			return newOneCondBuffer(1, (*sync.Cond).Signal)
		}, true},
		{"one Cond, Broadcast", func() *buffer {
			return newOneCondBuffer(1, (*sync.Cond).Broadcast)
		}, false},
		{"two Conds, Signal", func() *buffer { return newBuffer(1) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				b := tt.newBuffer()
				require.True(t, b.put("producer 1", "a"))
				var wg sync.WaitGroup
				wg.Go(func() { b.put("producer 2", "b") })
				synctest.Wait()
				wg.Go(func() { b.put("producer 3", "c") })
				synctest.Wait()
				// Consumer 2's item; room for that one value, so the
				// goroutine never waits to send.
				got := make(chan string, 1)
				wg.Go(func() {
					b.mu.Lock()
					defer b.mu.Unlock()
					b.getLocked("consumer 1")
					v, _ := b.getLocked("consumer 2")
					got <- v
				})
				synctest.Wait() // everyone is done, or asleep for good

				b.mu.Lock()
				stuck := len(got) == 0
				items := b.n
				b.notEmpty.Broadcast() // wake anyone left, so the test can end
				b.mu.Unlock()
				assert.Equal(t, tt.wantStuck, stuck,
					"consumer 2 still asleep once no goroutine could run")
				if tt.wantStuck {
					assert.Equal(t, 1, items,
						"items in the buffer next to the sleeping consumer")
				}
				wg.Wait()
				assert.Contains(t, []string{"b", "c"}, <-got, "consumer 2's item")
			})
		})
	}
}

// TestCloseWakesEveryWaiter checks that close wakes every goroutine asleep
// in put or get, at once: its Broadcast reaches all of them.
func TestCloseWakesEveryWaiter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		empty, full := newBuffer(1), newBuffer(1)
		require.True(t, full.put("p", "a"))
		var wg sync.WaitGroup
		returned := make(chan bool, 6) // one slot per goroutine: none waits to report
		for range 3 {
			wg.Go(func() { _, ok := empty.get("c"); returned <- ok })
			wg.Go(func() { returned <- full.put("p", "b") })
		}
		synctest.Wait()
		require.Empty(t, returned, "a put or get returned before close")

		start := time.Now()
		empty.close("main")
		full.close("main")
		wg.Wait()
		assert.Zero(t, time.Since(start), "the waiters returned after")
		close(returned)
		for ok := range returned {
			assert.False(t, ok, "a put or get woken by close reported success")
		}
		v, ok := full.get("c")
		assert.True(t, ok && v == "a",
			"the item in the closed buffer: got %q, %t", v, ok)
	})
}

// TestChannelRunsLikeTheCondBuffer checks the lesson's comparison: with
// the default flags, the channel delivers the same items to the consumers,
// in the same order, in the same time as the Cond buffer.
func TestChannelRunsLikeTheCondBuffer(t *testing.T) {
	cfg, err := parseFlags(io.Discard, nil)
	require.NoError(t, err)
	cfg.timeline = false
	var onCondGot, onChannelGot [][]string
	var onCondTook, onChannelTook time.Duration
	synctest.Test(t, func(t *testing.T) {
		onCondGot, onCondTook = onCond(t.Context(), cfg, nil)
	})
	synctest.Test(t, func(t *testing.T) {
		onChannelGot, onChannelTook = onChannel(t.Context(), cfg)
	})
	assert.Equal(t, 1050*time.Millisecond, onCondTook)
	assert.Equal(t, onCondTook, onChannelTook, "the channel run took")
	byFirstItem := func(a, b []string) int { return strings.Compare(a[0], b[0]) }
	slices.SortFunc(onCondGot, byFirstItem)
	slices.SortFunc(onChannelGot, byFirstItem)
	assert.Equal(t, onCondGot, onChannelGot, "what the consumers got")
}

// TestWaitDoesNotSeeTheContext checks why onCond needs context.AfterFunc:
// a goroutine asleep in Cond.Wait stays asleep when its context is done,
// because nothing in Wait looks at a context. Only a Signal, a Broadcast
// (here, close's) wakes it.
func TestWaitDoesNotSeeTheContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		b := newBuffer(1)
		done := make(chan struct{}) // closed when get returns
		go func() {
			defer close(done)
			b.get("c")
		}()
		synctest.Wait()
		cancel()
		time.Sleep(time.Hour)
		assert.True(t, waiting(done), "get returned when the context was done")
		stop := context.AfterFunc(ctx, func() { b.close("ctrl-c") })
		defer stop()
		<-done // AfterFunc on a done context runs at once
	})
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) at moments
// when goroutines wait in get, wait in put, and work, on the Cond buffer
// and on the channel. run must return ctx.Err() at that very moment, with
// every goroutine it started gone: synctest.Test fails the test if any is
// left blocked.
func TestCtrlCStopsPromptly(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
	}{
		{"consumers wait for items", 50 * time.Millisecond},
		{"producers wait for room", 350 * time.Millisecond},
		{"consumers use the last items", 800 * time.Millisecond},
		{"on the channel", 1050*time.Millisecond + 350*time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				// run's result; room for it, so the goroutine never waits.
				errc := make(chan error, 1)
				start := time.Now()
				go func() { errc <- run(ctx, io.Discard, nil) }()
				time.Sleep(tt.cancelAt)
				cancel()
				assert.ErrorIs(t, <-errc, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(start),
					"run returned late: does some goroutine miss the cancel?")
			})
		})
	}
}

// TestDeliveredSpotsLossAndDuplicates checks the line that vouches for
// each run: it names a run that lost or duplicated an item.
func TestDeliveredSpotsLossAndDuplicates(t *testing.T) {
	cfg := config{producers: 2, items: 2}
	ok := [][]string{{"a1", "b2"}, {"b1", "a2"}}
	assert.Equal(t, "  all 4 items delivered, each once", delivered(cfg, ok, 0))
	cfg.timeline = true
	assert.Equal(t, "  all 4 items delivered, each once, in 1.05s",
		delivered(cfg, ok, 1059*time.Millisecond))
	for _, got := range [][][]string{
		{{"a1", "b2"}, {"b1"}},             // a2 lost
		{{"a1", "b2", "a2"}, {"b1", "a2"}}, // a2 twice
	} {
		assert.Contains(t, delivered(cfg, got, 0), "wrong:", "%v", got)
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-size", "0"}, "-size must be from 1 to 1000, got 0"},
		{[]string{"-size", "1001"}, "-size must be from 1 to 1000, got 1001"},
		{[]string{"-producers", "0"}, "-producers must be from 1 to 26, got 0"},
		{[]string{"-producers", "27"}, "-producers must be from 1 to 26, got 27"},
		{[]string{"-consumers", "-1"}, "-consumers must be from 1 to 100, got -1"},
		{[]string{"-consumers", "101"}, "-consumers must be from 1 to 100, got 101"},
		{[]string{"-items", "0"}, "-items must be from 1 to 1000, got 0"},
		{[]string{"-items", "1001"}, "-items must be from 1 to 1000, got 1001"},
		{[]string{"-produce", "-1s"}, "-produce must not be negative, got -1s"},
		{[]string{"-consume", "-1ms"}, "-consume must not be negative, got -1ms"},
		{[]string{"-consume", "3"}, `invalid value "3" for flag -consume`},
		{[]string{"-timeline=maybe"}, `invalid boolean value "maybe" for -timeline`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
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

// TestParseFlagsDefaultsAndLimits checks the defaults the README's output
// comes from, and that the limits themselves are accepted.
func TestParseFlagsDefaultsAndLimits(t *testing.T) {
	cfg, err := parseFlags(io.Discard, nil)
	require.NoError(t, err)
	assert.Equal(t, config{size: 2, producers: 2, consumers: 2, items: 3,
		produce: 100 * time.Millisecond, consume: 300 * time.Millisecond,
		timeline: true}, cfg)
	cfg, err = parseFlags(io.Discard, []string{"-size", "1000",
		"-producers", "26", "-consumers", "100", "-items", "1000",
		"-produce", "0", "-consume", "0", "-timeline=false"})
	require.NoError(t, err)
	assert.Equal(t, config{size: 1000, producers: 26, consumers: 100,
		items: 1000}, cfg)
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-size", "-producers", "-consumers",
		"-items", "-produce", "-consume", "-timeline"} {
		assert.Contains(t, out.String(), name)
	}
}

// waiting reports whether done is still open: whether the goroutine that
// closes it is still waiting. It never blocks.
func waiting(done <-chan struct{}) bool {
	select {
	case <-done: // closed: the goroutine has returned
		return false
	default: // still open
		return true
	}
}
