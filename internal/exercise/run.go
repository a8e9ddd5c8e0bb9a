// Package exercise runs an exercise's tests and explains the outcome, and
// verifies that the workbook's exercises are sound: that each stub compiles
// and fails its tests, that each solution passes them under the race
// detector, and that each known-wrong variant is rejected.
//
// Tests run in a child "go test -json" process owned by the caller's
// context: cancelling the context kills it, and every function here waits
// for it before returning.
package exercise

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Options says how to run a package's tests.
type Options struct {
	Race    bool          // build with -race
	Overlay string        // path of a -overlay file, or ""
	Run     string        // go test -run pattern, or "" for every test
	Timeout time.Duration // go test -timeout; 0 means 2 minutes
}

// Result is the outcome of one "go test" run of one package.
type Result struct {
	Built    bool     // the package and its tests compiled
	Passed   bool     // every test passed
	Failed   []string // tests that failed, in the order they failed
	Race     bool     // the race detector reported a data race
	Deadlock bool     // a test reported a deadlock or hang, or the binary timed out
	Leak     bool     // goleak reported goroutines still running
	Crashed  bool     // the test binary died (a panic in a goroutine, a fatal error) during the tests in Failed
	Output   string   // everything the build and the tests printed
}

// Test runs the tests of the package in dir (a path relative to the module
// root, such as "exercises/mutex") and reports what happened. The error is
// non-nil only when the tests could not be run at all (no go command, or ctx
// done); failing tests and build failures are reported in the Result.
func Test(ctx context.Context, root, dir string, opt Options) (Result, error) {
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	args := []string{"test", "-json", "-timeout", timeout.String()}
	if opt.Race {
		args = append(args, "-race")
	}
	if opt.Overlay != "" {
		args = append(args, "-overlay", opt.Overlay)
	}
	if opt.Run != "" {
		args = append(args, "-run", opt.Run)
	}
	args = append(args, "./"+strings.TrimPrefix(dir, "./"))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "GORACE=atexit_sleep_ms=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output() // waits for the child, killed if ctx is done
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return Result{}, fmt.Errorf("go test %s: %w", dir, err)
	}
	r := parse(out)
	r.Output = stderr.String() + r.Output
	if err == nil && !r.Passed {
		return r, fmt.Errorf("go test %s: exit status 0 but no passing result in its output", dir)
	}
	if err != nil {
		r.Passed = false
	}
	if strings.Contains(stderr.String(), "build failed") || strings.Contains(stderr.String(), "setup failed") {
		r.Built = false
	}
	return r, nil
}

// event is one line of "go test -json" (see "go doc test2json").
type event struct {
	Action string
	Test   string
	Output string
}

// parse reads the output of "go test -json" for a single package.
func parse(out []byte) Result {
	r := Result{Built: true}
	var text strings.Builder
	var running []string // tests started and not yet ended, in start order
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			text.Write(sc.Bytes()) // not JSON: keep it as it came
			text.WriteByte('\n')
			continue
		}
		switch e.Action {
		case "build-output", "output":
			text.WriteString(e.Output)
		case "build-fail":
			r.Built = false
		case "run":
			running = append(running, e.Test)
		case "fail":
			if e.Test != "" && !slices.Contains(r.Failed, e.Test) {
				r.Failed = append(r.Failed, e.Test)
			}
		case "pass":
			if e.Test == "" {
				r.Passed = true
			}
		}
		switch e.Action {
		case "pass", "fail", "skip":
			running = slices.DeleteFunc(running, func(t string) bool { return t == e.Test })
		}
	}
	// A panic in a goroutine, or a fatal error, ends the test binary at
	// once: no test reports failing, only the package. The tests still
	// running then are the ones it happened in.
	if !r.Passed && len(running) > 0 {
		r.Crashed = true
		for _, t := range running {
			if !slices.Contains(r.Failed, t) {
				r.Failed = append(r.Failed, t)
			}
		}
	}
	r.Output = text.String()
	o := r.Output
	r.Race = strings.Contains(o, "WARNING: DATA RACE")
	r.Deadlock = strings.Contains(o, "panic: test timed out") ||
		strings.Contains(o, "deadlock: ") ||
		strings.Contains(o, "all goroutines are asleep") ||
		strings.Contains(o, "did not return within")
	r.Leak = strings.Contains(o, "found unexpected goroutines")
	if strings.Contains(o, "[build failed]") || strings.Contains(o, "[setup failed]") {
		r.Built = false
	}
	return r
}
