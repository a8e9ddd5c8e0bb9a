package atomic

// The tests use only the package's exported API, so that they test the
// stub and the solution alike. They run under the race detector (go run
// ./cmd/workbook check atomic adds -race), so a plain, unsynchronized
// access to the collector's numbers fails them even in a run that happens
// to lose nothing. Nothing here waits for time or for a lock, so no test
// needs synctest. But a CompareAndSwap loop that retries with a value it
// loaded before another goroutine got there first fails for ever, and
// spins: the tests in which goroutines record at the same time run inside
// hangcheck.Within, which fails the test after a few seconds instead of
// hanging the run.

import (
	"cmp"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestZeroValueIsEmpty(t *testing.T) {
	var c Collector
	assert.Zero(t, c.Count(), "Count of a new collector")
	assert.Zero(t, c.Sum(), "Sum of a new collector")
	assert.Zero(t, c.Max(), "Max of a new collector")

	for _, d := range []time.Duration{3, 1, 0, 2} {
		c.Record(d * time.Millisecond)
	}
	assert.Equal(t, int64(4), c.Count(), "Count after 3ms, 1ms, 0 and 2ms")
	assert.Equal(t, 6*time.Millisecond, c.Sum(), "Sum after 3ms, 1ms, 0 and 2ms")
	assert.Equal(t, 3*time.Millisecond, c.Max(), "Max after 3ms, 1ms, 0 and 2ms")
}

func TestConcurrentRecordsAreNotLost(t *testing.T) {
	// 100 goroutines record 1000 samples each: between them, every
	// duration from 0 to 99 999 ns once. We read the results after
	// wg.Wait, so only Record itself can race here.
	const goroutines, perGoroutine = 100, 1000
	const samples = goroutines * perGoroutine
	var c Collector
	hangcheck.Within(t, "concurrent Records"+spinHint, func() {
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range perGoroutine {
					c.Record(time.Duration(g*perGoroutine + i))
				}
			})
		}
		wg.Wait()
	})
	assert.Equal(t, int64(samples), c.Count(),
		"%d goroutines recorded %d samples each", goroutines, perGoroutine)
	assert.Equal(t, time.Duration(samples*(samples-1)/2), c.Sum(),
		"sum of 0 to %d ns", samples-1)
	assert.Equal(t, time.Duration(samples-1), c.Max(),
		"largest of 0 to %d ns", samples-1)
}

func TestMaxIsExactUnderContention(t *testing.T) {
	// In each round, goroutine g records g, g+8, g+16, ... ns: the
	// goroutines keep raising the maximum over one another, so that a Max
	// whose check and update are separate steps has every chance to let a
	// smaller sample overwrite a larger one. They wait at a start line, so
	// that they record at the same moment, and the rounds are short and
	// many, because each round's end, when every goroutine records its
	// largest samples at once, is where a lost maximum would stay lost.
	// The maximum must be the largest sample, every round.
	const rounds, goroutines, perGoroutine = 1000, 8, 50
	const want = time.Duration(goroutines*perGoroutine - 1)
	maxes := make([]time.Duration, rounds)
	for r := range rounds {
		var c Collector
		hangcheck.Within(t, fmt.Sprintf("round %d of Records that raise the "+
			"maximum over one another%s", r+1, spinHint), func() {
			start := make(chan struct{})
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					<-start
					for i := range perGoroutine {
						c.Record(time.Duration(i*goroutines + g))
					}
				})
			}
			close(start)
			wg.Wait()
		})
		maxes[r] = c.Max()
	}
	wrong, first := 0, ""
	for r, got := range maxes {
		if got != want {
			wrong++
			first = cmp.Or(first, fmt.Sprintf("round %d: got %v", r+1, got))
		}
	}
	assert.Zero(t, wrong, "rounds in which Max of 0 to %v from %d goroutines"+
		" was not %v (of %d); the first: %s", want, goroutines, want, rounds, first)
}

func TestReadsDuringRecordsAreRaceFree(t *testing.T) {
	// Writers record 1 to perWriter ns while readers call Count, Sum and
	// Max. Samples are never negative, so each of the three only ever
	// grows: a reader must never see one go down, nor pass its final
	// value.
	const writers, perWriter, readers, reads = 4, 1000, 4, 1000
	const count = writers * perWriter
	const sum = time.Duration(writers * perWriter * (perWriter + 1) / 2)
	const maxSample = time.Duration(perWriter)
	var c Collector
	var wrong atomic.Int64 // reads that went down or past the final value
	var firstWrong atomic.Value
	note := func(what string, got, last, limit int64) {
		if wrong.Add(1) == 1 {
			firstWrong.Store(fmt.Sprintf("%s went from %d to %d (final value %d)",
				what, last, got, limit))
		}
	}

	hangcheck.Within(t, "Records while others read"+spinHint, func() {
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for i := 1; i <= perWriter; i++ {
					c.Record(time.Duration(i))
				}
			})
		}
		for range readers {
			wg.Go(func() {
				var lastCount, lastSum, lastMax int64
				for range reads {
					n, s, m := c.Count(), int64(c.Sum()), int64(c.Max())
					if n < lastCount || n > count {
						note("Count", n, lastCount, count)
					}
					if s < lastSum || s > int64(sum) {
						note("Sum", s, lastSum, int64(sum))
					}
					if m < lastMax || m > int64(maxSample) {
						note("Max", m, lastMax, int64(maxSample))
					}
					lastCount, lastSum, lastMax = n, s, m
				}
			})
		}
		wg.Wait()
	})
	assert.Zero(t, wrong.Load(), "reads that went down or past the final value;"+
		" the first: %v", firstWrong.Load())
	assert.Equal(t, int64(count), c.Count(), "Count after all the Records")
	assert.Equal(t, sum, c.Sum(), "Sum after all the Records")
	assert.Equal(t, maxSample, c.Max(), "Max after all the Records")
}

// spinHint says, after what hangcheck reports did not return, where a
// Record that never returns usually spins.
const spinHint = " (does the maximum's CompareAndSwap loop retry with " +
	"the value it loaded before, without loading it again?)"

func TestNegativeSamplePanics(t *testing.T) {
	var c Collector
	c.Record(5)
	assert.PanicsWithValue(t, "atomic: negative sample", func() { c.Record(-1) },
		"Record(-1)")
	assert.Equal(t, []any{int64(1), time.Duration(5), time.Duration(5)},
		[]any{c.Count(), c.Sum(), c.Max()},
		"Count, Sum and Max after a rejected sample")
}

// BenchmarkRecord compares Collector with the plain way to write it, one
// mutex around all three numbers, at 1, 2, 4 and 8 goroutines:
//
//   - mutex: the goroutines record into one mutex-guarded collector;
//   - Collector: they record into one Collector;
//   - CollectorEach: each goroutine records into a Collector of its own,
//     and the three numbers are merged once they are done, as the
//     lesson's local sums do: nothing is shared while they record.
//
// Each reports ns/record; the Collector ones also report their speedup
// over the mutex at the same number of goroutines (above 1 is faster). It
// reports the ratios and never asserts them: speed depends on the machine.
// Note that a Record that does nothing looks very fast. Run it with
//
//	go test -run '^$' -bench Record -benchtime 500ms -count 5 ./exercises/atomic
func BenchmarkRecord(b *testing.B) {
	for _, goroutines := range []int{1, 2, 4, 8} {
		var mutexNs float64 // the mutex's fastest ns/record; 0 when filtered out
		b.Run(fmt.Sprintf("mutex/goroutines=%d", goroutines), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				recordShared(new(mutexCollector), goroutines)
			}
			ns := nsPerRecord(b)
			b.ReportMetric(ns, "ns/record")
			if mutexNs == 0 || ns < mutexNs {
				mutexNs = ns
			}
		})
		for _, mode := range []struct {
			name   string
			record func(goroutines int) (int64, time.Duration, time.Duration)
		}{
			{"Collector", func(goroutines int) (int64, time.Duration, time.Duration) {
				var c Collector
				recordShared(&c, goroutines)
				return c.Count(), c.Sum(), c.Max()
			}},
			{"CollectorEach", recordEach},
		} {
			name := fmt.Sprintf("%s/goroutines=%d", mode.name, goroutines)
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					mode.record(goroutines)
				}
				ns := nsPerRecord(b)
				b.ReportMetric(ns, "ns/record")
				if mutexNs > 0 {
					b.ReportMetric(mutexNs/ns, "speedup")
				}
			})
		}
	}
}

// records is how many samples an op of BenchmarkRecord records, split
// evenly among the goroutines.
const records = 1 << 16

// A recorder is what recordShared records into: Collector, or the mutex
// baseline.
type recorder interface {
	Record(d time.Duration)
}

// latency is BenchmarkRecord's i-th sample: 0 to 999 µs, in a scrambled
// order, so that, as with real latencies, a new maximum is rare.
func latency(i int) time.Duration {
	return time.Duration(i*7919%1000) * time.Microsecond
}

// recordShared starts goroutines that between them record records samples
// into r, and waits for them.
func recordShared(r recorder, goroutines int) {
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := g; i < records; i += goroutines {
				r.Record(latency(i))
			}
		})
	}
	wg.Wait()
}

// recordEach starts goroutines that between them record records samples,
// each into a Collector of its own, waits for them, and returns the merged
// count, sum and maximum.
func recordEach(goroutines int) (count int64, sum, maxSample time.Duration) {
	// Each Collector is a local variable of its goroutine, on that
	// goroutine's stack, far from the others': side by side in one slice,
	// they would share cache lines (the lesson's false sharing). Each
	// goroutine writes its totals to its own element of totals, once.
	type total struct {
		count    int64
		sum, max time.Duration
	}
	totals := make([]total, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			var c Collector
			for i := g; i < records; i += goroutines {
				c.Record(latency(i))
			}
			totals[g] = total{c.Count(), c.Sum(), c.Max()}
		})
	}
	wg.Wait()
	for _, t := range totals {
		count += t.count
		sum += t.sum
		maxSample = max(maxSample, t.max)
	}
	return count, sum, maxSample
}

// nsPerRecord is the time per Record of a finished b.Loop.
func nsPerRecord(b *testing.B) float64 {
	return float64(b.Elapsed().Nanoseconds()) / float64(b.N) / records
}

// A mutexCollector is BenchmarkRecord's baseline: a Collector written the
// plain way, with one mutex around all three numbers.
type mutexCollector struct {
	mu    sync.Mutex // guards count, sum and max
	count int64
	sum   time.Duration
	max   time.Duration
}

// Record adds the sample d.
func (c *mutexCollector) Record(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count++
	c.sum += d
	c.max = max(c.max, d)
}
