//go:build !linux

package exercise

import "time"

// groupCPU cannot read a process group's CPU time here: without /proc, only
// Options.HangAfter ends a hung test.
func groupCPU(pgid int) (time.Duration, bool) { return 0, false }

// grandchildren cannot list processes without /proc.
func grandchildren(pid int) []int { return nil }
