package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/exercise"
)

// The headings of a verdict, in the order it gives them. Each explains a
// kind of failure to someone who has not met it before.
const (
	verdictVet      = "go vet found a bug (go test runs only a few of vet's checks, so the tests may not say it):"
	verdictBuild    = "Does not compile. The compiler (or go vet, which go test runs first) says:"
	verdictDeadlock = "Deadlock or hang: a test did not finish. A goroutine waits for something that never\nhappens: a lock never unlocked, a send or receive nobody answers, a Wait never ended."
	verdictRace     = "Data race detected: two goroutines used the same memory at the same time, at least\none of them writing, and nothing (a mutex, a channel, a WaitGroup) ordered the two."
	verdictCrash    = "Crashed: a test panicked, or the Go runtime stopped the program."
	verdictLeak     = "Leaked goroutines: goroutines were still running after a test ended. Every\ngoroutine needs a signal to stop, and someone who waits until it has."
	verdictFailed   = "Failed tests:"
	verdictUnknown  = "The tests failed without naming a failing test. The last lines they printed:"
)

// Limits on how much a verdict quotes; -v shows all of it.
const (
	maxBuildLines  = 20 // compiler errors
	maxRaceLines   = 12 // lines of a race report
	maxRaces       = 3  // distinct races shown
	maxFailedShown = 5  // failed tests shown with their messages
	maxMessages    = 3  // messages shown per failed test
	maxMsgLines    = 8  // lines of one message
	maxStuck       = 4  // goroutines shown per hang
	maxLeaks       = 4  // leaked goroutines shown
)

// render explains a grade: one line for a pass; for a failure, a section
// for each kind of problem (vet, build, hang, race, crash, leak) and each
// failed test with its own messages and file:line. verbose adds what the
// short form leaves out (diffs, whole race reports, every message); it
// never takes anything away.
//
// An exercise tested in several builds (g.also) gets a verdict for each,
// the default build's first, each headed with its build.
func render(g grade, verbose bool) string {
	var b strings.Builder
	detailed := false // some build's verdict has sections, and -v would add to them
	for i, part := range append([]grade{g}, g.also...) {
		text, sections := renderBuild(part, verbose)
		if i > 0 && (sections || detailed) {
			b.WriteString("\n")
		}
		b.WriteString(text)
		detailed = detailed || sections
	}
	if detailed && !verbose {
		fmt.Fprintf(&b, "\nFor everything the tests printed: go run ./cmd/workbook check -v %s\n", g.name)
	}
	return b.String()
}

// renderBuild explains the grade of one build, as render does, without
// the closing pointer to check -v. It reports whether the verdict has
// sections (a failure, or vet's findings).
func renderBuild(g grade, verbose bool) (string, bool) {
	var b strings.Builder
	d := g.diag
	if d == nil { // a result from the cache: only its few words are left
		if g.passed() {
			return fmt.Sprintf("PASS %s: %s\n", g.label(), g.verdict), false
		}
		return fmt.Sprintf("FAIL %s: %s\n", g.label(), g.verdict), false
	}
	if d.Passed && len(d.Vet) == 0 {
		if g.race {
			fmt.Fprintf(&b, "PASS %s: all tests pass under the race detector\n", g.label())
		} else {
			fmt.Fprintf(&b, "PASS %s: all tests pass, but not checked for races: the race detector is not available here\n", g.label())
		}
		writeSkipped(&b, g.skipped)
		return b.String(), false
	}
	if d.Passed {
		fmt.Fprintf(&b, "PASS %s, but go vet has something to say\n", g.label())
	} else {
		fmt.Fprintf(&b, "FAIL %s\n", g.label())
	}
	writeSkipped(&b, g.skipped)
	section := func(title string, body []string) {
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, line := range body {
			fmt.Fprintln(&b, strings.TrimRight("    "+line, " "))
		}
	}
	limit := func(lines []string, n int) []string {
		if verbose {
			return lines
		}
		return capLines(lines, n)
	}

	if len(d.Vet) > 0 {
		var body []string
		for i, f := range d.Vet {
			body = append(body, fmt.Sprintf("%s: %s", f.At, f.Message))
			// One explanation for a run of findings that share it.
			if f.Explain != "" && (i == len(d.Vet)-1 || d.Vet[i+1].Explain != f.Explain) {
				body = append(body, indent(wrap(f.Explain, 76), "    ")...)
			}
		}
		section(verdictVet, body)
	}
	if d.Build != nil {
		section(verdictBuild, limit(d.Build, maxBuildLines))
	}
	for _, h := range d.Hangs {
		section(verdictDeadlock, hangLines(h, verbose))
	}
	if len(d.Races) > 0 {
		var body []string
		for i, r := range d.Races {
			if i == maxRaces && !verbose {
				body = append(body, fmt.Sprintf("... and %d more races", len(d.Races)-i))
				break
			}
			if i > 0 {
				body = append(body, "")
			}
			body = append(body, raceLines(r, verbose, limit)...)
		}
		section(verdictRace, body)
	}
	if c := d.Crash; c != nil {
		body := []string{c.Message}
		if c.Test != "" {
			body[0] += " (in " + c.Test + ")"
		}
		if !c.At.IsZero() {
			body = append(body, fmt.Sprintf("%s: in %s", c.At, c.At.Func))
		}
		section(verdictCrash, body)
	}
	if len(d.Leaks) > 0 {
		var body []string
		for i, l := range d.Leaks {
			if i == maxLeaks && !verbose {
				body = append(body, fmt.Sprintf("... and %d more", len(d.Leaks)-i))
				break
			}
			body = append(body, leakLines(l)...)
		}
		section(verdictLeak, body)
	}
	if len(d.Failures) > 0 {
		var body []string
		for i, f := range d.Failures {
			if i == maxFailedShown && !verbose {
				var rest []string
				for _, f := range d.Failures[i:] {
					rest = append(rest, f.Test)
				}
				body = append(body, "also failed: "+strings.Join(rest, ", "))
				break
			}
			body = append(body, failureLines(f, d, verbose)...)
		}
		section(verdictFailed, body)
	}
	if d.Other != nil {
		section(verdictUnknown, d.Other)
	}
	return b.String(), true
}

// writeSkipped says which tests skipped and why, one line per reason:
// "    3 tests skipped: this CPU has no AVX2 ...".
func writeSkipped(b *strings.Builder, skipped []string) {
	var reasons []string
	count := map[string]int{}
	first := map[string]string{}
	for _, s := range skipped {
		name, why, _ := strings.Cut(s, ": ")
		if count[why] == 0 {
			reasons = append(reasons, why)
			first[why] = name
		}
		count[why]++
	}
	for _, why := range reasons {
		if count[why] == 1 {
			fmt.Fprintf(b, "    %s skipped: %s\n", first[why], why)
		} else {
			fmt.Fprintf(b, "    %d tests skipped: %s\n", count[why], why)
		}
	}
}

// hangLines explains a hang: which test, who noticed, where the student's
// goroutines are stuck, and the likely cause.
func hangLines(h exercise.Hang, verbose bool) []string {
	test := h.Test
	if test == "" {
		test = "a test"
	}
	how := h.How
	if h.After > 0 && h.How == exercise.HowStopped {
		how = fmt.Sprintf("it ran for %s without finishing, so the tests were stopped", h.After.Truncate(time.Second))
	}
	lines := []string{fmt.Sprintf("%s did not finish: %s.", test, strings.TrimSuffix(how, "."))}
	if len(h.Stuck) > 0 {
		lines = append(lines, "Where your code is stuck:")
	}
	for i, g := range h.Stuck {
		if i == maxStuck && !verbose {
			lines = append(lines, fmt.Sprintf("  ... and %d more goroutines", len(h.Stuck)-i))
			break
		}
		lines = append(lines, fmt.Sprintf("  %s: %s, waiting (%s)", g.At, g.At.Func, g.State))
		for _, c := range g.Calls[1:] {
			lines = append(lines, fmt.Sprintf("      called from %s: %s", c, c.Func))
		}
	}
	return append(lines, wrap("Likely cause: "+h.Cause, 80)...)
}

// raceLines explains a race in one sentence with the source of each line,
// then the start of the race detector's report.
func raceLines(r exercise.Race, verbose bool, limit func([]string, int) []string) []string {
	a, b := r.Access[0], r.Access[1]
	var lines []string
	switch {
	case a.At.IsZero():
		lines = append(lines, "(not in your code: see the report)")
	case b.At.IsZero() || b.At == a.At:
		lines = append(lines, wrap(fmt.Sprintf("Line %d of %s%s runs in two goroutines at once, at least one of them writing, and nothing orders them.",
			a.At.Line, a.At.File, quoteSource(a.Source)), 80)...)
	default:
		where := fmt.Sprintf("line %d", b.At.Line)
		if b.At.File != a.At.File {
			where += " of " + b.At.File
		}
		lines = append(lines, wrap(fmt.Sprintf("Line %d of %s%s %s while %s%s %s in another goroutine, and nothing orders the two.",
			a.At.Line, a.At.File, quoteSource(a.Source), verb(a), where, quoteSource(b.Source), verb(b)), 80)...)
	}
	if r.Test != "" {
		lines = append(lines, "(in "+r.Test+")")
	}
	lines = append(lines, "The race detector's report begins:")
	lines = append(lines, indent(limit(r.Report, maxRaceLines), "  ")...)
	return lines
}

func verb(a exercise.Access) string {
	if a.Write {
		return "writes"
	}
	return "reads"
}

// quoteSource returns " (`src`)", or "" if src is empty or has a backquote.
func quoteSource(src string) string {
	if src == "" || strings.Contains(src, "`") {
		return ""
	}
	return " (`" + src + "`)"
}

// leakLines says where a leaked goroutine is, where it was started, and why.
func leakLines(l exercise.Leak) []string {
	g := l.Goroutine
	where := g.At.String()
	if where == "" {
		where = "not in your code (" + g.At.Func + ")"
	}
	line := fmt.Sprintf("%s: %s, still running (%s)", where, g.At.Func, g.State)
	if l.Test != "" {
		line += " after " + l.Test
	} else {
		line += " after the tests"
	}
	lines := []string{line}
	if !g.Created.IsZero() {
		lines = append(lines, fmt.Sprintf("    started at %s: %s", g.Created, g.Created.Func))
	}
	return append(lines, indent(wrap(l.Cause, 76), "    ")...)
}

// failureLines gives a failed test with its messages, each with its
// file:line. A test that hung or crashed says so instead of nothing.
func failureLines(f exercise.Failure, d *exercise.Diagnosis, verbose bool) []string {
	lines := []string{f.Test}
	if len(f.Messages) == 0 {
		switch {
		case slices.ContainsFunc(d.Hangs, func(h exercise.Hang) bool { return h.Test == f.Test }):
			lines = append(lines, "    did not finish (see the hang above)")
		case d.Crash != nil && d.Crash.Test == f.Test:
			lines = append(lines, "    crashed (see above)")
		case slices.ContainsFunc(d.Races, func(r exercise.Race) bool { return r.Test == f.Test }):
			lines = append(lines, "    the race detector found a data race during this test (see above)")
		case slices.ContainsFunc(d.Leaks, func(l exercise.Leak) bool { return l.Test == f.Test }):
			lines = append(lines, "    left goroutines running (see above)")
		case f.Outcome == exercise.Interrupted:
			lines = append(lines, "    was running when the tests ended")
		}
	}
	for i, m := range f.Messages {
		if i == maxMessages && !verbose {
			lines = append(lines, fmt.Sprintf("    ... and %d more messages", len(f.Messages)-i))
			break
		}
		text := m.Text
		if verbose {
			text = append(slices.Clip(text), m.Detail...)
		} else {
			text = capLines(text, maxMsgLines)
		}
		first := ""
		if len(text) > 0 {
			first, text = text[0], text[1:]
		}
		lines = append(lines, fmt.Sprintf("    %s: %s", m.At, first))
		lines = append(lines, indent(text, "        ")...)
	}
	return lines
}

// indent prefixes every line with prefix.
func indent(lines []string, prefix string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = prefix + l
	}
	return out
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// capLines returns lines, or its first n lines and a note of how many
// more there are.
func capLines(lines []string, n int) []string {
	if len(lines) <= n {
		return lines
	}
	return append(slices.Clip(lines[:n]), fmt.Sprintf("... (%d more lines)", len(lines)-n))
}
