// The atomic command counts to the race lesson's total three ways (a mutex,
// an atomic Add per increment, and local sums merged with one atomic Add
// each), then shows the rest of sync/atomic's typed values: a running
// maximum kept with a CompareAndSwap loop, an atomic.Bool that exactly one
// goroutine can flip, and an atomic.Pointer that swaps a whole config while
// readers load it. It ends with two goroutines that share no variable, but
// may share a cache line: false sharing.
//
// Every number it prints is exact and the same on every run. How fast each
// way is, it does not print: the benchmarks in bench_test.go measure that.
//
// Usage:
//
//	go run ./lessons/atomic [-goroutines n] [-n increments]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"unsafe"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "atomic:", err)
		os.Exit(1)
	}
}

// run counts with the three strategies, then shows CompareAndSwap,
// atomic.Bool, atomic.Pointer, and two counters laid out with and without
// padding against false sharing. It returns ctx.Err() if ctx is done
// between two parts. Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	opts, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	g, n := opts.goroutines, opts.n
	fmt.Fprintf(w, "%d goroutines add 1 to a shared total, %d times each:"+
		" want %d\n\n", g, n, g*n)

	// We count with a lock per increment, as the mutex lesson did, then
	// with an atomic Add per increment, then with local sums added once
	// each. All three are exact. The atomic Add needs no lock: the hardware
	// loads, adds and stores as one indivisible operation (LOCK XADD on
	// amd64). Note that it is still a shared write per increment: each
	// core in turn must own the cache line that holds the total. Local
	// sums touch it once per goroutine, which is why they win
	// (bench_test.go measures by how much).
	strategies := []struct {
		label string
		count func(goroutines, n int) int
	}{
		{"mutex per increment     ", mutexPerIncrement},
		{"atomic Add per increment", atomicAdd},
		{"local sums, one Add each", localSums},
	}
	for _, s := range strategies {
		fmt.Fprintf(w, "%s  %d\n", s.label, s.count(g, n))
		if err := ctx.Err(); err != nil {
			return err
		}
	}

	// Most updates are not an add. We keep a running maximum, and there is
	// no atomic Max: we build one from Load and CompareAndSwap, in a loop
	// that retries when another goroutine changed the maximum first.
	fmt.Fprintf(w, "\nCompareAndSwap: %d goroutines offer 0 to %d"+
		" to a running maximum\n", g, g*n-1)
	fmt.Fprintf(w, "  maximum  %d\n", runningMax(g, n))
	if err := ctx.Err(); err != nil {
		return err
	}

	// An atomic.Bool is a flag that goroutines can set and read without a
	// lock. With CompareAndSwap(false, true), exactly one of them flips
	// it: the others find it already true, and fail.
	fmt.Fprintf(w, "\natomic.Bool: %d goroutines each try"+
		" CompareAndSwap(false, true) once\n", g)
	fmt.Fprintf(w, "  winners  %d\n", elect(g))

	// An atomic.Pointer publishes a whole value at once: readers see one
	// complete config, old or new, never a mix. Note that we start a fixed
	// few readers, whatever -goroutines says: they load in a loop that
	// never waits, and the writer needs its share of the cores to finish.
	fmt.Fprintf(w, "\natomic.Pointer: 1 writer stores configs 1 to %d"+
		" while %d readers load them\n", versions, readers)
	r := swapConfigs(readers, versions)
	fmt.Fprintf(w, "  torn configs loaded      %d\n", r.torn)
	fmt.Fprintf(w, "  versions gone backwards  %d\n", r.backwards)
	fmt.Fprintf(w, "  config at the end        version %d, limit %d,"+
		" burst %d\n", r.last.version, r.last.limit, r.last.burst)
	if err := ctx.Err(); err != nil {
		return err
	}

	// Last, two goroutines each add 1 to a counter of their own: nothing
	// is shared, so nothing is lost. Yet side by side in one struct the
	// counters share a cache line, and the two cores pass it back and forth
	// as if the counter were shared: false sharing. Padded, each counter
	// has a line to itself. BenchmarkFalseSharing times both.
	fmt.Fprintf(w, "\nfalse sharing: 2 goroutines each add 1 to a counter"+
		" of their own, %d times\n", n)
	side := new(pair)
	countApart(&side.a, &side.b, n)
	fmt.Fprintf(w, "  side by side  a=%d b=%d, b is %3d bytes after a: %s\n",
		side.a.Load(), side.b.Load(), unsafe.Offsetof(side.b),
		lineReport(&side.a, &side.b))
	if err := ctx.Err(); err != nil {
		return err
	}
	padded := new(paddedPair)
	countApart(&padded.a, &padded.b, n)
	fmt.Fprintf(w, "  padded        a=%d b=%d, b is %3d bytes after a: %s\n",
		padded.a.Load(), padded.b.Load(),
		unsafe.Offsetof(padded.b)-unsafe.Offsetof(padded.a),
		lineReport(&padded.a, &padded.b))
	return nil
}

// mutexPerIncrement is the mutex lesson's lock per increment: goroutines
// each add 1 to a shared total n times, locking a mutex for every single
// addition. It returns the total once they have all finished.
func mutexPerIncrement(goroutines, n int) int {
	var (
		mu    sync.Mutex // guards total
		total int
	)
	add := func() {
		mu.Lock()
		defer mu.Unlock()
		total++
	}
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				add()
			}
		})
	}
	wg.Wait()
	return total
}

// atomicAdd starts goroutines that each add 1 to a shared atomic.Int64 n
// times, and returns the total once they have all finished.
func atomicAdd(goroutines, n int) int {
	// The zero atomic.Int64 is 0, ready to use, like a zero sync.Mutex.
	// There is no way to read or write it except through its methods, so
	// no plain access can slip past: that is what the typed atomics add to
	// the older atomic.AddInt64(&x, 1) on a plain int64.
	var total atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range n {
				total.Add(1)
			}
		})
	}
	wg.Wait()
	return int(total.Load())
}

// localSums starts goroutines that each count n in a local variable and add
// it to a shared atomic.Int64 once, and returns the total once they have
// all finished.
func localSums(goroutines, n int) int {
	var total atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		// sum belongs to one goroutine, so it lives in a register or on
		// that goroutine's stack, and no other core ever needs its cache
		// line. Only the one Add at the end touches shared memory.
		wg.Go(func() {
			sum := 0
			for range n {
				sum++
			}
			total.Add(int64(sum))
		})
	}
	wg.Wait()
	return int(total.Load())
}

// A maximum is the largest value offered to it so far. It is safe for
// concurrent use. The zero value is a maximum of 0, which suits values that
// are never negative, such as latencies and sizes. A maximum must not be
// copied after first use.
type maximum struct {
	v atomic.Int64 // the largest value offered so far
}

// offer makes v the maximum if it is larger than the current one.
func (m *maximum) offer(v int64) {
	// We swap v in only if the maximum is still the value we loaded: if
	// another goroutine stored a new one in between, CompareAndSwap fails,
	// changes nothing, and we go round again. Note that a Load followed by
	// a Store would not do: a goroutine that loaded 5 could store 7 over
	// the 9 another stored meanwhile, with no data race for -race to report.
	for {
		cur := m.v.Load()
		if v <= cur {
			return // not larger: nothing to do, and nothing written
		}
		if m.v.CompareAndSwap(cur, v) {
			return
		}
	}
}

// value returns the maximum.
func (m *maximum) value() int64 {
	return m.v.Load()
}

// runningMax starts goroutines that each offer n values to one maximum,
// and returns the maximum once they have all finished. Goroutine g offers
// g, g+goroutines, g+2×goroutines, ..., so that between them they offer
// every value from 0 to goroutines×n-1 once, and each goroutine's values
// grow: the goroutines keep raising the maximum over one another, the worst
// case for the CompareAndSwap loop.
func runningMax(goroutines, n int) int {
	var m maximum
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range n {
				m.offer(int64(i*goroutines + g))
			}
		})
	}
	wg.Wait()
	return int(m.value())
}

// elect starts goroutines that each try once to flip one atomic.Bool from
// false to true, and returns how many of them succeeded: always 1.
func elect(goroutines int) int {
	var won atomic.Bool // false until one goroutine wins
	var winners atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		// Note that `if !won.Load() { won.Store(true) }` would not do:
		// several goroutines could load false before any of them stores.
		// CompareAndSwap checks and sets in one step.
		wg.Go(func() {
			if won.CompareAndSwap(false, true) {
				winners.Add(1)
			}
		})
	}
	wg.Wait()
	return int(winners.Load())
}

// How many configs the lesson publishes, and to how many readers.
const (
	versions = 1000
	readers  = 4
)

// A config is what a server reads on every request and an operator
// replaces while it runs. Its fields are derived from version, so that a
// reader can tell a whole config from a torn one that mixes two versions'
// fields. Once published, a config is never changed.
type config struct {
	version int
	limit   int // requests per second: 100 × version
	burst   int // requests at once: 2 × limit
}

// newConfig returns the config for version v.
func newConfig(v int) *config {
	return &config{version: v, limit: 100 * v, burst: 200 * v}
}

// whole reports whether c's fields all belong to one version.
func (c *config) whole() bool {
	return c.limit == 100*c.version && c.burst == 2*c.limit
}

// pointerReport is what swapConfigs's readers saw.
type pointerReport struct {
	torn      int     // configs loaded whose fields mixed two versions
	backwards int     // loads that saw an older version than the one before
	last      *config // the config once every goroutine is done
}

// swapConfigs starts one writer that publishes configs 1 to last through an
// atomic.Pointer, and readers that load the current config, again and
// again, until they see version last. It reports what the readers saw once
// they have all finished, and the writer too.
func swapConfigs(readers, last int) pointerReport {
	var current atomic.Pointer[config]
	current.Store(newConfig(1)) // so that no reader ever loads nil
	var torn, backwards atomic.Int64
	var wg sync.WaitGroup

	// The writer builds each config in full before it stores the pointer,
	// and never changes a config once stored. The Store synchronizes
	// before any Load that returns that pointer (https://go.dev/ref/mem),
	// so the reader also sees every field set before the Store. Note that
	// updating one shared config's fields in place, even each an atomic,
	// would let a reader see version 5 with the limit of version 4.
	wg.Go(func() {
		for v := 2; v <= last; v++ {
			current.Store(newConfig(v))
		}
	})

	// Each pass of a reader's loop stands for one request: it loads the
	// current config once and uses that one config throughout. A reader
	// stops when it sees the last version, which the writer stores last.
	for range readers {
		wg.Go(func() {
			seen := 0
			for seen != last {
				c := current.Load()
				if !c.whole() {
					torn.Add(1)
				}
				if c.version < seen {
					backwards.Add(1)
				}
				seen = c.version
			}
		})
	}
	wg.Wait()
	return pointerReport{
		torn:      int(torn.Load()),
		backwards: int(backwards.Load()),
		last:      current.Load(),
	}
}

// cacheLine is the cache line size of most amd64 and arm64 CPUs: the
// unit in which cores own memory. A core that writes a byte owns its whole
// line, and takes it away from every other core's cache.
const cacheLine = 64

// padding is how far apart paddedPair keeps its counters: 128 bytes, the
// padding sync.Pool uses for its per-processor data. It is two 64-byte
// lines, because Apple's M-series CPUs have 128-byte lines and Intel's
// prefetchers fetch 64-byte lines in adjacent pairs.
const padding = 128

// A pair holds two counters side by side, 8 bytes apart: in one cache line.
type pair struct {
	a, b atomic.Int64
}

// A paddedPair holds the same two counters, padded so that each has a
// 128-byte stretch of memory to itself: b never shares a line with a, nor
// with whatever memory follows the struct.
type paddedPair struct {
	a atomic.Int64
	_ [padding - 8]byte
	b atomic.Int64
	_ [padding - 8]byte
}

// countApart starts two goroutines, one that adds 1 to a n times and one
// that adds 1 to b n times, and waits for both. With a and b distinct
// variables, the goroutines share no data; whether they share a cache line
// is up to where a and b are.
func countApart(a, b *atomic.Int64, n int) {
	var wg sync.WaitGroup
	for _, c := range []*atomic.Int64{a, b} {
		wg.Go(func() {
			for range n {
				c.Add(1)
			}
		})
	}
	wg.Wait()
}

// lineReport says whether a and b sit in the same 64-byte cache line.
func lineReport(a, b *atomic.Int64) string {
	if sameLine(a, b) {
		return fmt.Sprintf("same %d-byte line", cacheLine)
	}
	return "different lines"
}

// sameLine reports whether a and b start in the same 64-byte cache line.
func sameLine(a, b *atomic.Int64) bool {
	return uintptr(unsafe.Pointer(a))/cacheLine ==
		uintptr(unsafe.Pointer(b))/cacheLine
}
