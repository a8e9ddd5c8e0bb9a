//go:build unix

package exercise

import (
	"os/exec"
	"syscall"
)

// ownGroup puts the go command in a process group of its own, which the
// test binary and anything it starts join, and makes cancelling kill the
// whole group: the go command does not pass a kill on to its children.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// stopTests sends SIGQUIT to the group: the test binary prints every
// goroutine's stack and exits, and the go command, which ignores SIGQUIT,
// reports the tests that were running as failed.
func stopTests(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGQUIT) // the group may be gone already
}

// stopGrandchildren sends SIGQUIT to the processes the test binary has
// started, and reports whether there were any. A test that runs the
// student's code in a child of its own then reports the child's stacks
// itself, before stopTests ends the test binary too.
func stopGrandchildren(cmd *exec.Cmd) bool {
	pids := grandchildren(cmd.Process.Pid)
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGQUIT) // it may be gone already
	}
	return len(pids) > 0
}

// killGroup kills whatever is left of the group.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // usually nothing is left
}
