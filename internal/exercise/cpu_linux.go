package exercise

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on every Linux the Go toolchain runs on).
const clockTick = 10 * time.Millisecond

// A procStat is what we read of one process's /proc/<pid>/stat.
type procStat struct {
	pid, ppid, pgrp int
	ticks           int64 // utime + stime + cutime + cstime
}

// procStats reads /proc/<pid>/stat of every process there is. A process
// that ends meanwhile is left out.
func procStats() []procStat {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return nil
	}
	var out []procStat
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue // the process has gone
		}
		// "pid (comm) state ppid pgrp session tty tpgid flags minflt
		// cminflt majflt cmajflt utime stime cutime cstime ...": comm may
		// hold spaces and parentheses, so we count from the last ')'.
		open, end := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
		if open < 1 || end < 0 {
			continue
		}
		f := bytes.Fields(data[end+1:])
		if len(f) < 15 {
			continue
		}
		s := procStat{}
		s.pid, _ = strconv.Atoi(string(bytes.TrimSpace(data[:open])))
		s.ppid, _ = strconv.Atoi(string(f[1]))
		s.pgrp, _ = strconv.Atoi(string(f[2]))
		for _, k := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(string(f[k]), 10, 64)
			s.ticks += n
		}
		out = append(out, s)
	}
	return out
}

// groupCPU returns the CPU time used so far by the processes in process
// group pgid, and by the children they have waited for. ok is false if it
// cannot tell.
func groupCPU(pgid int) (used time.Duration, ok bool) {
	for _, s := range procStats() {
		if s.pgrp == pgid {
			used += time.Duration(s.ticks) * clockTick
			ok = true
		}
	}
	return used, ok
}

// grandchildren returns the processes below the children of pid: for the
// go command, the processes the test binary started (a test that runs the
// student's code in a child of its own, to survive a crash).
func grandchildren(pid int) []int {
	children := map[int][]int{}
	for _, s := range procStats() {
		children[s.ppid] = append(children[s.ppid], s.pid)
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
