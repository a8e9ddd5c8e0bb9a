package childcheck

import (
	"syscall"
	"unsafe"
)

// waitExitedNoReap blocks until the child pid has exited but leaves it a
// zombie: waitid(P_PID, pid, WEXITED|WNOWAIT).
func waitExitedNoReap(pid int) error {
	const (
		pPID    = 1
		wNoWait = 0x1000000
	)
	var info [128]byte // siginfo_t
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_WAITID, pPID, uintptr(pid),
			uintptr(unsafe.Pointer(&info[0])), syscall.WEXITED|wNoWait, 0, 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}
