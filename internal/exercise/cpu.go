package exercise

import (
	"time"

	"github.com/concurrency-workbook/workbook/internal/proc"
)

// groupCPU returns the CPU time used so far by the processes in process
// group pgid, and by the children they have waited for. ok is false if it
// cannot tell (no /proc: not Linux).
func groupCPU(pgid int) (used time.Duration, ok bool) {
	all, err := proc.All()
	if err != nil {
		return 0, false
	}
	for _, s := range all {
		if s.PGRP == pgid {
			used += s.CPU
			ok = true
		}
	}
	return used, ok
}

// grandchildren returns the processes below the children of pid: for the
// go command, the processes the test binary started (a test that runs the
// student's code in a child of its own, to survive a crash). It finds none
// where it cannot read the process table.
func grandchildren(pid int) []int {
	all, _ := proc.All() // none without /proc
	children := map[int][]int{}
	for _, s := range all {
		children[s.PPID] = append(children[s.PPID], s.PID)
	}
	var out []int
	next := children[pid]
	for depth := 0; len(next) > 0; depth++ {
		var below []int
		for _, c := range next {
			if depth > 0 {
				out = append(out, c)
			}
			below = append(below, children[c]...)
		}
		next = below
	}
	return out
}
