//go:build !linux

package processpool_test

import (
	"math"
	"time"
)

// stopSelf never returns: where a thread cannot send SIGSTOP to itself
// (tgkill is Linux's), a worker that never answers is the nearest thing
// to a stopped one.
func stopSelf() {
	time.Sleep(math.MaxInt64)
}
