package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/exercise"
)

// The verdicts, in the order a summary gives them. Each explains a kind of
// failure to someone who has not met it before.
const (
	verdictBuild    = "Does not compile. The compiler (or go vet, which go test runs first) says:"
	verdictRace     = "Data race detected: two goroutines used the same memory at the same time, at least\none of them writing, and nothing (a mutex, a channel, a WaitGroup) ordered the two."
	verdictDeadlock = "Deadlock or hang: a test did not finish. Look for a lock that is never unlocked,\na send or receive that nobody answers, or a Wait for something that never happens."
	verdictCrash    = "Crashed: a test panicked, or the Go runtime stopped the program."
	verdictLeak     = "Leaked goroutines: goroutines were still running after a test ended. Every\ngoroutine needs a signal to stop, and someone who waits until it has."
	verdictFailed   = "Failed tests:"
	verdictUnknown  = "The tests failed without naming a failing test. The last lines they printed:"
)

// Limits on how much of the output a summary quotes; -v shows all of it.
const (
	maxCompileLines = 20 // compiler errors
	maxRaceLines    = 12 // lines of the first race report
	maxFailedShown  = 5  // failed tests shown with their messages
	maxTestLines    = 10 // lines of one failed test's own output
	maxTailLines    = 15 // last lines, when nothing else explains the failure
	maxSites        = 6  // places in the exercise's code, per verdict
)

// summarize explains the outcome of testing exercises/<name> in the module
// at root: one line for a pass; for a failure, a section for each kind of
// failure seen (build, race, deadlock, crash, leak) and each failed test's
// own messages. race says whether the tests ran under the race detector.
func summarize(root, name string, r exercise.Result, race bool) string {
	var b strings.Builder
	if r.Passed {
		if race {
			fmt.Fprintf(&b, "PASS %s: all tests pass under the race detector\n", name)
		} else {
			fmt.Fprintf(&b, "PASS %s: all tests pass, but unverified for data races: the race detector is not available here\n", name)
		}
		return b.String()
	}

	fmt.Fprintf(&b, "FAIL %s\n", name)
	section := func(title string, body []string) {
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, line := range body {
			fmt.Fprintln(&b, strings.TrimRight("    "+line, " "))
		}
	}
	lines := strings.Split(relative(r.Output, root), "\n")
	explained := false
	if !r.Built {
		section(verdictBuild, compileErrors(lines))
		explained = true
	}
	if r.Race {
		section(verdictRace, raceDetails(root, lines, name))
		explained = true
	}
	var running []string // tests a timeout interrupted
	if r.Deadlock {
		var details []string
		details, running = deadlockDetails(lines, name)
		section(verdictDeadlock, details)
		explained = true
	}
	if details := crashDetails(lines, name); details != nil {
		section(verdictCrash, details)
		explained = true
	}
	if r.Leak {
		section(verdictLeak, leakDetails(lines, name))
		explained = true
	}
	failed := r.Failed
	for _, t := range running {
		if !slices.Contains(failed, t) {
			failed = append(slices.Clip(failed), t)
		}
	}
	if len(failed) > 0 {
		byTest := testLines(lines)
		var body []string
		for i, t := range failed {
			if i == maxFailedShown {
				body = append(body, "also failed: "+strings.Join(failed[i:], ", "))
				break
			}
			body = append(body, t)
			for _, line := range capLines(dropTestifyNoise(byTest[t]), maxTestLines) {
				body = append(body, "    "+line)
			}
		}
		section(verdictFailed, body)
		explained = true
	}
	if !explained {
		section(verdictUnknown, tail(lines, maxTailLines))
	}
	fmt.Fprintf(&b, "\nFor everything the tests printed: go run ./cmd/workbook check -v %s\n", name)
	return b.String()
}

// relative rewrites the paths under root in output as paths relative to
// root, as the compiler already prints them.
func relative(output, root string) string {
	if root == "" {
		return output
	}
	output = strings.ReplaceAll(output, root+string(filepath.Separator), "")
	return strings.ReplaceAll(output, filepath.ToSlash(root)+"/", "")
}

// compileErrors returns the compiler's (or vet's) messages, without the
// go command's headers and FAIL lines.
func compileErrors(lines []string) []string {
	var errs []string
	for _, line := range lines {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "FAIL") {
			continue
		}
		errs = append(errs, line)
	}
	return capLines(errs, maxCompileLines)
}

// raceLine matches the first line of one access in a race report:
// "Read at 0x00c000018258 by goroutine 10:", "Previous write at ... by main
// goroutine:".
var raceLine = regexp.MustCompile(`^((?:Previous )?[A-Za-z ]+?) at 0x[0-9a-f]+ by (.+):$`)

// raceDetails returns, for the first race report in lines, where each of
// the two accesses happened in the exercise's code, then the report's
// first lines.
func raceDetails(root string, lines []string, name string) []string {
	start := slices.Index(lines, "WARNING: DATA RACE")
	if start < 0 {
		return nil
	}
	report := lines[start:]
	if end := slices.Index(report, "=================="); end >= 0 {
		report = report[:end]
	}
	accesses := sites(report, name, func(line string) (string, bool) {
		if strings.HasPrefix(line, " ") || !strings.HasSuffix(line, ":") {
			return "", false
		}
		if m := raceLine.FindStringSubmatch(line); m != nil {
			return strings.ToLower(m[1]) + " by " + m[2], true
		}
		return "", true // "Goroutine 10 (running) created at:": not an access
	})
	var details []string
	if plain := racePlainly(root, accesses); plain != "" {
		details = append(details, strings.Split(plain, "\n")...)
		details = append(details, "")
	}
	details = append(details, formatSites(accesses)...)

	// The report's first lines are the two accesses; where the goroutines
	// were started follows, and matters less.
	head := report
	if i := slices.IndexFunc(head, func(l string) bool { return strings.HasPrefix(l, "Goroutine ") }); i >= 0 {
		head = head[:i]
	}
	for len(head) > 0 && strings.TrimSpace(head[len(head)-1]) == "" {
		head = head[:len(head)-1]
	}
	details = append(details, "The race detector's report begins:")
	for _, line := range capLines(head, maxRaceLines) {
		details = append(details, "  "+line)
	}
	if n := countLines(lines, "WARNING: DATA RACE"); n > 1 {
		details = append(details, fmt.Sprintf("(%d race reports in all)", n))
	}
	return details
}

// racePlainly says in one sentence where the exercise's code raced, with
// the source of each line: "Line 10 of exercises/racy/racy.go (`total++`)
// runs in two goroutines at once, at least one writing, and nothing orders
// them." It uses the first two accesses in the exercise's code, and
// returns "" if there are none.
func racePlainly(root string, accesses []site) string {
	if len(accesses) == 0 {
		return ""
	}
	a := accesses[0]
	file, line := splitFileLine(a.where)
	if len(accesses) == 1 || accesses[1].where == a.where {
		return fmt.Sprintf("Line %s of %s%s runs in two goroutines at once, at least one of them\nwriting, and nothing orders them.", line, file, quoteSource(root, a.where))
	}
	b := accesses[1]
	bfile, bline := splitFileLine(b.where)
	where := "line " + bline
	if bfile != file {
		where += " of " + bfile
	}
	return fmt.Sprintf("Line %s of %s%s %s while %s%s %s in another goroutine,\nand nothing orders the two.",
		line, file, quoteSource(root, a.where), accessVerb(a.who), where, quoteSource(root, b.where), accessVerb(b.who))
}

// splitFileLine splits "exercises/racy/racy.go:10" into its file and line.
func splitFileLine(where string) (file, line string) {
	i := strings.LastIndex(where, ":")
	if i < 0 {
		return where, "?"
	}
	return where[:i], where[i+1:]
}

// accessVerb turns the race detector's "previous write by goroutine 7"
// into "writes".
func accessVerb(who string) string {
	who = strings.TrimPrefix(who, "previous ")
	switch {
	case strings.HasPrefix(who, "write"):
		return "writes"
	case strings.HasPrefix(who, "read"):
		return "reads"
	}
	return "runs"
}

// quoteSource returns " (`<the source line>`)" for "file:line" under root,
// or "" if the line cannot be read.
func quoteSource(root, where string) string {
	file, line := splitFileLine(where)
	n, err := strconv.Atoi(line)
	if err != nil || root == "" {
		return ""
	}
	data, err := os.ReadFile(fromSlash(root, file))
	if err != nil {
		return ""
	}
	for i, text := range strings.Split(string(data), "\n") {
		if i+1 == n {
			if text = strings.TrimSpace(text); text != "" && !strings.Contains(text, "`") {
				return " (`" + text + "`)"
			}
			return ""
		}
	}
	return ""
}

// dumpHeader matches the first line of a goroutine in a stack dump:
// "goroutine 5 [sync.Mutex.Lock]:", "goroutine 7 [chan receive (durable),
// synctest bubble 1]:".
var dumpHeader = regexp.MustCompile(`^goroutine (\d+) \[([^\],]+)[^\]]*\]:$`)

// deadlockDetails returns what the runtime or the test framework said
// about a hang and where the exercise's goroutines were stuck, and the
// tests that a timeout interrupted.
func deadlockDetails(lines []string, name string) (details, running []string) {
	start := slices.IndexFunc(lines, isDeadlockLine)
	if start < 0 {
		return nil, nil // reported by the test itself (internal/hangcheck): see its messages
	}
	details = append(details, cutRecovered(lines[start]))
	rest := lines[start+1:]
	if i := slices.IndexFunc(rest, func(l string) bool { return strings.TrimSpace(l) == "running tests:" }); i >= 0 {
		for _, line := range rest[i+1:] {
			f := strings.Fields(line)
			if len(f) == 0 {
				break
			}
			running = append(running, f[0])
		}
		details = append(details, "running tests: "+strings.Join(running, ", "))
	}
	stuck := sites(rest, name, func(line string) (string, bool) {
		m := dumpHeader.FindStringSubmatch(line)
		if m == nil {
			return "", false
		}
		if m[2] == "running" || m[2] == "runnable" {
			return "", true // the goroutine reporting the hang, not a stuck one
		}
		return "goroutine blocked in " + m[2], true
	})
	return append(details, formatSites(stuck)...), running
}

// isDeadlockLine reports whether line is how the test framework or the
// runtime announces a hang.
func isDeadlockLine(line string) bool {
	return strings.HasPrefix(line, "panic: test timed out") ||
		strings.HasPrefix(line, "panic: deadlock: ") ||
		strings.HasPrefix(line, "fatal error: all goroutines are asleep")
}

// crashDetails returns the first panic or fatal error in lines that is not
// a hang, and where the crashing goroutine was in the exercise's code; nil
// if nothing crashed.
func crashDetails(lines []string, name string) []string {
	start := slices.IndexFunc(lines, func(l string) bool {
		return (strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ")) && !isDeadlockLine(l)
	})
	if start < 0 {
		return nil
	}
	details := []string{cutRecovered(lines[start])}
	// The first goroutine in the dump is the one that crashed.
	first := true
	crashed := sites(lines[start+1:], name, func(line string) (string, bool) {
		m := dumpHeader.FindStringSubmatch(line)
		if m == nil {
			return "", false
		}
		who := ""
		if first {
			who = "goroutine " + m[1]
		}
		first = false
		return who, true
	})
	return append(details, formatSites(crashed)...)
}

// cutRecovered drops the " [recovered]" and " [recovered, repanicked]"
// notes the testing package adds to a panic message.
func cutRecovered(line string) string {
	if i := strings.Index(line, " [recovered"); i >= 0 {
		return line[:i]
	}
	return line
}

// leakHeader matches goleak's description of a leaked goroutine.
var leakHeader = regexp.MustCompile(`Goroutine (\d+) in state ([^,]+), with (\S+) on top of the stack:`)

// leakDetails returns where each goroutine goleak found was in the
// exercise's code (or, if nowhere, the function it was in).
func leakDetails(lines []string, name string) []string {
	start := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "found unexpected goroutines") })
	if start < 0 {
		return nil
	}
	var leaked []site
	for i, line := range lines[start:] {
		m := leakHeader.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		s := site{where: m[3], who: "goroutine still running, blocked in " + m[2]}
		for _, l := range lines[start+i+1:] {
			if leakHeader.MatchString(l) {
				break
			}
			if where := exerciseFrame(l, name); where != "" {
				s.where = where
				break
			}
		}
		leaked = append(leaked, s)
	}
	return formatSites(leaked)
}

// A site is a place in the exercise's code where a goroutine was seen,
// and what it was doing there.
type site struct {
	where string // "exercises/mutex/mutex.go:25", relative to the module root
	who   string // "read by goroutine 7", "goroutine blocked in chan receive"
}

// sites walks the stacks in lines. header reports whether a line starts a
// new stack, and how to describe that goroutine ("" to skip its stack).
// Each described stack's first frame in the exercise's code is a site.
func sites(lines []string, name string, header func(line string) (who string, ok bool)) []site {
	var (
		found []site
		who   string // the current stack's description, "" once its site is found
	)
	for _, line := range lines {
		if w, ok := header(line); ok {
			who = w
			continue
		}
		if who == "" {
			continue
		}
		if where := exerciseFrame(line, name); where != "" {
			found = append(found, site{where, who})
			who = ""
		}
	}
	return found
}

// frameLine matches the file line of a stack frame: "\t/root/a/b.go:25
// +0x2e".
var frameLine = regexp.MustCompile(`^\s*(\S.*\.go:\d+)(?: \+0x[0-9a-f]+)?$`)

// exerciseFrame returns the "file:line" of a stack frame line that is in
// exercises/<name>/, relative to the module root; "" otherwise.
func exerciseFrame(line, name string) string {
	m := frameLine.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	p, dir := filepath.ToSlash(m[1]), "exercises/"+name+"/"
	if strings.HasPrefix(p, dir) {
		return p
	}
	if i := strings.LastIndex(p, "/"+dir); i >= 0 {
		return p[i+1:]
	}
	return ""
}

// formatSites returns one line per distinct site, in the order first
// seen, at most maxSites of them.
func formatSites(ss []site) []string {
	var distinct []site
	count := map[site]int{}
	for _, s := range ss {
		if count[s]++; count[s] == 1 {
			distinct = append(distinct, s)
		}
	}
	var out []string
	for _, s := range distinct {
		line := s.where + ": " + s.who
		if n := count[s]; n > 1 {
			line += fmt.Sprintf(" (%d goroutines)", n)
		}
		out = append(out, line)
	}
	return capLines(out, maxSites)
}

// testLines returns the lines each test printed itself ("=== RUN" to
// "--- FAIL"), keyed by test name, with their common indentation removed.
// Race reports and goleak's stacks are left out (they have their own
// sections), and so is everything from the first panic on (a crash ends
// every test).
func testLines(lines []string) map[string][]string {
	byTest := map[string][]string{}
	cur, inRace, inLeak := "", false, false
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch f := strings.Fields(trimmed); {
		case trimmed == "==================":
			inRace = !inRace
			continue
		case inRace:
			continue
		case strings.HasPrefix(trimmed, "[Goroutine "):
			inLeak = true // goleak's stacks: the leak section says where they are
			continue
		case inLeak:
			inLeak = trimmed != "]"
			continue
		case strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") || strings.HasPrefix(line, "goleak: "):
			return trimIndent(byTest)
		case len(f) >= 2 && f[0] == "===" && slices.Contains([]string{"RUN", "CONT", "NAME", "PAUSE"}, f[1]):
			cur = ""
			if len(f) >= 3 && f[1] != "PAUSE" {
				cur = f[2]
			}
			continue
		case len(f) >= 2 && f[0] == "---" && slices.Contains([]string{"PASS:", "FAIL:", "SKIP:"}, f[1]):
			cur = ""
			continue
		}
		if cur != "" {
			byTest[cur] = append(byTest[cur], line)
		}
	}
	return trimIndent(byTest)
}

// goFileLine matches a line that is only a file:line, as in a stack.
var goFileLine = regexp.MustCompile(`^\S+\.go:\d+$`)

// dropTestifyNoise removes the lines of testify failures that repeat what
// the summary already says: "Error Trace:" (the file:line the message
// starts with) with its further frames, and "Test:" (the heading).
func dropTestifyNoise(lines []string) []string {
	var kept []string
	inTrace := false
	for _, l := range lines {
		switch t := strings.TrimSpace(l); {
		case strings.HasPrefix(t, "Error Trace:"):
			inTrace = true
			continue
		case strings.HasPrefix(t, "Test:"):
			inTrace = false
			continue
		case inTrace && goFileLine.MatchString(t):
			continue // a further frame of the trace
		default:
			inTrace = false
		}
		kept = append(kept, l)
	}
	return kept
}

// trimIndent removes from each test's lines the indentation they all
// share, and trailing blank lines.
func trimIndent(byTest map[string][]string) map[string][]string {
	for t, ls := range byTest {
		indent := -1
		for _, l := range ls {
			if strings.TrimSpace(l) == "" {
				continue
			}
			n := len(l) - len(strings.TrimLeft(l, " "))
			if indent < 0 || n < indent {
				indent = n
			}
		}
		for i, l := range ls {
			ls[i] = strings.TrimRight(l[min(max(indent, 0), len(l)):], " \t")
		}
		for len(ls) > 0 && ls[len(ls)-1] == "" {
			ls = ls[:len(ls)-1]
		}
		byTest[t] = ls
	}
	return byTest
}

// tail returns the last n non-blank lines, without the go command's FAIL
// line for the package.
func tail(lines []string, n int) []string {
	var kept []string
	for _, l := range lines {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "FAIL\t") && l != "FAIL" {
			kept = append(kept, l)
		}
	}
	return kept[max(len(kept)-n, 0):]
}

// capLines returns lines, or its first n lines and a note of how many
// more there are.
func capLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(slices.Clip(lines[:n]), fmt.Sprintf("... (%d more lines)", len(lines)-n))
}

// countLines returns how many of lines are exactly s.
func countLines(lines []string, s string) int {
	n := 0
	for _, l := range lines {
		if l == s {
			n++
		}
	}
	return n
}
