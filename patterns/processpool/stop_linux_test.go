package processpool_test

import (
	"math"
	"os"
	"runtime"
	"syscall"
	"time"
)

// stopSelf stops this process with SIGSTOP, as `kill -STOP` from a shell
// would: it runs no more code, not even a signal handler, until it gets
// SIGCONT, or SIGKILL, which ends a stopped process too. The signal goes
// to this thread (tgkill), which takes it before the syscall returns: a
// SIGSTOP sent to the whole process (kill) is taken by whichever thread
// the kernel picks, and this goroutine could go on and answer first. If
// the process is ever continued, it still never answers.
func stopSelf() {
	runtime.LockOSThread()
	_ = syscall.Tgkill(os.Getpid(), syscall.Gettid(), syscall.SIGSTOP)
	time.Sleep(math.MaxInt64)
}
