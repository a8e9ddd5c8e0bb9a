// The rwmutex command shows a read-mostly cache guarded by a sync.RWMutex:
// any number of readers hold its read lock at once, a writer waits for the
// readers inside and then has the lock to itself, and once a writer waits,
// new readers wait behind it. It shows why a read lock cannot be upgraded to
// a write lock, and two alternatives for read-mostly data: copy-on-write
// with atomic.Pointer, and sync.Map.
//
// Python's standard library has no reader/writer lock; the lesson's README
// says what Python programs do instead.
//
// Usage:
//
//	go run ./lessons/rwmutex [-readers n]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rwmutex:", err)
		os.Exit(1)
	}
}

// run shows the cache's readers and writers, the upgrade that deadlocks and
// the way around it, then the two alternatives. It returns ctx.Err() if ctx
// is done between two parts. Every goroutine it starts has returned when it
// returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	n := cfg.readers

	// We start with readers alone. Each takes the read lock and, holding
	// it, waits until all n readers are inside. With a sync.Mutex the first
	// would wait inside for the others, who would wait outside for it, for
	// ever; with the read lock they all get in, so they all get out.
	fmt.Fprintf(w, "readers share the read lock:\n")
	c := newCache(map[string]string{"colour": "blue"})
	together, saw := readTogether(c, n, "colour")
	fmt.Fprintf(w, "  readers inside at the same time: %d of %d\n", together, n)
	fmt.Fprintf(w, "  they read colour = %s\n", distinct(saw))
	if err := ctx.Err(); err != nil {
		return err
	}

	// Next a writer arrives while readers are inside. It waits for them,
	// and while it waits the lock turns new readers away, so that a stream
	// of readers cannot keep the writer out for ever. Note that for this
	// reason a goroutine that holds the read lock must never ask for it
	// again: if a writer came in between, the second RLock would wait for
	// the writer, which waits for the first RLock to be released.
	fmt.Fprintf(w, "\na writer waits for the readers inside;"+
		" new readers wait for the writer:\n")
	s := writerWaits(c, n, "colour", "green")
	fmt.Fprintf(w, "  %d readers hold the read lock\n", n)
	fmt.Fprintf(w, "  the writer calls Lock and waits; now TryRLock fails\n")
	fmt.Fprintf(w, "  a late reader calls RLock\n")
	fmt.Fprintf(w, "  the %d readers read colour = %s and unlock\n",
		n, distinct(s.readersSaw))
	now, _ := c.get("colour") // what the writer left in the cache
	fmt.Fprintf(w, "  the writer gets the lock, sets colour = %s and unlocks\n",
		now)
	fmt.Fprintf(w, "  the late reader gets the read lock: colour = %s\n",
		s.lateReaderSaw)
	if err := ctx.Err(); err != nil {
		return err
	}

	// A reader that finds the key missing cannot turn its read lock into a
	// write lock: Lock waits until every reader has left, this one
	// included. TryLock, which does not wait, shows it. The way round is
	// getOrLoad's, which we call from n goroutines at once: let go of the
	// read lock, take the write lock, and look again.
	fmt.Fprintf(w, "\na read lock cannot be upgraded to a write lock:\n")
	fmt.Fprintf(w, "  holding the read lock, TryLock: %t"+
		" (Lock would wait for ever)\n", c.tryUpgrade())
	loads, got := loadTogether(c, n, "size", "large")
	fmt.Fprintf(w, "  so we RUnlock, Lock and look again:"+
		" %d goroutines ask for size at once\n", n)
	fmt.Fprintf(w, "  the load ran %d time(s); they all got size = %s\n",
		loads, distinct(got))
	if err := ctx.Err(); err != nil {
		return err
	}

	// Last, two ways to share read-mostly data without an RWMutex. With
	// copy-on-write (cowCache), readers take no lock, and one that loaded
	// the old map keeps reading it, unchanged. sync.Map is safe for
	// concurrent use as it is; LoadOrStore stores a missing key as one step.
	fmt.Fprintf(w, "\ntwo alternatives:\n")
	cow := newCOWCache(map[string]string{"colour": "green"})
	before := cow.load()
	cow.set("colour", "red")
	fmt.Fprintf(w, "  copy-on-write: a reader loads the map,"+
		" then a writer sets colour = red\n")
	fmt.Fprintf(w, "  the reader's map still says colour = %s;"+
		" a new load says %s\n", before["colour"], cow.load()["colour"])
	stored, loaded, values := loadOrStoreTogether(n, "shape")
	fmt.Fprintf(w, "  sync.Map: %d goroutines LoadOrStore(shape) at once:"+
		" %d stored, %d loaded\n", n, stored, loaded)
	if len(values) == 1 {
		fmt.Fprintf(w, "  they all got the one value that was stored\n")
	} else {
		fmt.Fprintf(w, "  they got %d different values\n", len(values))
	}
	return nil
}

// A cache maps keys to values and is safe for concurrent use. Any number
// of goroutines may read it at once (get, read); a write (set, getOrLoad
// when it loads) has it to itself. The zero value is not usable: make one
// with newCache. A cache must not be copied after first use.
//
// Each write's Unlock synchronizes before every later RLock and Lock, and
// each read's RUnlock before the next Lock (see the sync.RWMutex docs and
// https://go.dev/ref/mem): a read sees every write that finished before it
// started, and never half of one.
type cache struct {
	mu sync.RWMutex // guards m: read-locked to read it, locked to change it
	m  map[string]string
}

// newCache returns a cache holding a copy of m.
func newCache(m map[string]string) *cache {
	return &cache{m: maps.Clone(m)}
}

// get returns the value of key and whether it is there. It waits while a
// writer holds the lock or waits for it.
func (c *cache) get(key string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[key]
	return v, ok
}

// set sets key to value. It waits until no reader or writer holds the lock.
func (c *cache) set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
}

// read calls fn with the cache's map while holding the read lock, so that
// fn reads many keys as one consistent whole, alongside other readers. fn
// must not change m or keep it, and must not call c's methods: a second
// RLock waits for any writer that is waiting, and that writer waits for
// fn.
func (c *cache) read(fn func(m map[string]string)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	fn(c.m)
}

// readerWouldWait reports whether a reader arriving now would have to wait:
// true while a writer holds the lock or waits for it. It is for watching
// the lock in this lesson; a program that polls a lock is usually wrong.
func (c *cache) readerWouldWait() bool {
	if !c.mu.TryRLock() {
		return true
	}
	c.mu.RUnlock()
	return false
}

// tryUpgrade takes the read lock and, holding it, asks for the write lock
// without waiting. It reports whether it got it, which it never does: the
// write lock waits for every reader to leave, and we are a reader. It
// leaves the lock as it found it.
func (c *cache) tryUpgrade() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	// Note that c.mu.Lock() here would never return.
	if c.mu.TryLock() {
		c.mu.Unlock() // unreachable with a correct RWMutex
		return true
	}
	return false
}

// getOrLoad returns the value of key, calling load to get it, and storing
// it, if it is missing. However many goroutines ask for a missing key at
// once, load runs once. load runs holding the write lock, so it must be
// quick and must not call c's methods.
func (c *cache) getOrLoad(key string, load func(key string) string) string {
	if v, ok := c.get(key); ok {
		return v // the common case, under the read lock only
	}

	// We cannot upgrade: get has let go of the read lock, and we now take
	// the write lock. Note that another goroutine may have taken it first
	// and stored the key, so we look again before we load.
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[key]; ok {
		return v
	}
	v := load(key)
	c.m[key] = v
	return v
}

// readTogether starts n readers that each take c's read lock and, holding
// it, wait until all n are inside before they read key and leave. It
// returns the most readers it saw inside at once (n, or it would never
// return) and what each read, in reader order.
func readTogether(c *cache, n int, key string) (together int, saw []string) {
	var inside atomic.Int64 // readers inside the read lock now
	var barrier sync.WaitGroup
	barrier.Add(n)
	counts := make([]int64, n) // readers inside, as each reader arrived
	saw = make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c.read(func(m map[string]string) {
				counts[i] = inside.Add(1)
				barrier.Done()
				barrier.Wait() // until all n are inside
				saw[i] = m[key]
				inside.Add(-1)
			})
		})
	}
	wg.Wait()
	return int(slices.Max(counts)), saw
}

// story is what writerWaits saw.
type story struct {
	readersSaw    []string // what each reader read, after the writer came
	lateReaderSaw string   // what the reader that came after the writer read
}

// writerWaits lets n readers into c's read lock, then starts a writer that
// sets key to value, waits until the writer is waiting for the lock, and
// starts a late reader. Only then does it let the first readers read key
// and leave. Every goroutine it starts has returned when it returns.
func writerWaits(c *cache, n int, key, value string) story {
	s := story{readersSaw: make([]string, n)}
	var inside sync.WaitGroup // the readers that hold the read lock
	inside.Add(n)
	leave := make(chan struct{}) // closed to let the readers read and leave
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c.read(func(m map[string]string) {
				inside.Done()
				<-leave
				s.readersSaw[i] = m[key]
			})
		})
	}
	inside.Wait()

	// We start the writer and wait until it is waiting: from the moment
	// it calls Lock, TryRLock fails.
	wg.Go(func() { c.set(key, value) })
	for !c.readerWouldWait() {
		runtime.Gosched() // let the writer run
	}

	// A reader that comes now waits behind the writer, so it reads what
	// the writer wrote. The first readers read only after the writer
	// came, and still read the old value: the writer waited for them.
	wg.Go(func() { s.lateReaderSaw, _ = c.get(key) })
	close(leave)
	wg.Wait()
	return s
}

// loadTogether calls c.getOrLoad(key) from n goroutines at once, with a
// load that returns value. It returns how many times the load ran and what
// each goroutine got.
func loadTogether(c *cache, n int, key, value string) (loads int, got []string) {
	var ran atomic.Int64
	load := func(string) string {
		ran.Add(1)
		return value
	}
	got = make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i] = c.getOrLoad(key, load) })
	}
	wg.Wait()
	return int(ran.Load()), got
}

// A cowCache is a copy-on-write cache: readers take no lock, and writers
// never change a map that readers can see. Each set copies the current
// map, changes the copy, and publishes it with one atomic Store; the
// Store synchronizes before every Load that sees it (see sync/atomic and
// https://go.dev/ref/mem), so a reader sees a map whole, as it was
// published. The zero value is not usable: make one with newCOWCache. A
// cowCache must not be copied after first use.
type cowCache struct {
	mu sync.Mutex // serializes writers; readers never take it

	// m points to the current map, which is never changed once stored.
	m atomic.Pointer[map[string]string]
}

// newCOWCache returns a copy-on-write cache holding a copy of m.
func newCOWCache(m map[string]string) *cowCache {
	c := &cowCache{}
	clone := maps.Clone(m)
	c.m.Store(&clone)
	return c
}

// load returns the current map. The caller may keep it and read it, from
// any goroutine, for as long as it likes, and must not change it.
func (c *cowCache) load() map[string]string {
	return *c.m.Load()
}

// get returns the value of key and whether it is there. It never waits.
func (c *cowCache) get(key string) (string, bool) {
	v, ok := c.load()[key]
	return v, ok
}

// set publishes a copy of the current map with key set to value. It waits
// only for other writers. Note that it copies the whole map: a write costs
// time in proportion to the map's size.
func (c *cowCache) set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := maps.Clone(c.load())
	next[key] = value
	c.m.Store(&next)
}

// loadOrStoreTogether calls LoadOrStore(key, i) on one sync.Map from n
// goroutines at once, each offering its own value i. It returns how many
// stored their value, how many loaded one already there, and the distinct
// values they saw.
func loadOrStoreTogether(n int, key string) (stored, loaded int, values []int) {
	var m sync.Map // key -> int
	saw := make([]int, n)
	wasLoaded := make([]bool, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, ok := m.LoadOrStore(key, i)
			saw[i], wasLoaded[i] = v.(int), ok
		})
	}
	wg.Wait()
	for _, l := range wasLoaded {
		if l {
			loaded++
		}
	}
	slices.Sort(saw)
	return n - loaded, loaded, slices.Compact(saw)
}

// distinct returns the distinct values of vs, sorted and joined by commas:
// "blue" when every reader read blue.
func distinct(vs []string) string {
	vs = slices.Sorted(slices.Values(vs))
	return strings.Join(slices.Compact(vs), ", ")
}
