// Package exercise runs an exercise's tests and explains the outcome, and
// verifies that the workbook's exercises are sound: that each stub compiles
// and fails its tests, that each solution passes them under the race
// detector, and that each known-wrong variant is rejected.
//
// Test runs "go test -json" in a child process owned by the caller's
// context and returns a Result: every test's outcome and its own output,
// taken from the test2json events. Diagnose turns a Result into a
// Diagnosis, the one place where a verdict is made: which tests failed and
// with what message, and where in the student's code a data race, a hang,
// a leaked goroutine or a crash happened. Rendering a Diagnosis as text is
// the caller's business.
//
// Cancelling the context kills the tests (and every process they started);
// every function here waits for its children before returning.
package exercise

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Options says how to run a package's tests.
type Options struct {
	Race    bool          // build with -race
	Overlay string        // path of a -overlay file, or ""
	Run     string        // go test -run pattern, or "" for every test
	Timeout time.Duration // go test -timeout; 0 means DefaultTimeout

	// Env holds variables, as "KEY=value", added to go test's environment:
	// "GOEXPERIMENT=simd" tests an exercise's SIMD build (see ExtraBuilds).
	Env []string

	// HangAfter, if positive, is how long one test may run before Test
	// calls it a hang: it then stops the tests with a stack dump of every
	// goroutine (SIGQUIT), which Diagnose reads to say where the student's
	// code is stuck. A test that reports a hang itself (internal/hangcheck)
	// stops the tests the same way at once. Where signals cannot be sent
	// (Windows), only Timeout bounds the run.
	HangAfter time.Duration

	// IdleAfter, if positive, stops a test that has run this long sooner
	// than HangAfter when the tests' processes have used next to no CPU
	// for the last IdleWindow: a deadlocked test is idle, while a slow one
	// on a busy machine still gets some CPU, so a loaded machine cannot
	// make a slow right answer look hung. Linux only (it reads /proc).
	IdleAfter time.Duration

	// Progress, if not nil, is called from Test's goroutine whenever a test
	// starts or ends, and once a second in between, so that a caller can
	// show a live line.
	Progress func(Progress)
}

// childGrace is how long a test whose child process was stopped gets to
// report the child's output before the test binary is stopped too.
const childGrace = time.Second

// IdleWindow is how far back IdleAfter looks at CPU use, and IdleCPU the
// most CPU time the tests may have used in it and still count as idle. A
// deadlocked test binary uses next to none (an embedded NATS server, idle,
// uses 14-16 ms every 2 s under -race: the taskqueue exercise); any test
// that is working uses tens of milliseconds a second even on a machine
// shared with many others.
const (
	IdleWindow = 2 * time.Second
	IdleCPU    = 30 * time.Millisecond
)

// Grading returns the options a student's check runs with: under the race
// detector (if race), and stopped as hung by the bounds below.
//
// A deadlocked test uses no CPU: IdleAfter stops it once it has run 3 s
// with nothing running for IdleWindow, so a deadlock's verdict comes
// within 10 s of check, build included. A test that keeps a CPU busy is
// stopped only after HangAfter, 20 s: the slowest right answer
// (integrate's TestEveryPointOnce) took 5.5 s under -race with the
// machine's load average at 8, so load cannot make a slow right answer
// look hung; a wrong answer that spins for ever waits that long for its
// verdict. Where the CPU cannot be read (not Linux), only HangAfter
// applies.
func Grading(race bool) Options {
	return Options{Race: race, IdleAfter: 3 * time.Second, HangAfter: 20 * time.Second}
}

// DefaultTimeout is go test's -timeout when Options.Timeout is 0: the
// last resort against a hang where HangAfter does not apply.
const DefaultTimeout = 2 * time.Minute

// Progress is a snapshot of a test run, for a live line.
type Progress struct {
	Building bool          // the tests have not started yet
	Test     string        // the test that has been running longest, or ""
	For      time.Duration // how long Test has been running
	Passed   int           // tests that have passed so far
	Failed   int           // tests that have failed so far
}

// Result is the outcome of one "go test" run of one package.
type Result struct {
	Root  string // the module root the tests ran in, as given to Test
	Dir   string // the package's directory, relative to Root, slash-separated
	Race  bool   // built with the race detector
	Built bool   // the package and its tests compiled
	// Passed reports whether go test passed the package.
	Passed bool
	// Tests are the tests that started, in the order they started
	// (subtests are named "TestA/sub"), each with its own output.
	Tests []TestRun
	// Package is what the test binary printed outside any test: TestMain,
	// goleak's report after the tests, a crash after the tests.
	Package []string
	// Build is what the go command printed while building and vetting.
	Build []string
	// Stopped is set when Test stopped a hung test run (Options.HangAfter).
	Stopped *Stop
	// Started and Ended are when the test binary started and when its
	// last event came: the time the tests took, without the build.
	Started, Ended time.Time
	// Output is everything the build and the tests printed, in order.
	Output string
}

// A TestRun is one test's outcome and what it printed.
type TestRun struct {
	Name    string
	Outcome Outcome
	Elapsed time.Duration
	Output  []string // the lines it printed, without go test's === and --- lines
}

// Outcome is how a test ended.
type Outcome string

const (
	Passed      Outcome = "pass"
	Failed      Outcome = "fail"
	Skipped     Outcome = "skip"
	Interrupted Outcome = "" // still running when the test binary ended: it crashed, hung or was stopped
)

// Stop says why Test stopped a test run.
type Stop struct {
	Test  string        // the test that was stuck
	After time.Duration // how long it had been running
	// Reported is true when the test reported the hang itself (a
	// hangcheck bound), false when it ran past Options.HangAfter or sat
	// idle past Options.IdleAfter.
	Reported bool
	Idle     bool // it had used no CPU for IdleWindow (Options.IdleAfter)
}

// A cpuSample is the CPU time a test run had used at a moment.
type cpuSample struct {
	at   time.Time
	used time.Duration
}

// idle reports whether the samples show less than IdleCPU used over the
// last IdleWindow before now.
func idle(samples []cpuSample, now time.Time) bool {
	if len(samples) == 0 {
		return false
	}
	last := samples[len(samples)-1]
	for i := len(samples) - 1; i >= 0; i-- {
		if now.Sub(samples[i].at) >= IdleWindow {
			return last.used-samples[i].used < IdleCPU
		}
	}
	return false // not enough history yet
}

// Failed returns the tests that failed or never ended, in start order.
func (r Result) Failed() []string {
	var names []string
	for _, t := range r.Tests {
		if t.Outcome == Failed || t.Outcome == Interrupted {
			names = append(names, t.Name)
		}
	}
	return names
}

// Test runs the tests of the package in dir (a path relative to the module
// root, such as "exercises/mutex") and reports what happened. The error is
// non-nil only when the tests could not be run at all (no go command, or ctx
// done); failing tests and build failures are reported in the Result.
func Test(ctx context.Context, root, dir string, opt Options) (Result, error) {
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	dir = filepath.ToSlash(filepath.Clean(dir))
	args := []string{"test", "-json", "-count=1", "-timeout", timeout.String()}
	if opt.Race {
		args = append(args, "-race")
	}
	if opt.Overlay != "" {
		args = append(args, "-overlay", opt.Overlay)
	}
	if opt.Run != "" {
		args = append(args, "-run", opt.Run)
	}
	args = append(args, "./"+dir)

	events := make(chan event) // from the output copier to the loop below
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	// Every goroutine's stack on a crash, not only the crashing one's: a
	// deadlock that synctest reports from a goroutine of its own (a bubble
	// inside a hangcheck bound) would otherwise show no goroutine of the
	// student's code.
	cmd.Env = append(cmd.Environ(), "GORACE=atexit_sleep_ms=0", "GOTRACEBACK=all")
	cmd.Env = append(cmd.Env, opt.Env...)
	stop := make(chan struct{}) // closed when we stop reading events
	defer close(stop)
	cmd.Stdout = &eventWriter{events: events, stop: stop}
	cmd.Stderr = &stderr
	ownGroup(cmd) // so that a stop or a kill reaches the test binary and its children
	// A child the tests started may keep our pipe open after the test
	// binary has gone; WaitDelay bounds how long Wait waits for it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("go test %s: %w", dir, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }() // joined below: the loop ends only when it has sent

	b := newBuilder()
	ticker := time.NewTicker(time.Second / 4)
	defer ticker.Stop()
	var cpu []cpuSample  // the group's CPU use, one sample a tick, for IdleAfter
	var quitAt time.Time // when to stop the test binary, after its children
	lastProgress := time.Time{}
	var err error
	var stopped *Stop
	for running := true; running; {
		select {
		case e := <-events: // the copier waits for us, so no event is lost
			b.add(e)
			if stopped == nil && opt.HangAfter > 0 {
				if name, ok := b.reportedHang(e); ok {
					stopped = &Stop{Test: name, After: b.runningFor(name, e.Time), Reported: true}
					stopTests(cmd)
				}
			}
			if opt.Progress != nil && (e.Action != "output" || e.Test == "") {
				opt.Progress(b.progress(time.Now()))
			}
		case now := <-ticker.C: // a test may be stuck: nothing else wakes us
			if !quitAt.IsZero() && now.After(quitAt) {
				quitAt = time.Time{}
				stopTests(cmd)
			}
			if opt.IdleAfter > 0 {
				if used, ok := groupCPU(cmd.Process.Pid); ok {
					cpu = append(cpu, cpuSample{now, used})
				}
			}
			if stopped == nil && opt.HangAfter > 0 {
				name, d := b.longest(now)
				switch {
				case d > opt.HangAfter:
					stopped = &Stop{Test: name, After: d}
				case opt.IdleAfter > 0 && d > opt.IdleAfter && idle(cpu, now):
					stopped = &Stop{Test: name, After: d, Idle: true}
				}
				if stopped != nil {
					// The stuck code may be in a child of the test binary;
					// if so, it goes first, and the test gets a moment to
					// say what the child printed.
					if stopGrandchildren(cmd) {
						quitAt = now.Add(childGrace)
					} else {
						stopTests(cmd)
					}
				}
			}
			if opt.Progress != nil && now.Sub(lastProgress) >= time.Second {
				lastProgress = now
				opt.Progress(b.progress(now))
			}
		case err = <-waited: // the child has exited and its output is copied
			running = false
		}
	}
	if stopped != nil {
		killGroup(cmd) // anything the stuck tests started
	}
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) && !errors.Is(err, exec.ErrWaitDelay) {
		return Result{}, fmt.Errorf("go test %s: %w", dir, err)
	}
	r := b.result()
	r.Root, r.Dir, r.Race, r.Stopped = root, dir, opt.Race, stopped
	if s := stderr.String(); s != "" {
		r.Output = s + r.Output
		r.Build = append(r.Build, splitLines(s)...)
		if strings.Contains(s, "build failed") || strings.Contains(s, "setup failed") {
			r.Built = false
		}
	}
	if err == nil && !r.Passed {
		return r, fmt.Errorf("go test %s: exit status 0 but no passing result in its output", dir)
	}
	if err != nil {
		r.Passed = false
	}
	return r, nil
}

// event is one line of "go test -json" (see "go doc test2json").
type event struct {
	Time    time.Time
	Action  string
	Test    string
	Output  string
	Elapsed float64 // seconds
	raw     []byte  // the line, when it was not JSON
}

// An eventWriter decodes go test -json output line by line and sends each
// event on events. Writes block until the event is received, or until
// stop is closed: Wait may give up on a pipe that a grandchild keeps open
// (WaitDelay) while a Write is still sending.
type eventWriter struct {
	events  chan<- event
	stop    <-chan struct{}
	partial []byte // an incomplete last line
}

func (w *eventWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		select {
		case w.events <- decode(w.partial[:i]): // Test's loop took it
		case <-w.stop: // nobody reads any more: drop the rest
			return len(p), nil
		}
		w.partial = w.partial[i+1:]
	}
}

func decode(line []byte) event {
	var e event
	if json.Unmarshal(line, &e) != nil {
		return event{Action: "output", Output: string(line) + "\n", raw: slices.Clone(line)}
	}
	return e
}

// parse reads the whole output of "go test -json" for a single package.
func parse(out []byte) Result {
	b := newBuilder()
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		b.add(decode(sc.Bytes()))
	}
	return b.result()
}

// A builder assembles a Result from test2json events as they arrive.
type builder struct {
	r       Result
	text    strings.Builder
	index   map[string]int       // test name: index in r.Tests
	started map[string]time.Time // running tests: when they last started or continued
	line    map[string]string    // per test ("" for the package), an output line not yet ended
	begun   bool                 // the test binary has started
}

func newBuilder() *builder {
	return &builder{
		r:       Result{Built: true},
		index:   map[string]int{},
		started: map[string]time.Time{},
		line:    map[string]string{},
	}
}

func (b *builder) add(e event) {
	if !e.Time.IsZero() && e.Time.After(b.r.Ended) {
		b.r.Ended = e.Time
	}
	switch e.Action {
	case "build-output":
		b.text.WriteString(e.Output)
		b.r.Build = append(b.r.Build, splitLines(e.Output)...)
	case "build-fail":
		b.r.Built = false
	case "output":
		b.text.WriteString(e.Output)
		b.output(e.Test, e.Output)
	case "start":
		b.begun = true
		b.r.Started = e.Time
	case "run":
		if _, ok := b.index[e.Test]; !ok {
			b.index[e.Test] = len(b.r.Tests)
			b.r.Tests = append(b.r.Tests, TestRun{Name: e.Test})
		}
		b.started[e.Test] = e.Time
	case "cont":
		b.started[e.Test] = e.Time
	case "pause":
		delete(b.started, e.Test)
	case "pass", "fail", "skip":
		if e.Test == "" {
			b.r.Passed = e.Action == "pass"
			break
		}
		delete(b.started, e.Test)
		i, ok := b.index[e.Test]
		if !ok { // a test that ended without a run event: keep it anyway
			i = len(b.r.Tests)
			b.index[e.Test] = i
			b.r.Tests = append(b.r.Tests, TestRun{Name: e.Test})
		}
		b.r.Tests[i].Outcome = Outcome(e.Action)
		b.r.Tests[i].Elapsed = time.Duration(e.Elapsed * float64(time.Second))
	}
}

// output files text that test printed (the package, if test is "") under
// it, a line at a time, leaving out go test's own framing lines.
func (b *builder) output(test, text string) {
	text = b.line[test] + text
	lines := strings.SplitAfter(text, "\n")
	b.line[test] = lines[len(lines)-1] // "" when text ends a line
	for _, l := range lines[:len(lines)-1] {
		l = strings.TrimSuffix(l, "\n")
		if framing(l) {
			continue
		}
		if i, ok := b.index[test]; ok && test != "" {
			b.r.Tests[i].Output = append(b.r.Tests[i].Output, l)
		} else if test != "" {
			b.index[test] = len(b.r.Tests)
			b.r.Tests = append(b.r.Tests, TestRun{Name: test, Output: []string{l}})
		} else {
			b.r.Package = append(b.r.Package, l)
		}
	}
}

// framing reports whether line is one of go test's own lines around a
// test's output: "=== RUN   TestA", "--- FAIL: TestA (0.00s)", the PASS,
// FAIL and ok lines.
func framing(line string) bool {
	t := strings.TrimSpace(line)
	for _, p := range []string{"=== RUN ", "=== PAUSE ", "=== CONT ", "=== NAME ", "--- PASS: ", "--- FAIL: ", "--- SKIP: "} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return t == "PASS" || t == "FAIL" || strings.HasPrefix(line, "ok  \t") || strings.HasPrefix(line, "FAIL\t")
}

// result returns the Result built so far. A test binary that dies (a
// panic in a goroutine, a fatal error, a stop) ends every running test
// without an event: those keep the Interrupted outcome.
func (b *builder) result() Result {
	for test, rest := range b.line {
		if rest != "" {
			b.output(test, "\n")
		}
	}
	r := b.r
	r.Output = b.text.String()
	return r
}

// reportedHang reports whether e is a test saying it hung: hangcheck's
// "did not return within", and the test it is in.
func (b *builder) reportedHang(e event) (string, bool) {
	return e.Test, e.Action == "output" && e.Test != "" && strings.Contains(e.Output, HangcheckMark)
}

// HangcheckMark is what internal/hangcheck prints when a call does not
// return in time.
const HangcheckMark = "did not return within"

// runningFor returns how long test has been running at now, or 0.
func (b *builder) runningFor(test string, now time.Time) time.Duration {
	if s, ok := b.started[test]; ok && !s.IsZero() && !now.IsZero() {
		return now.Sub(s)
	}
	return 0
}

// longest returns the test that has been running longest, and for how
// long. A test with subtests running counts only through them: while
// TestA/sub runs, TestA waits for it.
func (b *builder) longest(now time.Time) (string, time.Duration) {
	var name string
	var d time.Duration
	for t, s := range b.started {
		if b.hasRunningSubtest(t) {
			continue
		}
		if since := now.Sub(s); name == "" || since > d || (since == d && t < name) {
			name, d = t, since
		}
	}
	return name, d
}

func (b *builder) hasRunningSubtest(test string) bool {
	for t := range b.started {
		if strings.HasPrefix(t, test+"/") {
			return true
		}
	}
	return false
}

func (b *builder) progress(now time.Time) Progress {
	p := Progress{Building: !b.begun}
	p.Test, p.For = b.longest(now)
	for _, t := range b.r.Tests {
		switch t.Outcome {
		case Passed:
			p.Passed++
		case Failed:
			p.Failed++
		}
	}
	return p
}

// splitLines splits s into lines, without a last empty one.
func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
