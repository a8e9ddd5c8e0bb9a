package exercise

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Diagnosis says what went wrong in a test run, as data: which tests
// failed and what they said, and where in the student's code (the
// package's non-test files) a data race, a hang, a leaked goroutine or a
// crash happened. Diagnose makes it; rendering it is the caller's job.
type Diagnosis struct {
	Passed   bool      // every test passed
	Race     bool      // the tests ran under the race detector
	Build    []string  // the compiler's messages, paths relative to the module root; nil if it built
	Failures []Failure // the failed tests, in the order they started
	Races    []Race    // data races, in the order reported
	Hangs    []Hang    // tests that did not finish
	Leaks    []Leak    // goroutines still running after a test or after all of them
	Crash    *Crash    // a panic or fatal error that ended the test binary
	Other    []string  // when nothing above explains a failure: the last lines printed
	Vet      []Finding // go vet's findings, when the caller ran Vet and set them
	Stopped  *Stop     // set when the run was stopped as hung
	Tests    []TestRun // every test that ran, for a caller that wants to list them
	Elapsed  time.Duration
}

// A Failure is a failed test and what it said.
type Failure struct {
	Test     string
	Outcome  Outcome   // Failed, or Interrupted when the binary ended during it
	Messages []Message // one per failed assertion or t.Error call, in order
}

// A Message is one thing a test reported.
type Message struct {
	At Location // where in the test file it was reported
	// Text is the message itself: testify's "Messages:" (what the test's
	// author wrote), then its "Error:" lines; or the t.Errorf text.
	Text []string
	// Detail is the rest: testify's diff. Worth showing only on request.
	Detail []string
}

// A Race is one report of the race detector.
type Race struct {
	Test string
	// Access is the access that raced and the previous one it raced
	// with, each at its innermost frame in the student's code.
	Access [2]Access
	Report []string // the report, from WARNING to the end of the second access
}

// An Access is one side of a data race.
type Access struct {
	Write     bool
	Goroutine string   // "goroutine 7", "main goroutine"
	At        Location // innermost frame in the student's code; zero if none
	Source    string   // the source line at At, trimmed; "" if unknown
}

// A Hang is a test that did not finish.
type Hang struct {
	Test  string        // the test that hung ("" if unknown)
	How   string        // who noticed, in a few words
	After time.Duration // how long it had run when it was stopped; 0 if not known
	Stuck []Goroutine   // goroutines blocked in the student's code, the likeliest culprit first
	Cause string        // the likely cause, in one sentence
}

// A Goroutine is a goroutine found blocked or running in the student's code.
type Goroutine struct {
	ID      int
	State   string     // "sync.Mutex.Lock", "chan receive", ...
	At      Location   // innermost frame in the student's code
	Calls   []Location // every frame in the student's code, innermost first (At is Calls[0])
	Created Location   // where it was started, if in the student's code
}

// A Leak is a goroutine still running after the test that started it, or
// after all the tests.
type Leak struct {
	Test      string // "" when goleak checked after all the tests
	Goroutine Goroutine
	Cause     string // the likely cause, in one sentence
}

// A Crash is a panic or fatal error that ended the test binary.
type Crash struct {
	Test    string   // the test it happened in, if known
	Message string   // "panic: assignment to entry in nil map"
	At      Location // where, in the student's code; zero if not there
}

// Diagnose reads a Result and says what went wrong.
func Diagnose(r Result) Diagnosis {
	s := scope{root: r.Root, dir: r.Dir}
	d := Diagnosis{Passed: r.Passed, Race: r.Race, Stopped: r.Stopped}
	if !r.Built {
		d.Build = buildErrors(r.Build, r.Root)
		if len(d.Build) == 0 { // a failure printed elsewhere
			d.Build = tail(splitLines(relative(r.Output, r.Root)), 15)
		}
		return d
	}
	if r.Passed {
		return d
	}
	hung := map[string]bool{}
	for _, t := range r.Tests {
		d.Races = append(d.Races, races(s, t.Name, t.Output)...)
		d.Leaks = append(d.Leaks, leaks(s, t.Name, t.Output)...)
	}
	d.Races = distinctRaces(d.Races)
	d.Leaks = distinctLeaks(append(d.Leaks, bubbleLeaks(s, r)...))
	d.Leaks = append(d.Leaks, leaks(s, "", r.Package)...)
	d.Hangs = hangs(s, r)
	for _, h := range d.Hangs {
		hung[h.Test] = true
	}
	d.Crash = crash(s, r)

	for _, t := range r.Tests {
		if t.Outcome != Failed && t.Outcome != Interrupted {
			continue
		}
		msgs := slices.DeleteFunc(messages(s, t.Output), func(m Message) bool {
			return len(m.Text) > 0 && strings.Contains(m.Text[0], HangcheckMark) // the hang says it
		})
		if len(msgs) == 0 {
			msgs = nil
		}
		if len(msgs) == 0 && t.Outcome == Failed && failedSubtest(r.Tests, t.Name) {
			continue // its subtests say why
		}
		d.Failures = append(d.Failures, Failure{Test: t.Name, Outcome: t.Outcome, Messages: msgs})
	}
	if len(d.Failures) == 0 && len(d.Races) == 0 && len(d.Hangs) == 0 && len(d.Leaks) == 0 && d.Crash == nil {
		var all []string
		for _, t := range r.Tests {
			all = append(all, t.Output...)
		}
		d.Other = tail(slices.Concat(all, r.Package), 15)
	}
	return d
}

// failedSubtest reports whether a subtest of test failed.
func failedSubtest(tests []TestRun, test string) bool {
	return slices.ContainsFunc(tests, func(t TestRun) bool {
		return strings.HasPrefix(t.Name, test+"/") && t.Outcome != Passed && t.Outcome != Skipped
	})
}

// buildErrors returns the compiler's (or vet's) messages, without the go
// command's headers and FAIL lines, with paths relative to root.
func buildErrors(lines []string, root string) []string {
	var errs []string
	for _, line := range lines {
		line = relative(line, root)
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "FAIL") {
			continue
		}
		errs = append(errs, strings.TrimPrefix(line, "./"))
	}
	return errs
}

// relative rewrites the paths under root in s as paths relative to root,
// as the compiler already prints them.
func relative(s, root string) string {
	if root == "" {
		return s
	}
	s = strings.ReplaceAll(s, root+string(filepath.Separator), "")
	return strings.ReplaceAll(s, filepath.ToSlash(root)+"/", "")
}

// testMessage matches the first line of something a test reported:
// "    mutex_test.go:97: round 1: ...".
var testMessage = regexp.MustCompile(`^ {4}(\S+\.go):(\d+): ?(.*)$`)

// messages reads what a test reported from its output: each t.Error (or
// testify assertion) with its file:line, leaving out race reports, stack
// dumps and goleak's stacks, which have their own sections.
func messages(s scope, lines []string) []Message {
	var (
		out []Message
		cur *Message
	)
	flush := func() {
		if cur != nil {
			cur.Text = trimBlank(cur.Text)
			cur.Detail = trimBlank(cur.Detail)
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, block := range plainBlocks(lines) {
		for _, line := range block {
			if m := testMessage.FindStringSubmatch(line); m != nil {
				flush()
				n, _ := strconv.Atoi(m[2])
				file := m[1]
				if file == "testing.go" || strings.HasPrefix(m[3], "race detected during execution of test") {
					continue // the testing package's own note; the race section explains it
				}
				cur = &Message{At: Location{File: s.dir + "/" + file, Line: n}}
				if m[3] != "" {
					cur.Text = append(cur.Text, m[3])
				}
				continue
			}
			if cur == nil {
				continue
			}
			cont, ok := strings.CutPrefix(line, "        ") // a continuation line
			if !ok {
				flush()
				continue
			}
			cur.Text = append(cur.Text, cont)
		}
		flush()
	}
	for i := range out {
		out[i] = testify(out[i])
	}
	return out
}

// testify rearranges a testify failure ("Error Trace:", "Error:", "Test:",
// "Messages:" fields) so that the test author's message comes first, then
// the error without its diff; the diff goes to Detail.
func testify(m Message) Message {
	fields := map[string][]string{}
	key := ""
	for _, line := range m.Text {
		if f := testifyField.FindStringSubmatch(line); f != nil {
			key = f[1]
			fields[key] = append(fields[key], f[2])
			continue
		}
		c := testifyMore.FindStringSubmatch(line)
		if key == "" || c == nil {
			return m // not testify's format
		}
		fields[key] = append(fields[key], c[1])
	}
	if _, ok := fields["Error"]; !ok {
		return m
	}
	out := Message{At: m.At}
	out.Text = append(out.Text, trimBlank(fields["Messages"])...)
	errLines := fields["Error"]
	if i := slices.Index(errLines, "Diff:"); i >= 0 {
		out.Detail = trimBlank(errLines[i:])
		errLines = errLines[:i]
	}
	for i, l := range errLines {
		errLines[i] = strings.TrimRight(l, " ")
	}
	errLines = trimBlank(errLines)
	if n := len(errLines); n > 0 && strings.HasSuffix(errLines[n-1], ":") {
		// What followed was a stack (goleak's error), which has a section
		// of its own.
		errLines[n-1] += " (see above)"
	}
	out.Text = append(out.Text, errLines...)
	return out
}

var (
	// A testify field: "\tError:      \tNot equal: ".
	testifyField = regexp.MustCompile(`^\t([A-Z][A-Za-z ]*[a-z]):\s*\t(.*)$`)
	// A field's next line: "\t            \texpected: 5".
	testifyMore = regexp.MustCompile(`^\t\s+\t(.*)$`)
)

// plainBlocks splits lines into the runs that are neither race reports,
// nor stack dumps, nor goleak reports.
func plainBlocks(lines []string) [][]string {
	var (
		out    [][]string
		cur    []string
		inRace bool
		inDump bool
	)
	for _, line := range lines {
		t := strings.TrimSpace(line)
		switch {
		case t == "==================":
			inRace = !inRace
			continue
		case inRace:
			continue
		case dumpStart(t) || strings.HasPrefix(t, "[Goroutine ") || strings.Contains(t, "found unexpected goroutines"):
			inDump = true
		}
		if inDump {
			// A stack quoted in a testify message ends with the message's
			// next field ("Test:", "Messages:"), which is the test's again.
			if !testifyField.MatchString(strings.TrimPrefix(line, "        ")) {
				continue
			}
			inDump = false
		}
		cur = append(cur, line)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// dumpStart reports whether line starts a crash, a hang report or a stack
// dump: whatever follows it is stacks, not messages.
func dumpStart(line string) bool {
	for _, p := range []string{"panic: ", "fatal error: ", "SIGQUIT: quit", "goroutine ", "goleak: "} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	return false
}

// raceAccess matches the first line of an access in a race report: "Read
// at 0x00c000018258 by goroutine 10:", "Previous write at ... by main
// goroutine:".
var raceAccess = regexp.MustCompile(`^(Previous )?([A-Za-z ]+?) at 0x[0-9a-f]+ by (.+):$`)

// races reads the race reports in a test's output.
func races(s scope, test string, lines []string) []Race {
	var out []Race
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "WARNING: DATA RACE" {
			continue
		}
		end := i + 1
		for end < len(lines) && strings.TrimSpace(lines[end]) != "==================" {
			end++
		}
		report := lines[i:end]
		r := Race{Test: test}
		n := 0
		for j, line := range report {
			m := raceAccess.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil || n == 2 {
				continue
			}
			a := Access{Write: strings.Contains(strings.ToLower(m[2]), "write"), Goroutine: m[3]}
			for _, f := range accessFrames(report[j+1:]) {
				if loc, ok := s.student(f); ok {
					a.At, a.Source = loc, sourceLine(s.root, loc)
					break
				}
			}
			r.Access[n] = a
			n++
			if n == 2 { // the report's head: both accesses
				k := j + 1
				for k < len(report) && strings.TrimSpace(report[k]) != "" {
					k++
				}
				r.Report = relativeAll(report[:k], s.root)
			}
		}
		out = append(out, r)
		i = end
	}
	return out
}

// distinctRaces keeps the first report of each pair of places: the race
// detector reports the same race again when other goroutines repeat it.
func distinctRaces(rs []Race) []Race {
	type pair struct{ a, b Location }
	seen := map[pair]bool{}
	var out []Race
	for _, r := range rs {
		p := pair{r.Access[0].At, r.Access[1].At}
		if p.b.String() < p.a.String() {
			p.a, p.b = p.b, p.a
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, r)
		}
	}
	return out
}

// distinctLeaks keeps the first report of each leaked goroutine's place:
// the subtests of a table each leak the same goroutine.
func distinctLeaks(ls []Leak) []Leak {
	type place struct {
		at, created Location
		state       string
	}
	seen := map[place]bool{}
	var out []Leak
	for _, l := range ls {
		p := place{l.Goroutine.At, l.Goroutine.Created, l.Goroutine.State}
		if !seen[p] {
			seen[p] = true
			out = append(out, l)
		}
	}
	return out
}

func relativeAll(lines []string, root string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = relative(l, root)
	}
	return out
}

// sourceLine returns the trimmed source line at loc under root, or "".
func sourceLine(root string, loc Location) string {
	if root == "" || loc.IsZero() {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(loc.File)))
	if err != nil {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	if loc.Line < 1 || loc.Line > len(lines) {
		return ""
	}
	return strings.TrimSpace(lines[loc.Line-1])
}

// goroutine describes st in the student's terms; ok is false if no frame
// of it is in the student's code.
func (s scope) goroutine(st stack) (Goroutine, bool) {
	g := Goroutine{ID: st.id, State: blockedState(st.state)}
	for _, f := range st.frames {
		if loc, ok := s.student(f); ok {
			g.Calls = append(g.Calls, loc)
		}
	}
	if loc, ok := s.student(st.createdBy); ok {
		g.Created = loc
	}
	if len(g.Calls) == 0 {
		return g, false
	}
	g.At = g.Calls[0]
	return g, true
}

// blockedState returns the first part of a goroutine's state: "chan
// receive" for "chan receive (durable), synctest bubble 1, 2 minutes".
func blockedState(state string) string {
	state, _, _ = strings.Cut(state, ",")
	state = strings.TrimSuffix(state, " (durable)")
	return strings.TrimSpace(state)
}

// leaks reads goleak's report in lines.
func leaks(s scope, test string, lines []string) []Leak {
	start := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "found unexpected goroutines") })
	if start < 0 {
		return nil
	}
	var out []Leak
	for _, st := range parseStacks(lines[start:]) {
		g, ok := s.goroutine(st)
		if !ok {
			// Not in the student's code: say where it is anyway.
			if len(st.frames) > 0 {
				g.At = Location{Func: shortFunc(st.frames[0].fn)}
			}
		}
		out = append(out, Leak{Test: test, Goroutine: g, Cause: leakCause(g)})
	}
	return out
}

// hangs finds the tests that did not finish and where they were stuck.
func hangs(s scope, r Result) []Hang {
	var out []Hang
	all := allLines(r)
	stacks := parseStacks(all)
	stuck := func(test string, preferHangcheck bool) []Goroutine {
		return stuckGoroutines(s, stacks, test, preferHangcheck)
	}
	add := func(h Hang) {
		h.Cause = hangCause(h.Stuck)
		out = append(out, h)
	}

	if st := r.Stopped; st != nil {
		how := HowStopped
		if st.Idle {
			how = HowIdle
		}
		if st.Reported {
			how = "a call it made did not return: " + hangcheckLine(r, st.Test)
		}
		add(Hang{Test: st.Test, How: how, After: st.After, Stuck: stuck(st.Test, st.Reported)})
		return out
	}
	for _, t := range r.Tests {
		if line := hangcheckLine(r, t.Name); line != "" {
			add(Hang{Test: t.Name, How: "a call it made did not return: " + line, Stuck: stuck(t.Name, true)})
		}
	}
	for i, line := range all {
		switch {
		case strings.HasPrefix(line, "panic: test timed out"):
			tests := timedOut(all[i+1:])
			for _, t := range tests {
				add(Hang{Test: t, How: "go test's timeout: " + strings.TrimPrefix(line, "panic: "), Stuck: stuck(t, false)})
			}
			if len(tests) == 0 {
				add(Hang{How: "go test's timeout: " + strings.TrimPrefix(line, "panic: "), Stuck: stuck("", false)})
			}
		case strings.HasPrefix(line, "fatal error: all goroutines are asleep"):
			add(Hang{Test: runningTest(r), How: "the Go runtime: every goroutine was blocked", Stuck: stuck("", false)})
		case strings.HasPrefix(strings.TrimSpace(line), "panic: deadlock: "+bubbleBlocked):
			add(Hang{Test: testOfLine(r, line), How: "synctest: " + bubbleBlocked, Stuck: stuck("", false)})
		}
	}
	return out
}

// Hang.How for a test that Test stopped: one that ran past
// Options.HangAfter, and one whose goroutines all sat waiting (no CPU
// used) past Options.IdleAfter.
const (
	HowStopped = "it ran too long without finishing, so the tests were stopped"
	HowIdle    = "every goroutine sat waiting and nothing ran, so the tests were stopped"
)

// bubbleLeak is how synctest says that a test's function returned while
// goroutines it started were still blocked: a leak, found at once.
const bubbleLeak = "main bubble goroutine has exited but blocked goroutines remain"

// bubbleBlocked is how synctest says that every goroutine in a bubble
// was blocked: a deadlock. Both messages follow "panic: deadlock: ", and
// only they: a package of the student's own (the deadlock exercise's)
// may start its panics with "deadlock: " too.
const bubbleBlocked = "all goroutines in bubble are blocked"

// bubbleLeaks reads synctest's reports of goroutines left blocked when a
// bubble's function returned.
func bubbleLeaks(s scope, r Result) []Leak {
	var out []Leak
	for _, t := range r.Tests {
		i := slices.IndexFunc(t.Output, func(l string) bool { return strings.Contains(l, bubbleLeak) })
		if i < 0 {
			continue
		}
		for _, st := range parseStacks(t.Output[i+1:]) {
			if g, ok := s.goroutine(st); ok && g.State != "running" {
				out = append(out, Leak{Test: t.Name, Goroutine: g, Cause: leakCause(g)})
			}
		}
	}
	return out
}

// hangcheckLine returns the hangcheck message in test's output, or "".
func hangcheckLine(r Result, test string) string {
	for _, t := range r.Tests {
		if t.Name != test {
			continue
		}
		for _, l := range t.Output {
			if strings.Contains(l, HangcheckMark) {
				if m := testMessage.FindStringSubmatch(l); m != nil {
					return m[3]
				}
				return strings.TrimSpace(l)
			}
		}
	}
	return ""
}

// allLines returns everything the tests printed: each test's output in
// start order, then the package's.
func allLines(r Result) []string {
	var all []string
	for _, t := range r.Tests {
		all = append(all, t.Output...)
	}
	return append(all, r.Package...)
}

// timedOut reads the tests go test's timeout names: "running tests:",
// then one "TestX (10s)" per line.
func timedOut(lines []string) []string {
	var tests []string
	for i, l := range lines {
		if strings.TrimSpace(l) != "running tests:" {
			continue
		}
		for _, t := range lines[i+1:] {
			f := strings.Fields(t)
			if len(f) == 0 {
				break
			}
			tests = append(tests, f[0])
		}
		break
	}
	return tests
}

// runningTest returns the last test that never ended, or "".
func runningTest(r Result) string {
	for i := len(r.Tests) - 1; i >= 0; i-- {
		if r.Tests[i].Outcome == Interrupted {
			return r.Tests[i].Name
		}
	}
	return ""
}

// testOfLine returns the test whose output holds line, or "".
func testOfLine(r Result, line string) string {
	for _, t := range r.Tests {
		if slices.Contains(t.Output, line) {
			return t.Name
		}
	}
	return ""
}

// stuckGoroutines returns the goroutines of stacks that are in the
// student's code, the likeliest culprit first: one that runs the test
// (its stack holds the test's function) or, for a hangcheck bound, the
// call hangcheck waited for.
func stuckGoroutines(s scope, stacks []stack, test string, preferHangcheck bool) []Goroutine {
	type ranked struct {
		g    Goroutine
		rank int
	}
	var rs []ranked
	seen := map[int]bool{}
	top, _, _ := strings.Cut(test, "/")
	for _, st := range stacks {
		if seen[st.id] {
			continue // the same goroutine in a second dump
		}
		g, ok := s.goroutine(st)
		if !ok {
			continue
		}
		seen[st.id] = true
		rank := 2
		for _, f := range append(st.frames, st.createdBy) {
			if _, ok := s.test(f); ok && top != "" && (shortFunc(f.fn) == top || strings.HasPrefix(shortFunc(f.fn), top+".")) {
				rank = 0
				break
			}
			if preferHangcheck && strings.Contains(f.fn, "hangcheck.within") || strings.Contains(f.fn, "hangcheck.Within") {
				rank = 1
			}
		}
		rs = append(rs, ranked{g, rank})
	}
	// When some goroutines are the test's own, the others (another test's,
	// still stuck from before) are noise.
	if slices.ContainsFunc(rs, func(r ranked) bool { return r.rank == 0 }) {
		rs = slices.DeleteFunc(rs, func(r ranked) bool { return r.rank > 0 })
	}
	slices.SortStableFunc(rs, func(a, b ranked) int { return a.rank - b.rank })
	var out []Goroutine
	for _, r := range rs {
		out = append(out, r.g)
	}
	return out
}

// crash finds a panic or fatal error that is not a hang.
func crash(s scope, r Result) *Crash {
	all := allLines(r)
	for i, line := range all {
		t := strings.TrimSpace(line)
		if !(strings.HasPrefix(t, "panic: ") || strings.HasPrefix(t, "fatal error: ")) || isHangLine(t) {
			continue
		}
		c := &Crash{Test: testOfLine(r, line), Message: cutRecovered(t)}
		if c.Test == "" {
			c.Test = runningTest(r)
		}
		// The first goroutine in the dump is the one that crashed.
		if stacks := parseStacks(all[i+1:]); len(stacks) > 0 {
			if g, ok := s.goroutine(stacks[0]); ok {
				c.At = g.At
			}
		}
		return c
	}
	return nil
}

// isHangLine reports whether line is how go test, the runtime or synctest
// announce a hang.
func isHangLine(line string) bool {
	return strings.HasPrefix(line, "panic: test timed out") ||
		strings.HasPrefix(line, "panic: deadlock: "+bubbleBlocked) ||
		strings.HasPrefix(line, "panic: deadlock: "+bubbleLeak) ||
		strings.HasPrefix(line, "fatal error: all goroutines are asleep")
}

// cutRecovered drops the " [recovered]" and " [recovered, repanicked]"
// notes the testing package adds to a panic message.
func cutRecovered(line string) string {
	if i := strings.Index(line, " [recovered"); i >= 0 {
		return line[:i]
	}
	return line
}

// tail returns the last n non-blank lines, without the go command's FAIL
// lines.
func tail(lines []string, n int) []string {
	var kept []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "FAIL\t") && l != "FAIL" {
			kept = append(kept, l)
		}
	}
	return kept[max(len(kept)-n, 0):]
}

// trimBlank drops leading and trailing blank lines.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil
	}
	return lines
}
