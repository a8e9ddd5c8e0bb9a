//go:build unix

package childcheck

import (
	"errors"
	"syscall"
)

// Reap kills every child process of the current process that is still
// running and waits for each, so that none is left behind as an orphan or
// a zombie, and returns the children it found (as Children saw them). It
// is for the end of a test binary, when the code under test (a failing
// exercise, say) has leaked children: VerifyTestMain calls it. Do not call
// it while an exec.Cmd of this process may still Wait for its child.
func Reap() []Proc {
	kids, err := Children()
	if err != nil {
		return nil
	}
	for _, k := range kids {
		if k.State != 'Z' {
			_ = syscall.Kill(k.PID, syscall.SIGKILL) // it may have exited since
		}
		var ws syscall.WaitStatus
		for {
			_, err := syscall.Wait4(k.PID, &ws, 0, nil)
			if !errors.Is(err, syscall.EINTR) {
				break // reaped, or not ours to reap any more (ECHILD)
			}
		}
	}
	return kids
}
