package hangcheck

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/concurrency-workbook/workbook/internal/proc"
)

// cpuUsed returns the CPU time used so far by this process, by the child
// processes it has waited for, and, where the process table can be read
// (Linux), by every process below it still running: a test that waits
// for its child processes is idle only if they are too. ok is false if it
// cannot tell.
func cpuUsed() (time.Duration, bool) {
	if used, ok := treeCPU(os.Getpid()); ok {
		return used, true
	}
	return processCPU()
}

// treeCPU adds up the CPU time of pid and every process below it, from
// /proc. Within calls it several times a second, so it reads only what it
// needs: each process's stat, and the children of each of its threads
// (reading the whole process table costs enough CPU to hide a deadlock).
func treeCPU(pid int) (time.Duration, bool) {
	var used time.Duration
	todo := []int{pid}
	for len(todo) > 0 {
		p := todo[0]
		todo = todo[1:]
		dir := filepath.Join("/proc", strconv.Itoa(p))
		data, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			if p == pid {
				return 0, false // no /proc: not Linux
			}
			continue // the child ended while we looked
		}
		s, ok := proc.Parse(data)
		if !ok {
			continue
		}
		used += s.CPU
		tasks, _ := os.ReadDir(filepath.Join(dir, "task"))
		for _, task := range tasks {
			kids, err := os.ReadFile(filepath.Join(dir, "task", task.Name(), "children"))
			if err != nil {
				if p == pid && len(tasks) > 0 && os.IsNotExist(err) {
					return 0, false // a kernel without the children files
				}
				continue
			}
			for f := range bytes.FieldsSeq(kids) {
				if k, err := strconv.Atoi(string(f)); err == nil {
					todo = append(todo, k)
				}
			}
		}
	}
	return used, true
}

// tree returns the process pid and every process below it.
func tree(all []proc.Stat, pid int) []proc.Stat {
	children := map[int][]proc.Stat{}
	var out []proc.Stat
	for _, s := range all {
		children[s.PPID] = append(children[s.PPID], s)
		if s.PID == pid {
			out = append(out, s)
		}
	}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].PID]...)
	}
	return out
}

// children describes the processes below this one, or returns nil where
// the process table cannot be read.
func children() []string {
	all, err := proc.All()
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range tree(all, os.Getpid())[1:] {
		out = append(out, fmt.Sprintf("pid %d (%s, state %c, parent %d)", s.PID, s.Name, s.State, s.PPID))
	}
	return out
}
