package exercise

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// A Finding is one report of go vet about the student's code.
type Finding struct {
	Analyzer string   // "copylocks", "lostcancel", ...
	At       Location // where, relative to the module root
	Message  string   // what go vet said
	Explain  string   // what it means and what to do, in plain words; "" if we have nothing to add
}

// Vet runs go vet's default checks on the package in dir (with
// opt.Overlay, if set) and returns what they found, in file order. go
// test runs only a few of these checks; copylocks and lostcancel name
// concurrency bugs exactly that a test can only see as a wrong result. A
// package that does not compile has no findings: its test run reports the
// compiler's errors.
func Vet(ctx context.Context, root, dir string, opt Options) ([]Finding, error) {
	dir = filepath.ToSlash(filepath.Clean(dir))
	args := []string{"vet", "-json"}
	if opt.Overlay != "" {
		args = append(args, "-overlay", opt.Overlay)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./"+dir)...)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return nil, fmt.Errorf("go vet %s: %w", dir, err)
	}
	// go vet -json prints one JSON object per package (the package, its
	// test variant), each after a "# pkg" comment line.
	out := stdout.String() + "\n" + stderr.String()
	back := overlaid(opt.Overlay)
	s := scope{root: root, dir: dir}
	var found []Finding
	for _, obj := range jsonObjects(out) {
		var report map[string]map[string]json.RawMessage
		if json.Unmarshal([]byte(obj), &report) != nil {
			continue
		}
		for _, analyzers := range report {
			for name, raw := range analyzers {
				var diags []struct {
					Posn    string `json:"posn"`
					Message string `json:"message"`
				}
				if json.Unmarshal(raw, &diags) != nil {
					continue // {"error": ...}: the package did not compile
				}
				for _, d := range diags {
					f := Finding{Analyzer: name, Message: d.Message}
					file, line := posn(d.Posn)
					if orig, ok := back[file]; ok {
						file = orig
					}
					if p := s.rel(file); p != "" {
						f.At = Location{File: p, Line: line}
					} else {
						f.At = Location{File: relative(file, root), Line: line}
					}
					f.Explain = explainVet(name, d.Message)
					if !slices.Contains(found, f) {
						found = append(found, f)
					}
				}
			}
		}
	}
	slices.SortStableFunc(found, func(a, b Finding) int {
		if c := strings.Compare(a.At.File, b.At.File); c != 0 {
			return c
		}
		return a.At.Line - b.At.Line
	})
	return found, nil
}

// jsonObjects returns the top-level JSON objects in s, skipping the lines
// between them.
func jsonObjects(s string) []string {
	var objs []string
	depth, start := 0, -1
	inString, escaped := false, false
	for i, c := range s {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"' && depth > 0:
			inString = true
		case c == '{':
			if depth == 0 {
				start = i
			}
			depth++
		case c == '}' && depth > 0:
			depth--
			if depth == 0 {
				objs = append(objs, s[start:i+1])
			}
		}
	}
	return objs
}

// posn splits "file.go:12:6" into the file and the line.
func posn(p string) (string, int) {
	parts := strings.Split(p, ":")
	if len(parts) < 3 {
		return p, 0
	}
	line, _ := strconv.Atoi(parts[len(parts)-2])
	return strings.Join(parts[:len(parts)-2], ":"), line
}

// overlaid maps each replacement file of an overlay back to the file it
// stands for.
func overlaid(overlay string) map[string]string {
	back := map[string]string{}
	if overlay == "" {
		return back
	}
	data, err := os.ReadFile(overlay)
	if err != nil {
		return back
	}
	var o struct{ Replace map[string]string }
	if json.Unmarshal(data, &o) != nil {
		return back
	}
	for orig, repl := range o.Replace {
		back[repl] = orig
	}
	return back
}

// explainVet says what a go vet finding means for concurrent code.
func explainVet(analyzer, msg string) string {
	switch analyzer {
	case "copylocks":
		if strings.Contains(msg, "passes lock by value") {
			return "The method gets a copy of the struct, mutex and all: it locks the copy's mutex and changes the copy, so nothing is guarded and updates vanish. Use a pointer receiver (func (a *T) ...) and pass the struct by pointer."
		}
		return "A sync.Mutex (or a struct holding one) is copied: the copy has its own lock, so it guards nothing the original guards. Pass and store it by pointer."
	case "lostcancel":
		return "The cancel function of context.WithCancel, WithTimeout or WithDeadline is not called on every path, so the context's resources live until its parent ends. Write defer cancel() right after creating it."
	case "testinggoroutine":
		return "t.Fatal and t.FailNow stop only the goroutine that calls them, and must be called from the test's own goroutine; from another goroutine, report with t.Error and return."
	case "loopclosure":
		return "A goroutine started in a loop uses the loop variable; since Go 1.22 each iteration has its own, but check the goroutine sees the value you mean."
	case "unusedresult":
		return "The result of this call is thrown away, so the call does nothing useful."
	case "atomic":
		return "x = atomic.AddInt64(&x, 1) assigns to x again, without the atomic operation's protection: call atomic.AddInt64(&x, 1) on its own, or use atomic.Int64."
	}
	return ""
}
