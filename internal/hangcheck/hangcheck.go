// Package hangcheck turns a hang into a test failure.
//
// Most timing in the workbook's tests is checked exactly with
// testing/synctest. A goroutine blocked on a sync.Mutex, though, is not
// durably blocked in the synctest sense, so synctest cannot see a deadlock
// on a mutex; nor can it see a test that waits for a child process. For
// those cases a test needs a real-time bound, and the bound must only ever
// catch a hang, never a slow machine: on a busy CI runner or a classroom
// laptop a correct call may take many times as long as it does on an idle
// one.
//
// So Within does not time the call alone. It watches the CPU time the test
// process and its child processes use: a call that has run for Bound while
// they used next to no CPU for the last IdleWindow is waiting for something
// that will not happen (a deadlock), and is reported then. A call that keeps
// the CPU busy is making progress, however slowly, or spinning for ever; it
// is reported only after Limit. Where the CPU time cannot be read, Within
// reports after Bound, as if the call were idle.
package hangcheck

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Bound is how long a call may wait, using no CPU, before Within reports a
// hang. The calls it guards take microseconds to a second; a deadlocked
// one costs this long to report.
const Bound = 5 * time.Second

// Limit is how long a call may take, busy or not, before Within reports a
// hang: a call that spins for ever (a livelock, a loop whose exit never
// comes). It is long, so that no load on the machine can make a correct
// call reach it.
const Limit = 90 * time.Second

// IdleWindow is how far back Within looks at CPU use, and IdleCPU the most
// CPU time the test process and its children may use in it for the call
// to count as idle. A deadlocked test, even built with -race, uses next to
// none, unless it embeds a server with timers of its own: a NATS server
// with JetStream, idle, wakes about 90 times a second and uses 14-16 ms
// of CPU every 2 s under -race (the taskqueue tests, 2-core VM, load 1.5).
// A test that makes progress on a machine loaded 20 times over still gets
// more than this.
const (
	IdleWindow = 2 * time.Second
	IdleCPU    = 30 * time.Millisecond
)

// tick is how often Within looks at the CPU time.
const tick = 250 * time.Millisecond

// Within calls fn in a new goroutine and waits for it to return. If fn has
// not returned after Bound, and the test process and its children have
// used next to no CPU for the last IdleWindow, or if fn has not returned
// after Limit, Within fails the test with a message naming what, the stack
// of the goroutine running fn (where it is stuck) and the child processes
// still running, and returns; that goroutine is then stuck for good, which
// is why this is only for tests that are about to fail.
func Within(t testing.TB, what string, fn func()) {
	t.Helper()
	within(t, what, fn, cpuUsed)
}

// within is Within with the CPU meter as a parameter, for tests. meter
// returns the CPU time used so far, and false if it cannot tell.
func within(t testing.TB, what string, fn func(), meter func() (time.Duration, bool)) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	begin := time.Now()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	var w watch
	for {
		select {
		case <-done:
			return // fn returned: no hang
		case <-ticker.C:
		}
		ran := time.Since(begin)
		// Most calls return in well under Bound: we start to measure only
		// when the window that ends at Bound begins.
		if ran >= Bound-IdleWindow {
			w.add(ran, meter)
		}
		switch {
		case ran >= Bound && w.idle():
			t.Fatalf("%s did not return within %v, while the test used no CPU: "+
				"a deadlock (a lock never released?)\n%s", what, Bound, stuck())
			return
		case ran >= Limit:
			t.Fatalf("%s did not return within %v, while the test kept using CPU: "+
				"an endless loop or a livelock?\n%s", what, Limit, stuck())
			return
		}
	}
}

// A watch keeps the CPU time samples of the last IdleWindow.
type watch struct {
	samples []sample
	unknown bool // the meter could not tell, at least once
}

type sample struct {
	at  time.Duration // since the call began
	cpu time.Duration // CPU used so far
}

func (w *watch) add(at time.Duration, meter func() (time.Duration, bool)) {
	cpu, ok := meter()
	if !ok {
		w.unknown = true
		return
	}
	w.samples = append(w.samples, sample{at, cpu})
	// We keep the newest sample at least IdleWindow old, and those after.
	for len(w.samples) > 1 && at-w.samples[1].at >= IdleWindow {
		w.samples = w.samples[1:]
	}
}

// idle reports whether less than IdleCPU was used over the last
// IdleWindow; true if the meter could not tell, so that a hang is
// reported after Bound where CPU time cannot be read.
func (w *watch) idle() bool {
	if w.unknown || len(w.samples) == 0 {
		return true
	}
	first, last := w.samples[0], w.samples[len(w.samples)-1]
	return last.at-first.at >= IdleWindow && last.cpu-first.cpu < IdleCPU
}

// stuck describes what is still running: the stacks of the goroutines
// Within started, as runtime.Stack prints them, and the child processes.
func stuck() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("created by "+withinFunc)) {
			out = append(out, string(g))
		}
	}
	s := "(its goroutine's stack was not found)"
	if len(out) > 0 {
		s = "Where the call is stuck:\n" + strings.Join(out, "\n\n")
	}
	if kids := children(); len(kids) > 0 {
		s += fmt.Sprintf("\nChild processes of the test: %s", strings.Join(kids, "; "))
	}
	return s
}

// withinFunc is how a stack names the function that starts fn's goroutine.
const withinFunc = "github.com/concurrency-workbook/workbook/internal/hangcheck.within"
