// Wrong: value receivers: each Record adds to a copy of the Collector, so every sample vanishes.
// "It holds no mutex, so copying is fine" is the mistake: atomics are
// values too, and a copy has its own. go vet's copylocks check reports it
// (atomic.Int64 must not be copied); go test runs only a few vet checks,
// and not that one.
// Caught by: TestZeroValueIsEmpty, TestConcurrentRecordsAreNotLost, TestMaxIsExactUnderContention, TestReadsDuringRecordsAreRaceFree, TestNegativeSamplePanics
package atomic

import (
	"sync/atomic"
	"time"
)

// A Collector records latency samples.
type Collector struct {
	count atomic.Int64 // samples recorded, in the copy each call gets
	sum   atomic.Int64 // their total, in nanoseconds
	max   atomic.Int64 // the largest, in nanoseconds
}

// Record adds the sample d.
func (c Collector) Record(d time.Duration) {
	if d < 0 {
		panic("atomic: negative sample")
	}
	c.count.Add(1)
	c.sum.Add(int64(d))
	for {
		cur := c.max.Load()
		if int64(d) <= cur || c.max.CompareAndSwap(cur, int64(d)) {
			return
		}
	}
}

// Count returns how many samples have been recorded.
func (c Collector) Count() int64 {
	return c.count.Load()
}

// Sum returns the total of the samples recorded.
func (c Collector) Sum() time.Duration {
	return time.Duration(c.sum.Load())
}

// Max returns the largest sample recorded, or 0 if none has been.
func (c Collector) Max() time.Duration {
	return time.Duration(c.max.Load())
}
