package rwmutex

import (
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike. They run under the race detector (go run
// ./cmd/workbook check rwmutex adds -race), so a read without the lock
// fails them even when it happens to read the right value.
//
// None uses synctest: a goroutine blocked on a sync.RWMutex is not durably
// blocked there. Every call that a wrong Store could leave waiting for ever
// runs inside hangcheck.Within, which fails the test after a few seconds
// instead. Where a test must know that a goroutine is waiting for the lock,
// not merely slow to start, it reads the runtime's goroutine dump, which
// names each goroutine's wait ("sync.RWMutex.Lock"): see waitLockedOrDone.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Two versions of a service's configuration. Every key's value differs
// between them, so a reader that sees some keys of each has seen a mix.
var (
	v1 = map[string]string{"version": "1", "host": "db1.example", "port": "5432"}
	v2 = map[string]string{"version": "2", "host": "db2.example", "port": "6432"}
)

// TestZeroValueIsAnEmptyConfig checks that a zero Store reads as empty,
// and that each read lets go of its read lock, on the empty path too: a
// Set after them waits for every reader to leave, so a read lock kept
// makes it wait for ever.
func TestZeroValueIsAnEmptyConfig(t *testing.T) {
	var s Store
	var v string
	var ok bool
	var snap, viewed, afterSet map[string]string
	views := 0
	hangcheck.Within(t, "Get, Snapshot and View on an empty Store", func() {
		v, ok = s.Get("version")
		snap = s.Snapshot()
		s.View(func(cfg map[string]string) {
			views++
			viewed = maps.Clone(cfg)
		})
	})
	assert.False(t, ok, "Get on an empty Store found a key")
	assert.Empty(t, v, "the value Get returned for a key that is not there")
	require.NotNil(t, snap, "Snapshot of an empty Store returned nil; "+
		"want an empty map the caller can add to")
	assert.Empty(t, snap, "Snapshot of an empty Store")
	assert.Equal(t, 1, views, "times View called fn")
	assert.Empty(t, viewed, "the configuration View gave fn, for an empty Store")

	hangcheck.Within(t, "a Set after Get, Snapshot and View on an empty "+
		"Store (a writer waits for every reader to let go: did a read "+
		"return, on its empty path, without RUnlock?)", func() {
		s.Set("version", "1")
		afterSet = s.Snapshot()
	})
	assert.Equal(t, map[string]string{"version": "1"}, afterSet,
		"a zero Store after one Set")
}

func TestNewAndReloadKeepTheirOwnCopy(t *testing.T) {
	cfg := maps.Clone(v1)
	s := New(cfg)
	cfg["host"] = "changed after New"
	var afterNew, afterReload map[string]string
	hangcheck.Within(t, "Snapshot, Reload, then Snapshot", func() {
		afterNew = s.Snapshot()
		cfg = maps.Clone(v2)
		s.Reload(cfg)
		cfg["host"] = "changed after Reload"
		afterReload = s.Snapshot()
	})
	assert.Equal(t, v1, afterNew, "after the caller changed the map it gave New")
	assert.Equal(t, v2, afterReload, "after the caller changed the map it gave Reload")
}

func TestReloadReplacesTheWholeConfig(t *testing.T) {
	s := New(map[string]string{"version": "1", "debug": "true"})
	var afterReload map[string]string
	var debugFound bool
	hangcheck.Within(t, "Reload, then Snapshot and Get", func() {
		s.Reload(v2)
		afterReload = s.Snapshot()
		_, debugFound = s.Get("debug")
	})
	assert.Equal(t, v2, afterReload, "after Reload")
	assert.False(t, debugFound, "a key the new config does not have is still there")

	var emptied, reloaded map[string]string
	hangcheck.Within(t, "Reload(nil), Snapshot, then Reload again (a "+
		"writer waits for every reader to let go: did Snapshot return, on "+
		"its empty path, without RUnlock?)", func() {
		s.Reload(nil)
		emptied = s.Snapshot()
		s.Reload(v1)
		reloaded = s.Snapshot()
	})
	assert.Empty(t, emptied, "after Reload(nil)")
	assert.Equal(t, v1, reloaded, "after Reload(nil), then Reload(v1)")
}

func TestSetChangesOneKey(t *testing.T) {
	s := New(v1)
	var empty Store
	var got, gotEmpty map[string]string
	hangcheck.Within(t, "Set, then Snapshot (does Set keep a lock it "+
		"took, say when the key already has the value?)", func() {
		s.Set("port", "7000")
		s.Set("timeout", "5s")
		s.Set("version", "1") // the value it already has
		empty.Set("version", "1")
		got, gotEmpty = s.Snapshot(), empty.Snapshot()
	})
	want := maps.Clone(v1)
	want["port"], want["timeout"] = "7000", "5s"
	assert.Equal(t, want, got, "after setting port and timeout")
	assert.Equal(t, map[string]string{"version": "1"}, gotEmpty,
		"a zero Store after one Set")
}

// TestSnapshotIsACopy checks that a snapshot belongs to its caller: later
// writes to the Store do not change it, and the caller's changes to it do
// not reach the Store.
func TestSnapshotIsACopy(t *testing.T) {
	s := New(v1)
	var kept, mine map[string]string
	var host string
	var extraFound bool
	hangcheck.Within(t, "Snapshot, Set and Reload", func() {
		kept = s.Snapshot()
		s.Set("port", "7000")
		s.Reload(v2)

		mine = s.Snapshot()
		if mine == nil {
			return // a nil map cannot be written to; reported below
		}
		mine["host"] = "changed by the caller"
		mine["extra"] = "added by the caller"
		host, _ = s.Get("host")
		_, extraFound = s.Get("extra")
	})
	assert.Equal(t, v1, kept, "a snapshot taken before Set and Reload")
	require.NotNil(t, mine, "Snapshot returned nil")
	assert.Equal(t, v2["host"], host, "the Store after the caller changed its snapshot")
	assert.False(t, extraFound, "a key the caller added to its snapshot is in the Store")
}

// TestViewsRunTogether checks that View holds a read lock that readers
// share. Each fn waits, inside View, until all of them are inside: with an
// exclusive lock the first would wait for the others, which would wait for
// it, and hangcheck fails the test.
func TestViewsRunTogether(t *testing.T) {
	const readers = 5
	s := New(v1)
	var inside sync.WaitGroup // a barrier: the views inside fn
	inside.Add(readers)
	seen := make([]map[string]string, readers)
	hangcheck.Within(t, "5 Views that wait for each other", func() {
		var wg sync.WaitGroup
		for i := range readers {
			wg.Go(func() {
				s.View(func(cfg map[string]string) {
					inside.Done()
					inside.Wait()
					seen[i] = maps.Clone(cfg)
				})
			})
		}
		wg.Wait()
	})
	assert.Equal(t, slices.Repeat([]map[string]string{v1}, readers), seen,
		"what each View's fn was given")
}

// TestReloadIsAllOrNothing checks that a reader never sees part of the old
// configuration and part of the new. A Reload that writes the keys into
// the live map one at a time, under a lock for each, lets a reader in
// between two keys whenever one is waiting; readAcrossReload makes sure
// one is.
func TestReloadIsAllOrNothing(t *testing.T) {
	for _, r := range lateReads {
		t.Run(r.name, func(t *testing.T) {
			s := New(v1)
			got := readAcrossReload(t, s, v2, r)
			assert.Equal(t, v1, got.first, "the View inside when the Reload came")
			if !maps.Equal(got.late, v1) && !maps.Equal(got.late, v2) {
				t.Errorf("a %s during Reload saw a mix of the old and new configs:\n"+
					"got  %v\nwant %v\n  or %v", r.name, got.late, v1, v2)
			}
			var after map[string]string
			hangcheck.Within(t, "Snapshot after the Reload", func() {
				after = s.Snapshot()
			})
			assert.Equal(t, v2, after, "after the Reload")
		})
	}
}

// TestReadersDoNotStarveReload checks that a read which starts while a
// Reload waits for the readers inside waits behind the Reload, and so sees
// the new configuration. If new readers could always get in beside the old
// ones, a steady stream of them would keep the Reload out for ever.
func TestReadersDoNotStarveReload(t *testing.T) {
	for _, r := range lateReads {
		t.Run(r.name, func(t *testing.T) {
			s := New(v1)
			got := readAcrossReload(t, s, v2, r)
			assert.Equal(t, v2, got.late,
				"a %s that started while the Reload waited", r.name)
		})
	}
}

func TestGetWhileReloadingIsRaceFree(t *testing.T) {
	const readers, gets, reloads = 4, 1000, 100
	s := New(v1)
	var wrong atomic.Int64 // Gets that found no version, or one never stored
	hangcheck.Within(t, "Gets while reloading", func() {
		var wg sync.WaitGroup
		for range readers {
			wg.Go(func() {
				for range gets {
					v, ok := s.Get("version")
					if !ok || (v != "1" && v != "2" && v != "3") {
						wrong.Add(1)
					}
				}
			})
		}
		wg.Go(func() {
			for i := range reloads {
				s.Reload([]map[string]string{v1, v2}[i%2])
				s.Set("version", "3")
			}
		})
		wg.Wait()
	})
	assert.Zero(t, wrong.Load(), "Gets that found no version, or a wrong one")
}

// A lateRead is a read that readAcrossReload starts while a Reload waits.
type lateRead struct {
	name   string                         // the method, as in "View"
	read   func(*Store) map[string]string // calls it and returns what it saw
	method string                         // its name in a goroutine dump
}

var lateReads = []lateRead{
	{"View", func(s *Store) (seen map[string]string) {
		s.View(func(cfg map[string]string) { seen = maps.Clone(cfg) })
		return seen
	}, ".(*Store).View"},
	{"Snapshot", (*Store).Snapshot, ".(*Store).Snapshot"},
}

// seen is what the readers of readAcrossReload saw.
type seen struct {
	first map[string]string // the View inside when the Reload came
	late  map[string]string // the read that came while the Reload waited
}

// readAcrossReload builds this order of events, step by step, and returns
// what the two readers saw:
//
//  1. a View is inside s, and stays there;
//  2. Reload(next) starts, and waits for the View to leave (or returns,
//     if the Store lets it in at once);
//  3. a late read starts, and waits behind the Reload (or returns);
//  4. the first View reads and leaves.
//
// It waits for each step with waitLockedOrDone, so that the next does not
// start before the last has happened. It fails the test, and returns what
// it has, if a step never happens.
func readAcrossReload(t *testing.T, s *Store, next map[string]string,
	late lateRead) seen {
	t.Helper()
	var got seen
	var failure string
	hangcheck.Within(t, "a View, a Reload, and a late "+late.name, func() {
		inside := make(chan struct{})    // closed when the first View's fn starts
		leave := make(chan struct{})     // closed to let the first View's fn return
		firstDone := make(chan struct{}) // closed when the first View returns
		reloaded := make(chan struct{})  // closed when Reload returns
		lateDone := make(chan struct{})  // closed when the late read returns
		var wg sync.WaitGroup
		defer wg.Wait()
		defer close(leave)

		wg.Go(func() {
			defer close(firstDone)
			s.View(func(cfg map[string]string) {
				close(inside)
				<-leave
				got.first = maps.Clone(cfg)
			})
		})
		select {
		case <-inside: // step 1
		case <-firstDone:
			failure = "View returned without calling fn"
			return
		}

		wg.Go(func() {
			defer close(reloaded)
			s.Reload(next)
		})
		if !waitLockedOrDone(reloaded, ".(*Store).Reload") {
			failure = "Reload neither waited for a lock nor returned"
			return
		}

		wg.Go(func() {
			defer close(lateDone)
			got.late = late.read(s)
		})
		if !waitLockedOrDone(lateDone, late.method) {
			failure = "the late " + late.name + " neither waited for a lock nor returned"
			return
		}
	})
	if failure != "" {
		t.Fatal(failure)
	}
	return got
}

// waitLockedOrDone waits until done is closed, or until a goroutine with a
// function named like method on its stack is parked waiting for a
// sync.Mutex or sync.RWMutex, and reports whether one of them happened.
// It gives up, and reports false, after hangcheck.Bound of real time: only
// broken code makes it wait that long.
//
// A goroutine dump is a series of blocks, one per goroutine, separated by
// blank lines. Each is headed by the goroutine's state: what it waits for,
// such as "[sync.RWMutex.Lock]", or "[sync.RWMutex.Lock, 2 minutes]" after
// long enough.
func waitLockedOrDone(done <-chan struct{}, method string) bool {
	states := []string{"[sync.Mutex.Lock", "[sync.RWMutex.Lock", "[sync.RWMutex.RLock"}
	deadline := time.Now().Add(hangcheck.Bound)
	buf := make([]byte, 1<<20) // ample for the few goroutines of a test
	for {
		select {
		case <-done: // the call returned
			return true
		default: // still running: is it parked on a lock?
		}
		dump := string(buf[:runtime.Stack(buf, true)])
		for g := range strings.SplitSeq(dump, "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			for _, state := range states {
				parked := strings.Contains(header, state+"]") ||
					strings.Contains(header, state+",")
				if parked && strings.Contains(g, method+"(") {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
	}
}
