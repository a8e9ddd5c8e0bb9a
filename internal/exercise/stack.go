package exercise

import (
	"regexp"
	"strconv"
	"strings"
)

// This file reads the stacks Go prints: a goroutine dump (a panic, go
// test's timeout, SIGQUIT, "all goroutines are asleep"), a race report's
// accesses and goleak's leaked goroutines all list frames the same way, a
// function line followed by a file:line line.

// A Location is a place in the source: a file relative to the module
// root, a line, and the function there without its package path.
type Location struct {
	File string // "exercises/mutex/mutex.go", slash-separated
	Line int
	Func string // "(*Account).Withdraw", "Count.func1"
}

// IsZero reports whether l names no place.
func (l Location) IsZero() bool { return l.File == "" }

// String returns "file:line", or "" for no place.
func (l Location) String() string {
	if l.IsZero() {
		return ""
	}
	return l.File + ":" + strconv.Itoa(l.Line)
}

// A frame is one entry of a stack.
type frame struct {
	fn   string // full function name, with its package path
	file string // the file as printed: absolute, or relative
	line int
}

// A stack is one goroutine's stack as Go prints it.
type stack struct {
	id        int
	state     string  // "sync.Mutex.Lock", "chan receive"; "" if not printed
	frames    []frame // innermost first
	createdBy frame   // the go statement that started it; zero if not printed
}

var (
	// "goroutine 5 [sync.Mutex.Lock, 1 minutes]:", and as SIGQUIT prints
	// it, "goroutine 1 gp=0xc0000081e0 m=nil [chan receive]:".
	dumpHeader = regexp.MustCompile(`^goroutine (\d+)(?: gp=\S+)?(?: m=\S+)?(?: mp=\S+)? \[([^\]]*)\]:$`)
	// goleak: "[Goroutine 21 in state chan receive, with x.f on top of the stack:"
	// (the state may go on: "chan receive (durable), synctest bubble 3").
	leakHeader = regexp.MustCompile(`^\[?\s*Goroutine (\d+) in state (.+?), with \S+ on top of the stack:$`)
	// A frame's file line: "\t/root/a/b.go:25 +0x2e", with SIGQUIT's
	// " fp=0x... sp=0x... pc=0x..." after it.
	fileLine = regexp.MustCompile(`^\s+(\S+\.(?:go|s)):(\d+)(?: \+0x[0-9a-f]+)?(?: fp=\S+ sp=\S+ pc=\S+)?$`)
	// "created by testing.(*T).Run in goroutine 1"
	createdLine = regexp.MustCompile(`^\s*created by (\S+)(?: in goroutine \d+)?$`)
)

// parseStacks reads every goroutine in a dump or in goleak's report from
// lines, in order. Lines that are neither headers nor frames end a stack.
func parseStacks(lines []string) []stack {
	var (
		out []stack
		cur *stack
		fn  string // a function line waiting for its file line
	)
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, raw := range lines {
		line := strings.TrimRight(raw, " \t")
		trimmed := strings.TrimSpace(line)
		if m := dumpHeader.FindStringSubmatch(trimmed); m != nil {
			flush()
			id, _ := strconv.Atoi(m[1])
			cur = &stack{id: id, state: m[2]}
			fn = ""
			continue
		}
		if m := leakHeader.FindStringSubmatch(trimmed); m != nil {
			flush()
			id, _ := strconv.Atoi(m[1])
			cur = &stack{id: id, state: m[2]}
			fn = ""
			continue
		}
		if cur == nil {
			continue
		}
		if m := fileLine.FindStringSubmatch(line); m != nil && fn != "" {
			n, _ := strconv.Atoi(m[2])
			if created, ok := strings.CutPrefix(fn, "\x00created "); ok {
				cur.createdBy = frame{fn: created, file: m[1], line: n}
			} else {
				cur.frames = append(cur.frames, frame{fn: fn, file: m[1], line: n})
			}
			fn = ""
			continue
		}
		if m := createdLine.FindStringSubmatch(line); m != nil {
			fn = "\x00created " + m[1]
			continue
		}
		if trimmed == "" || trimmed == "]" {
			flush()
			continue
		}
		if strings.HasSuffix(trimmed, ")") || strings.HasSuffix(trimmed, "...)") {
			fn = trimmed // a function line: "pkg.F(0x1, ...)"
			continue
		}
		flush() // anything else ends the dump
	}
	flush()
	return out
}

// accessFrames reads the frames of one access in a race report (the lines
// after "Read at 0x... by goroutine 7:", up to a blank line).
func accessFrames(lines []string) []frame {
	var out []frame
	fn := ""
	for _, line := range lines {
		t := strings.TrimSpace(line)
		if t == "" {
			break
		}
		if m := fileLine.FindStringSubmatch(line); m != nil && fn != "" {
			n, _ := strconv.Atoi(m[2])
			out = append(out, frame{fn: fn, file: m[1], line: n})
			fn = ""
			continue
		}
		fn = t
	}
	return out
}

// shortFunc drops the package path and the arguments from a function line:
// "github.com/x/exercises/mutex.(*Account).Withdraw(0xc000012345)" is
// "(*Account).Withdraw".
func shortFunc(fn string) string {
	if strings.HasSuffix(fn, ")") {
		if i := strings.LastIndex(fn, "("); i > 0 {
			fn = fn[:i]
		}
	}
	if i := strings.LastIndex(fn, "/"); i >= 0 {
		fn = fn[i+1:]
	}
	if i := strings.Index(fn, "."); i >= 0 {
		fn = fn[i+1:]
	}
	return fn
}

// A scope says which files belong to the package under test and which of
// them are the student's (not _test.go).
type scope struct {
	root string // absolute module root
	dir  string // the package's directory relative to root, slash-separated
}

// rel returns file relative to the module root if it is in the package
// under test, and "" otherwise.
func (s scope) rel(file string) string {
	p := strings.ReplaceAll(file, "\\", "/")
	dir := s.dir + "/"
	if root := strings.ReplaceAll(s.root, "\\", "/"); root != "" {
		if r, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/")+"/"); ok {
			p = r
		}
	}
	if strings.HasPrefix(p, dir) {
		if strings.Contains(p[len(dir):], "/") {
			return ""
		}
		return p
	}
	if i := strings.LastIndex(p, "/"+dir); i >= 0 && !strings.Contains(p[i+1+len(dir):], "/") {
		return p[i+1:]
	}
	return ""
}

// student returns the location of f if it is in the student's code (the
// package's non-test files).
func (s scope) student(f frame) (Location, bool) {
	p := s.rel(f.file)
	if p == "" || strings.HasSuffix(p, "_test.go") {
		return Location{}, false
	}
	return Location{File: p, Line: f.line, Func: shortFunc(f.fn)}, true
}

// test returns the location of f if it is in the package's test files.
func (s scope) test(f frame) (Location, bool) {
	p := s.rel(f.file)
	if p == "" || !strings.HasSuffix(p, "_test.go") {
		return Location{}, false
	}
	return Location{File: p, Line: f.line, Func: shortFunc(f.fn)}, true
}
