package main

// None of these tests uses synctest: a goroutine blocked on a sync.RWMutex
// is not durably blocked there, and the lesson has no time in it anyway.
// Where broken code would deadlock, internal/hangcheck turns the hang into
// a failure. Where a test must know that a goroutine is blocked on the lock
// (not merely slow to start), it reads the runtime's goroutine dump, which
// names each goroutine's wait ("sync.RWMutex.RLock"): see parkedIn.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with 3 readers. Every line is always the same.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-readers", "3"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// readers share the read lock:
	//   readers inside at the same time: 3 of 3
	//   they read colour = blue
	//
	// a writer waits for the readers inside; new readers wait for the writer:
	//   3 readers hold the read lock
	//   the writer calls Lock and waits; now TryRLock fails
	//   a late reader calls RLock
	//   the 3 readers read colour = blue and unlock
	//   the writer gets the lock, sets colour = green and unlocks
	//   the late reader gets the read lock: colour = green
	//
	// a read lock cannot be upgraded to a write lock:
	//   holding the read lock, TryLock: false (Lock would wait for ever)
	//   so we RUnlock, Lock and look again: 3 goroutines ask for size at once
	//   the load ran 1 time(s); they all got size = large
	//
	// two alternatives:
	//   copy-on-write: a reader loads the map, then a writer sets colour = red
	//   the reader's map still says colour = green; a new load says red
	//   sync.Map: 3 goroutines LoadOrStore(shape) at once: 1 stored, 2 loaded
	//   they all got the one value that was stored
}

func TestRunWithDefaultFlagsPrintsTheREADMEOutput(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	var out bytes.Buffer
	hangcheck.Within(t, "run with the default flags", func() {
		err = run(t.Context(), &out, nil)
	})
	require.NoError(t, err)
	assert.Equal(t, want, out.String())
}

// TestReadersHoldTheReadLockTogether checks the first claim: readers do not
// exclude each other. Each reader waits inside the read lock until all of
// them are inside, so with an exclusive lock readTogether would never
// return, and hangcheck would fail the test.
func TestReadersHoldTheReadLockTogether(t *testing.T) {
	for _, n := range []int{1, 2, 5, 100} {
		t.Run(fmt.Sprintf("readers=%d", n), func(t *testing.T) {
			c := newCache(map[string]string{"colour": "blue"})
			var together int
			var saw []string
			hangcheck.Within(t, "readTogether", func() {
				together, saw = readTogether(c, n, "colour")
			})
			assert.Equal(t, n, together, "readers inside the read lock at once")
			assert.Equal(t, slices.Repeat([]string{"blue"}, n), saw)
		})
	}
}

// TestWriterWaitsForReadersAndBlocksNewOnes checks writerWaits' story: the
// first readers read only after the writer called Lock, and still read the
// old value, so the writer waited for them; the late reader, who came while
// the writer waited, read the new value, so it waited for the writer.
func TestWriterWaitsForReadersAndBlocksNewOnes(t *testing.T) {
	for _, n := range []int{1, 5, 50} {
		t.Run(fmt.Sprintf("readers=%d", n), func(t *testing.T) {
			c := newCache(map[string]string{"colour": "blue"})
			var s story
			hangcheck.Within(t, "writerWaits", func() {
				s = writerWaits(c, n, "colour", "green")
			})
			assert.Equal(t, slices.Repeat([]string{"blue"}, n), s.readersSaw,
				"the readers inside when the writer came")
			assert.Equal(t, "green", s.lateReaderSaw,
				"the reader that came while the writer waited")
			v, _ := c.get("colour")
			assert.Equal(t, "green", v, "the cache after the writer")
		})
	}
}

// TestNewReaderWaitsUntilTheWriterUnlocks builds the writer-preference
// story step by step, and checks each step as it happens: a reader is
// inside; a writer calls Lock and does not get it; a new reader calls
// RLock and is parked (the goroutine dump says so); the first reader
// leaves and the writer gets the lock, while the new reader is still
// parked; only the writer's Unlock lets the new reader in.
func TestNewReaderWaitsUntilTheWriterUnlocks(t *testing.T) {
	c := newCache(map[string]string{"colour": "blue"})
	inside := make(chan struct{}) // closed once the first reader is inside
	leave := make(chan struct{})  // closed to let the first reader leave
	locked := make(chan struct{}) // closed once the writer has the lock
	unlock := make(chan struct{}) // closed to let the writer unlock
	// lateDone carries what the late reader read; its buffer of 1 lets the
	// late reader send and return without waiting for us.
	lateDone := make(chan string, 1)

	// We record each observation and check them once hangcheck is done: a
	// test must not fail from a goroutine it started.
	var lockedTooSoon, lateParked, lateInTooSoon bool
	var lateSaw string
	hangcheck.Within(t, "readers and a writer", func() {
		var wg sync.WaitGroup
		wg.Go(func() {
			c.read(func(map[string]string) {
				close(inside)
				<-leave
			})
		})
		<-inside
		wg.Go(func() {
			c.mu.Lock()
			close(locked)
			<-unlock
			c.m["colour"] = "green"
			c.mu.Unlock()
		})
		for !c.readerWouldWait() {
			runtime.Gosched() // until the writer has called Lock
		}
		lockedTooSoon = isClosed(locked)

		wg.Go(func() {
			v, _ := c.get("colour")
			lateDone <- v
		})
		lateParked = waitParked("sync.RWMutex.RLock", ".(*cache).get")

		close(leave)
		<-locked
		select {
		case lateSaw = <-lateDone: // the late reader got in beside the writer
			lateInTooSoon = true
		default: // still waiting, as it should
		}
		close(unlock)
		wg.Wait()
		if !lateInTooSoon {
			lateSaw = <-lateDone
		}
	})
	assert.False(t, lockedTooSoon, "the writer got the lock while a reader held it")
	assert.True(t, lateParked, "the late reader never waited in RLock")
	assert.False(t, lateInTooSoon, "the late reader got in while the writer held the lock")
	assert.Equal(t, "green", lateSaw, "the late reader comes after the writer")
}

// TestReadLockCannotBeUpgraded checks that TryLock fails while we hold the
// read lock, and that tryUpgrade leaves the lock free.
func TestReadLockCannotBeUpgraded(t *testing.T) {
	c := newCache(map[string]string{"colour": "blue"})
	assert.False(t, c.tryUpgrade(), "TryLock while holding the read lock")
	assert.False(t, c.readerWouldWait(), "tryUpgrade left a writer in the lock")
	require.True(t, c.mu.TryLock(), "tryUpgrade left the read lock held")
	c.mu.Unlock()
}

// TestUpgradeWaitsForItself does the upgrade for real: a goroutine takes the
// read lock, then calls Lock. The goroutine dump shows it parked in Lock,
// and it holds the only read lock, so nothing it waits for can happen: a
// deadlock. The test then plays the part no real program has, and releases
// the read lock on the goroutine's behalf (an RWMutex does not know which
// goroutine holds it), so that Lock returns and the goroutine ends.
func TestUpgradeWaitsForItself(t *testing.T) {
	var mu sync.RWMutex
	locked := make(chan struct{}) // closed if Lock ever returns
	var parked, lockedTooSoon bool
	hangcheck.Within(t, "the upgrade, released by the test", func() {
		var wg sync.WaitGroup
		wg.Go(func() { upgradeLock(&mu, locked) })
		parked = waitParked("sync.RWMutex.Lock", ".upgradeLock")
		lockedTooSoon = isClosed(locked)
		if !parked {
			return // no read lock to release: we leave the goroutine be
		}
		mu.RUnlock() // the read lock upgradeLock took and cannot release
		wg.Wait()
	})
	assert.True(t, parked, "the goroutine never waited in Lock")
	assert.False(t, lockedTooSoon, "Lock returned while the goroutine held the read lock")
	assert.True(t, isClosed(locked), "Lock did not return after the read lock was released")
}

// upgradeLock is the mistake: it takes the read lock, then the write lock
// without letting go of the read lock. It closes locked when Lock returns,
// which it does only if someone else releases the read lock.
func upgradeLock(mu *sync.RWMutex, locked chan<- struct{}) {
	mu.RLock()
	mu.Lock()
	close(locked)
	mu.Unlock()
}

// TestGetOrLoadLoadsOnce checks that getOrLoad's second look, under the
// write lock, keeps the load to one run however many goroutines miss the
// key at once, and that a key already there is never loaded.
func TestGetOrLoadLoadsOnce(t *testing.T) {
	for _, n := range []int{1, 2, 100} {
		t.Run(fmt.Sprintf("goroutines=%d", n), func(t *testing.T) {
			c := newCache(map[string]string{"colour": "blue"})
			var loads int
			var got []string
			hangcheck.Within(t, "loadTogether", func() {
				loads, got = loadTogether(c, n, "size", "large")
			})
			assert.Equal(t, 1, loads, "times the load ran")
			assert.Equal(t, slices.Repeat([]string{"large"}, n), got)

			hangcheck.Within(t, "loadTogether", func() {
				loads, got = loadTogether(c, n, "colour", "never loaded")
			})
			assert.Zero(t, loads, "times the load ran for a key already there")
			assert.Equal(t, slices.Repeat([]string{"blue"}, n), got)
		})
	}
}

// TestCacheIsRaceFree reads and writes the caches from many goroutines at
// once. Under go test -race, a read or write without the lock fails it.
func TestCacheIsRaceFree(t *testing.T) {
	const readers, reads, writes = 4, 1000, 100
	c := newCache(map[string]string{"colour": "blue"})
	cow := newCOWCache(map[string]string{"colour": "blue"})
	results := make([][]string, readers) // what reader i read; only it appends
	hangcheck.Within(t, "concurrent reads and writes", func() {
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				for range reads {
					v1, _ := c.get("colour")
					v2, _ := cow.get("colour")
					var v3 string
					c.read(func(m map[string]string) { v3 = m["colour"] })
					results[i] = append(results[i], v1, v2, v3)
				}
			})
		}
		wg.Go(func() {
			for i := range writes {
				v := []string{"blue", "green"}[i%2]
				c.set("colour", v)
				cow.set("colour", v)
			}
		})
		wg.Wait()
	})
	var bad []string // values no writer wrote
	for _, r := range results {
		for _, v := range r {
			if v != "blue" && v != "green" {
				bad = append(bad, v)
			}
		}
	}
	assert.Empty(t, bad, "values read that no writer wrote")
}

// TestCopyOnWriteReadersKeepTheirMap checks that a map loaded from a
// cowCache never changes, and that a later load sees the write.
func TestCopyOnWriteReadersKeepTheirMap(t *testing.T) {
	orig := map[string]string{"colour": "green", "size": "small"}
	cow := newCOWCache(orig)
	orig["colour"] = "changed by the caller"
	before := cow.load()
	cow.set("colour", "red")
	cow.set("shape", "circle")
	assert.Equal(t, map[string]string{"colour": "green", "size": "small"}, before,
		"a map loaded before the writes")
	assert.Equal(t,
		map[string]string{"colour": "red", "size": "small", "shape": "circle"},
		maps.Clone(cow.load()), "a map loaded after the writes")
	v, ok := cow.get("colour")
	assert.Equal(t, "red", v)
	assert.True(t, ok)
}

// TestLoadOrStoreStoresOnce checks that of n goroutines calling
// LoadOrStore on one missing key, exactly one stores and every one gets
// the stored value.
func TestLoadOrStoreStoresOnce(t *testing.T) {
	for _, n := range []int{1, 2, 100} {
		t.Run(fmt.Sprintf("goroutines=%d", n), func(t *testing.T) {
			stored, loaded, values := loadOrStoreTogether(n, "shape")
			assert.Equal(t, 1, stored, "goroutines that stored")
			assert.Equal(t, n-1, loaded, "goroutines that loaded")
			assert.Len(t, values, 1, "distinct values seen: %v", values)
		})
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-readers", "0"}, "-readers must be from 1 to 10000, got 0"},
		{[]string{"-readers", "-2"}, "-readers must be from 1 to 10000, got -2"},
		{[]string{"-readers", "10001"}, "-readers must be from 1 to 10000, got 10001"},
		{[]string{"-readers", "many"}, `invalid value "many" for flag -readers`},
		{[]string{"-writers", "2"}, "flag provided but not defined: -writers"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, out.String(), "run printed before it rejected its arguments")
		})
	}
}

func TestParseFlagsAcceptsTheLimits(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want config
	}{
		{nil, config{readers: 5}},
		{[]string{"-readers", "1"}, config{readers: 1}},
		{[]string{"-readers", "10000"}, config{readers: 10_000}},
	} {
		cfg, err := parseFlags(io.Discard, tt.args)
		require.NoError(t, err, "%v", tt.args)
		assert.Equal(t, tt.want, cfg, "%v", tt.args)
	}
}

func TestRunHelpListsTheFlags(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	assert.Contains(t, out.String(), "-readers")
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, []string{"-readers", "2"})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, out.String(), "a writer waits", "run went on after ctx was done")
}

// isClosed reports, without waiting, whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch: // closed
		return true
	default: // not yet
		return false
	}
}

// waitParked waits until some goroutine is parked in the wait named state,
// with a function whose name ends in fn on its stack, and reports whether
// one was. It gives up, and reports false, after hangcheck.Bound of real
// time: only broken code makes it wait that long.
func waitParked(state, fn string) bool {
	deadline := time.Now().Add(hangcheck.Bound)
	buf := make([]byte, 1<<20)
	for !parkedIn(buf, state, fn) {
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
	}
	return true
}

// parkedIn reports whether the goroutine dump shows a goroutine parked in
// the wait named state ("sync.RWMutex.Lock") with a function whose name
// ends in fn on its stack. A dump is a series of blocks, one per
// goroutine, separated by blank lines, each headed like
//
//	goroutine 23 [sync.RWMutex.Lock]:
//
// or, once it has waited a minute or more, [sync.RWMutex.Lock, 1 minutes].
// buf is where the dump is written; a goroutine past its end is not seen.
func parkedIn(buf []byte, state, fn string) bool {
	dump := string(buf[:runtime.Stack(buf, true)])
	for g := range strings.SplitSeq(dump, "\n\n") {
		header, _, _ := strings.Cut(g, "\n")
		waiting := strings.Contains(header, "["+state+"]") ||
			strings.Contains(header, "["+state+",")
		if waiting && strings.Contains(g, fn+"(") {
			return true
		}
	}
	return false
}
