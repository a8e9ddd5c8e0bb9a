package exercise

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The packages in testdata/diag each fail in one way; these tests run them
// for real (go test -json -race, as a student's check does) and compare
// the whole Diagnosis with what it must say. Goroutine numbers, durations
// and the race detector's raw report vary from run to run; normalize
// clears them.

const diag = "internal/exercise/testdata/diag/"

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	return root
}

func loc(file string, line int, fn string) Location {
	return Location{File: diag + file, Line: line, Func: fn}
}

func normalize(d Diagnosis) Diagnosis {
	if d.Stopped != nil {
		s := *d.Stopped
		s.After = 0
		d.Stopped = &s
	}
	for i := range d.Races {
		d.Races[i].Report = nil
		for j := range d.Races[i].Access {
			// Which of the two accesses the detector sees first varies.
			d.Races[i].Access[j].Write, d.Races[i].Access[j].Goroutine = false, ""
		}
	}
	for i := range d.Hangs {
		d.Hangs[i].After = 0
		for j := range d.Hangs[i].Stuck {
			d.Hangs[i].Stuck[j].ID = 0
		}
	}
	for i := range d.Leaks {
		d.Leaks[i].Goroutine.ID = 0
	}
	return d
}

func TestDiagnoseRealRuns(t *testing.T) {
	root := moduleRoot(t)
	reentrant := []Location{loc("reentrant/reentrant.go", 22, "(*Account).Balance"), loc("reentrant/reentrant.go", 14, "(*Account).Withdraw")}
	for _, c := range []struct {
		pkg  string
		opt  Options
		want Diagnosis
	}{
		{
			pkg: "race",
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestCount", Outcome: Failed}},
				Races: []Race{{Test: "TestCount", Access: [2]Access{
					{At: loc("race/race.go", 10, "Count.func1"), Source: "wg.Go(func() { total++ })"},
					{At: loc("race/race.go", 10, "Count.func1"), Source: "wg.Go(func() { total++ })"},
				}}},
			},
		},
		{
			// Withdraw locks, then calls Balance, which locks again: the
			// test never ends, and the watchdog stops it.
			pkg: "reentrant",
			opt: Options{HangAfter: time.Second},
			want: Diagnosis{Race: true,
				Stopped:  &Stop{Test: "TestWithdraw"},
				Failures: []Failure{{Test: "TestWithdraw", Outcome: Interrupted}},
				Hangs: []Hang{{Test: "TestWithdraw", How: HowStopped,
					Stuck: []Goroutine{{State: "sync.Mutex.Lock", At: reentrant[0], Calls: reentrant}},
					Cause: "(*Account).Withdraw (line 14) calls (*Account).Balance, which waits for a lock at line 22; if (*Account).Withdraw already holds that lock, this goroutine waits for itself: Go's mutexes are not re-entrant (Python's RLock is), so call a helper that expects the lock to be held instead.",
				}},
			},
		},
		{
			// hangcheck reports the hang, with the stuck call's stack.
			pkg: "hangcheck",
			opt: Options{Run: "^TestInc$"},
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestInc", Outcome: Failed}},
				Hangs:    []Hang{hangcheckHang},
			},
		},
		{
			pkg: "deadlock",
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestJoin", Outcome: Failed}},
				Hangs: []Hang{{Test: "TestJoin", How: "synctest: all goroutines in bubble are blocked",
					Stuck: []Goroutine{{State: "chan receive", At: loc("deadlock/deadlock.go", 7, "Join"), Calls: []Location{loc("deadlock/deadlock.go", 7, "Join")}}},
					Cause: "Join (line 7) receives from a channel that nobody will send on or close: a sender returned early without sending, or the channel is never closed after the last send.",
				}},
			},
		},
		{
			pkg: "leak",
			want: Diagnosis{Race: true,
				Leaks: []Leak{{Goroutine: Goroutine{State: "chan receive", At: loc("leak/leak.go", 7, "Start.func1"),
					Calls: []Location{loc("leak/leak.go", 7, "Start.func1")}, Created: loc("leak/leak.go", 6, "Start")},
					Cause: "The goroutine started at line 6 (Start) is still waiting to receive: close the channel (or cancel) when there is no more work, and wait for it before returning."}},
			},
		},
		{
			// A leak found by synctest when the bubble ends, and one by
			// goleak.Find quoted in a testify message: the message keeps its
			// own words, and the stack goes to the leak.
			pkg: "leaks",
			want: Diagnosis{Race: true,
				Failures: []Failure{
					{Test: "TestFound", Outcome: Failed, Messages: []Message{{At: Location{File: diag + "leaks/leaks_test.go", Line: 14},
						Text: []string{"goroutines Start left behind", "Received unexpected error: (see above)"}}}},
					{Test: "TestInBubble", Outcome: Failed},
				},
				// The same goroutine, leaked twice, is reported once.
				Leaks: []Leak{{Test: "TestFound", Goroutine: Goroutine{State: "chan send", At: loc("leaks/leaks.go", 7, "Start.func1"),
					Calls: []Location{loc("leaks/leaks.go", 7, "Start.func1")}, Created: loc("leaks/leaks.go", 6, "Start")},
					Cause: "The goroutine started at line 6 (Start) is still trying to send, and nobody will receive: give it a way out (a buffered channel with room for every send, or a select with <-ctx.Done()), and wait for it before returning."},
				},
			},
		},
		{
			pkg: "crash",
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestFill", Outcome: Interrupted}},
				Crash:    &Crash{Test: "TestFill", Message: "panic: assignment to entry in nil map", At: loc("crash/crash.go", 10, "Fill.func1")},
			},
		},
		{
			// A panic of the package's own whose message starts as
			// synctest's deadlock does is a crash, not a hang.
			pkg: "ownpanic",
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestTransfer", Outcome: Failed}},
				Crash:    &Crash{Test: "TestTransfer", Message: "panic: deadlock: two accounts with id 7", At: loc("ownpanic/ownpanic.go", 7, "Transfer")},
			},
		},
		{
			pkg: "assert",
			want: Diagnosis{Race: true,
				Failures: []Failure{{Test: "TestAdd", Outcome: Failed, Messages: []Message{
					{At: Location{File: diag + "assert/assert_test.go", Line: 11},
						Text: []string{"Add(2, 3): the sum of 2 and 3", "Not equal:", "expected: 5", "actual  : 2"}},
					{At: Location{File: diag + "assert/assert_test.go", Line: 12},
						Text: []string{"Add(1, 1) = 1; want 2", "second line"}},
					{At: Location{File: diag + "assert/assert_test.go", Line: 13},
						Text:   []string{"two sums", "Not equal:", "expected: []int{1, 2}", "actual  : []int{1, 1}"},
						Detail: []string{"Diff:", "--- Expected", "+++ Actual", "@@ -2,3 +2,3 @@", "  (int) 1,", "- (int) 2", "+ (int) 1", " }"}},
				}}},
			},
		},
		{
			pkg: "broken",
			want: Diagnosis{Race: true, Build: []string{
				diag + "broken/broken.go:5:2: declared and not used: x",
				diag + "broken/broken.go:6:13: undefined: c",
			}},
		},
	} {
		t.Run(c.pkg, func(t *testing.T) {
			t.Parallel()
			c.opt.Race = true
			r, err := Test(t.Context(), root, diag+c.pkg, c.opt)
			require.NoError(t, err)
			assert.Equal(t, c.want, normalize(Diagnose(r)), "the output was:\n%s", r.Output)
		})
	}
}

var hangcheckHang = Hang{Test: "TestInc", How: "a call it made did not return: three Incs did not return within 5s, while the test used no CPU: a deadlock (a lock never released?)",
	Stuck: []Goroutine{{State: "sync.Mutex.Lock", At: loc("hangcheck/hangcheck.go", 10, "Inc"), Calls: []Location{loc("hangcheck/hangcheck.go", 10, "Inc")}}},
	Cause: "Inc (line 10) waits for a lock that is never unlocked: a return or a panic between Lock and Unlock skipped the Unlock (write defer mu.Unlock() right after mu.Lock()), or the goroutine holding it waits for a lock this one holds (take locks in one fixed order).",
}

// With the watchdog on, a hang that a test reports stops the tests at
// once: the next test, which would wait out its own bound, never gets to.
func TestAReportedHangStopsTheTests(t *testing.T) {
	t.Parallel()
	r, err := Test(t.Context(), moduleRoot(t), diag+"hangcheck", Options{Race: true, HangAfter: time.Minute})
	require.NoError(t, err)
	d := normalize(Diagnose(r))
	require.Equal(t, &Stop{Test: "TestInc", Reported: true}, d.Stopped)
	require.Len(t, d.Hangs, 1, "the output was:\n%s", r.Output)
	assert.Equal(t, hangcheckHang, d.Hangs[0])
	for _, tr := range r.Tests {
		if tr.Name != "TestInc" {
			assert.Equal(t, Interrupted, tr.Outcome, "%s ended: the tests should have been stopped before it could", tr.Name)
		}
	}
}

func TestIdle(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s float64, used time.Duration) cpuSample {
		return cpuSample{t0.Add(time.Duration(s * float64(time.Second))), used}
	}
	busy := []cpuSample{at(0, 0), at(1, 500*time.Millisecond), at(2, time.Second), at(3, 1500*time.Millisecond)}
	still := []cpuSample{at(0, 0), at(1, time.Second), at(2, time.Second), at(3, time.Second+10*time.Millisecond)}
	assert.False(t, idle(busy, t0.Add(3*time.Second)), "busy")
	assert.True(t, idle(still, t0.Add(3*time.Second)), "10ms in the last 2s")
	assert.False(t, idle(still[:2], t0.Add(time.Second)), "less than a window of history")
}

func TestVetFindsACopiedLock(t *testing.T) {
	t.Parallel()
	found, err := Vet(t.Context(), moduleRoot(t), diag+"copylock", Options{})
	require.NoError(t, err)
	assert.Equal(t, []Finding{{
		Analyzer: "copylocks",
		At:       Location{File: diag + "copylock/copylock.go", Line: 11},
		Message:  "Inc passes lock by value: github.com/concurrency-workbook/workbook/" + diag + "copylock.Counter contains sync.Mutex",
		Explain:  "The method gets a copy of the struct, mutex and all: it locks the copy's mutex and changes the copy, so nothing is guarded and updates vanish. Use a pointer receiver (func (a *T) ...) and pass the struct by pointer.",
	}}, found)
}

func TestHangCauses(t *testing.T) {
	at := Location{File: "exercises/x/x.go", Line: 7, Func: "Get"}
	for _, c := range []struct {
		state string
		want  string
	}{
		{"chan send", "Get (line 7) sends on a channel that nobody will receive from: the receiver returned early or was cancelled, or the channel is unbuffered and nobody reads it; send in a select with a <-ctx.Done() case."},
		{"chan receive (nil chan)", "Get (line 7) uses a nil channel, which blocks for ever: make the channel with make(chan T) before using it."},
		{"select (no cases)", "Get (line 7) is in an empty select {}, which blocks for ever."},
		{"sync.WaitGroup.Wait", "Get (line 7) waits for a WaitGroup whose count never gets back to zero: a Done is missing (on an early return or an error path?), or Add counted more goroutines than were started."},
		{"sync.Cond.Wait", "Get (line 7) waits on a sync.Cond that nobody signals: a Signal or Broadcast is missing after the state it waits for changes."},
	} {
		assert.Equal(t, c.want, hangCause([]Goroutine{{State: c.state, At: at, Calls: []Location{at}}}), c.state)
	}
}
