// Package atomic collects request latencies from many goroutines at once:
// how many requests, their total time, and the slowest. (It is named for
// its directory and the lesson. Its own name is not an identifier in its
// code, so atomic.Int64 below is still sync/atomic's.)
package atomic

import (
	"sync/atomic"
	"time"
)

// A Collector records latency samples from many goroutines at once, and
// reports their count, their sum and the largest. It is safe for
// concurrent use and takes no lock: goroutines that record at the same
// time never wait for one another. The zero value is an empty collector.
// A Collector must not be copied after first use.
//
// Each Record synchronizes before any Count, Sum or Max that observes its
// effect (see https://go.dev/ref/mem), so once the goroutines that record
// have been joined (say, by sync.WaitGroup.Wait), Count, Sum and Max are
// exact. While Records are under way, each of the three returns a value it
// really had at some moment, and a goroutine that calls one of them twice
// never sees it go down. The three are read separately, though: they need
// not come from the same moment, and Sum may already include a sample that
// Count does not yet. Callers who need a mean should take it once
// recording is done.
type Collector struct {
	count atomic.Int64 // samples recorded
	sum   atomic.Int64 // their total, in nanoseconds
	max   atomic.Int64 // the largest, in nanoseconds; 0 if none
}

// Record adds the sample d. It panics if d is negative, without recording
// it.
func (c *Collector) Record(d time.Duration) {
	if d < 0 {
		panic("atomic: negative sample")
	}
	c.count.Add(1)
	c.sum.Add(int64(d))

	// There is no atomic Max: we load the current maximum and swap d in
	// only if the maximum is still what we loaded. If another goroutine
	// stored a new maximum in between, CompareAndSwap fails, writes
	// nothing, and we look again. Most samples are not a new maximum, and
	// return after a single Load, without writing.
	for {
		cur := c.max.Load()
		if int64(d) <= cur {
			return
		}
		if c.max.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// Count returns how many samples have been recorded.
func (c *Collector) Count() int64 {
	return c.count.Load()
}

// Sum returns the total of the samples recorded.
func (c *Collector) Sum() time.Duration {
	return time.Duration(c.sum.Load())
}

// Max returns the largest sample recorded, or 0 if none has been.
func (c *Collector) Max() time.Duration {
	return time.Duration(c.max.Load())
}
