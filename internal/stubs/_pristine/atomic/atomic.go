// Package atomic collects request latencies from many goroutines at once:
// how many requests, their total time, and the slowest. (It is named for
// its directory and the lesson. Its own name is not an identifier in its
// code, so atomic.Int64 below is still sync/atomic's.)
package atomic

import "time"

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
	// TODO: the count, the sum and the maximum, each a typed atomic from
	// sync/atomic (atomic.Int64), in a named field with a comment saying
	// what it holds. The zero value must be an empty collector.
}

// Record adds the sample d. It panics if d is negative, without recording
// it.
func (c *Collector) Record(d time.Duration) {
	// TODO: panic("atomic: negative sample") if d is negative. Then add 1
	// to the count and d to the sum, each with one atomic Add. There is no
	// atomic Max: load the current maximum and, while d is larger,
	// CompareAndSwap it in, loading again whenever another goroutine got
	// there first.
}

// Count returns how many samples have been recorded.
func (c *Collector) Count() int64 {
	// TODO: load the count atomically.
	return 0
}

// Sum returns the total of the samples recorded.
func (c *Collector) Sum() time.Duration {
	// TODO: load the sum atomically.
	return 0
}

// Max returns the largest sample recorded, or 0 if none has been.
func (c *Collector) Max() time.Duration {
	// TODO: load the maximum atomically.
	return 0
}
