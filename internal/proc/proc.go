// Package proc reads the process table from Linux's /proc: each process's
// parent, process group, state and the CPU time it has used. childcheck
// uses it to find the children a test left behind; internal/exercise, to
// tell a deadlocked test (no CPU used) from a slow one and to find the
// processes a test binary started.
//
// All works on Linux only; elsewhere it returns ErrUnsupported.
package proc

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ErrUnsupported is returned by All where /proc is not available.
var ErrUnsupported = errors.New("proc: reading the process table needs Linux /proc")

// ClockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100
// on every Linux the Go toolchain runs on).
const ClockTick = 10 * time.Millisecond

// A Stat is what we read of one process's /proc/PID/stat.
type Stat struct {
	PID   int
	PPID  int    // the parent's PID
	PGRP  int    // the process group; 0 if the line was too short to say
	State byte   // R running, S sleeping, Z zombie, ...
	Name  string // the executable's name, at most 15 bytes
	// CPU is the CPU time the process and the children it has waited for
	// have used (utime + stime + cutime + cstime); 0 if the line was too
	// short to say.
	CPU time.Duration
}

// All returns every process there is, in the order /proc lists them. A
// process that ends while we look is left out.
func All() ([]Stat, error) {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, ErrUnsupported
	}
	var out []Stat
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue // not a process directory
		}
		data, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // the process ended while we looked
		}
		if s, ok := Parse(data); ok {
			s.PID = pid
			out = append(out, s)
		}
	}
	return out, nil
}

// Parse reads the contents of /proc/PID/stat: "PID (NAME) STATE PPID PGRP
// SESSION TTY TPGID FLAGS MINFLT CMINFLT MAJFLT CMAJFLT UTIME STIME CUTIME
// CSTIME ...". NAME may itself contain spaces and parentheses, so we split
// at the last ')'. The PID field is left 0: All takes it from the
// directory's name.
func Parse(stat []byte) (Stat, bool) {
	open := bytes.IndexByte(stat, '(')
	end := bytes.LastIndexByte(stat, ')')
	if open < 0 || end < open {
		return Stat{}, false
	}
	f := bytes.Fields(stat[end+1:])
	if len(f) < 2 || len(f[0]) != 1 {
		return Stat{}, false
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return Stat{}, false
	}
	s := Stat{PPID: ppid, State: f[0][0], Name: string(stat[open+1 : end])}
	if len(f) > 2 {
		s.PGRP, _ = strconv.Atoi(string(f[2]))
	}
	if len(f) > 14 {
		var ticks int64
		for _, k := range []int{11, 12, 13, 14} {
			n, _ := strconv.ParseInt(string(f[k]), 10, 64)
			ticks += n
		}
		s.CPU = time.Duration(ticks) * ClockTick
	}
	return s, true
}
