// Wrong: plain int64 fields and plain increments: concurrent Records race, and lose samples.
// count++ and sum += d are each a load, an add and a store, and two
// goroutines can interleave them, as in the race lesson. The race detector
// reports it even in a run that happens to lose nothing.
// Caught by: TestConcurrentRecordsAreNotLost, TestMaxIsExactUnderContention, TestReadsDuringRecordsAreRaceFree
package atomic

import "time"

// A Collector records latency samples. Nothing guards its fields.
type Collector struct {
	count int64
	sum   time.Duration
	max   time.Duration
}

// Record adds the sample d.
func (c *Collector) Record(d time.Duration) {
	if d < 0 {
		panic("atomic: negative sample")
	}
	c.count++
	c.sum += d
	if d > c.max {
		c.max = d
	}
}

// Count returns how many samples have been recorded.
func (c *Collector) Count() int64 {
	return c.count
}

// Sum returns the total of the samples recorded.
func (c *Collector) Sum() time.Duration {
	return c.sum
}

// Max returns the largest sample recorded, or 0 if none has been.
func (c *Collector) Max() time.Duration {
	return c.max
}
