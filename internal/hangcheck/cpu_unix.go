//go:build unix

package hangcheck

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time used by this process and by the children
// it has waited for.
func processCPU() (time.Duration, bool) {
	var used time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0, false
		}
		used += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return used, true
}
