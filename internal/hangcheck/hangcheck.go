// Package hangcheck turns a hang into a test failure.
//
// Most timing in the workbook's tests is checked exactly with
// testing/synctest. A goroutine blocked on a sync.Mutex, though, is not
// durably blocked in the synctest sense, so synctest cannot see a deadlock
// on a mutex. For that one case a test needs a real-time bound: the work is
// expected to finish in microseconds, and the bound only decides how long a
// broken program may hang before the test reports it.
package hangcheck

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Bound is the real time a call may take before Within reports a hang. It
// is generous (the calls it guards take microseconds, even under -race on a
// loaded machine), so a correct program never hits it; a deadlocked one
// costs this long to report.
const Bound = 5 * time.Second

// Within calls fn in a new goroutine and waits for it to return. If fn has
// not returned after Bound, Within fails the test with a message naming
// what and the stack of the goroutine running fn (where it is stuck), and
// returns; that goroutine is then stuck for good, which is why this is
// only for tests that are about to fail.
func Within(t testing.TB, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(Bound)
	defer timer.Stop()
	select {
	case <-done:
		// fn returned: no hang.
	case <-timer.C:
		t.Fatalf("%s did not return within %v: a deadlock (a lock never released?)\n%s", what, Bound, stuck())
	}
}

// stuck returns the stacks of the goroutines Within started that are
// still running, as runtime.Stack prints them.
func stuck() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("created by "+withinFunc)) {
			out = append(out, string(g))
		}
	}
	if len(out) == 0 {
		return "(its goroutine's stack was not found)"
	}
	return "Where the call is stuck:\n" + strings.Join(out, "\n\n")
}

// withinFunc is how a stack names Within.
const withinFunc = "github.com/concurrency-workbook/workbook/internal/hangcheck.Within"
