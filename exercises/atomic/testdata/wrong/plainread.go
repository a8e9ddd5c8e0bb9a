// Wrong: Records update plain int64 fields with atomic.AddInt64, but Count, Sum and Max read them plainly.
// "Reads are atomic on amd64 anyway" is a belief about one CPU, not Go's
// memory model: a plain read that is concurrent with an atomic write is a
// data race, and nothing guarantees what it sees. The typed atomics
// (atomic.Int64 and friends) rule this mistake out: their value can only
// be read through Load.
// Caught by: TestReadsDuringRecordsAreRaceFree
package atomic

import (
	"sync/atomic"
	"time"
)

// A Collector records latency samples.
type Collector struct {
	count int64 // samples recorded: written with sync/atomic, read plainly
	sum   int64 // their total, in nanoseconds
	max   int64 // the largest, in nanoseconds
}

// Record adds the sample d.
func (c *Collector) Record(d time.Duration) {
	if d < 0 {
		panic("atomic: negative sample")
	}
	atomic.AddInt64(&c.count, 1)
	atomic.AddInt64(&c.sum, int64(d))
	for {
		cur := atomic.LoadInt64(&c.max)
		if int64(d) <= cur || atomic.CompareAndSwapInt64(&c.max, cur, int64(d)) {
			return
		}
	}
}

// Count returns how many samples have been recorded.
func (c *Collector) Count() int64 {
	return c.count // a plain read, racing with atomic.AddInt64
}

// Sum returns the total of the samples recorded.
func (c *Collector) Sum() time.Duration {
	return time.Duration(c.sum)
}

// Max returns the largest sample recorded, or 0 if none has been.
func (c *Collector) Max() time.Duration {
	return time.Duration(c.max)
}
