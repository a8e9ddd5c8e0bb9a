package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"
	"sync"

	"github.com/concurrency-workbook/workbook/internal/exercise"
)

// A grader tests exercises and remembers the results: the one place where
// check, watch, progress, verify and solution get a verdict. It runs the
// tests under the race detector where there is one, says once (and
// first) when there is not, caches each result under a hash of the
// exercise's files, and never tests an exercise that is still its stub.
// Its methods may be called from several goroutines at once.
type grader struct {
	root  string
	stubs fs.FS     // the original stubs, <exercise>/<file>.go
	notes io.Writer // where the note about the race detector goes

	raceOnce sync.Once // asks go env, once

	mu    sync.Mutex // guards race, prog and noted
	race  bool       // the race detector is available, as far as we know
	prog  *progressFile
	noted bool // the race detector note has been printed
}

func (wb *workbook) grader(root string, notes io.Writer) *grader {
	return &grader{root: root, stubs: wb.stubs, notes: notes, prog: loadProgress(root)}
}

// A grade is what the grader found out about one exercise.
type grade struct {
	name    string
	state   state
	race    bool                // the verdict was reached under the race detector
	verdict string              // a few words, for tables: "pass", "data race, 2 tests fail"
	diag    *exercise.Diagnosis // nil when the verdict came from the cache or no test ran
	output  string              // everything the tests printed; "" unless they ran

	// An exercise with code of its own in another build (simd's
	// GOEXPERIMENT=simd, see exercise.ExtraBuilds) is tested in each:
	// build names the build this grade is from ("" when there is only the
	// default one, "default" or "GOEXPERIMENT=simd" otherwise), also holds
	// the other builds' grades, and state, verdict and output then sum up
	// all of them.
	build   string
	also    []grade
	skipped []string // "TestA/sub: why", the tests that skipped (reported for other builds only)
}

// label names the exercise in a verdict, with the build when it has more
// than one: "simd, GOEXPERIMENT=simd build".
func (g grade) label() string {
	if g.build == "" {
		return g.name
	}
	return g.name + ", " + g.build + " build"
}

// passed reports whether the exercise passes.
func (g grade) passed() bool { return g.state == passing }

// How much a grade needs.
type gradeOpts struct {
	fresh bool      // test even if the cache or the stub would answer (check, watch)
	vet   bool      // run go vet's checks too (check, watch)
	live  *liveLine // where to show a live line, or nil
}

// grade grades exercise name: from what is known without a test run if
// it can (see known), by testing it otherwise.
func (gr *grader) grade(ctx context.Context, name string, o gradeOpts) (grade, error) {
	if !o.fresh {
		if g, ok := gr.known(ctx, name); ok {
			return g, nil
		}
	}
	return gr.test(ctx, name, o)
}

// known returns exercise name's grade if no test run is needed to know
// it: the exercise is missing, is still its stub (not started), or has
// not changed since its cached result (unless that result was reached
// without the race detector, and there is one now).
func (gr *grader) known(ctx context.Context, name string) (grade, bool) {
	g := grade{name: name, race: true}
	dir := path.Join("exercises", name)
	if _, err := os.Stat(fromSlash(gr.root, dir)); err != nil {
		g.state, g.verdict = missing, "missing: no "+dir
		return g, true
	}
	if gr.isStub(name) {
		g.state, g.verdict = notStarted, "not started"
		return g, true
	}
	hash, err := exerciseHash(gr.root, name)
	if err != nil {
		return g, false
	}
	gr.mu.Lock()
	c, ok := gr.prog.Results[name]
	gr.mu.Unlock()
	if !ok || c.Hash != hash || (!c.Race && gr.raceAvailable(ctx)) {
		return g, false
	}
	g.race, g.verdict, g.state = c.Race, c.Verdict, failing
	if c.Passed {
		g.state = passing
	}
	return g, true
}

// test tests exercise name and records the result.
func (gr *grader) test(ctx context.Context, name string, o gradeOpts) (grade, error) {
	g := grade{name: name, race: true}
	dir := path.Join("exercises", name)
	if _, err := os.Stat(fromSlash(gr.root, dir)); err != nil {
		return g, fmt.Errorf("%s does not exist in %s", dir, gr.root)
	}
	race := gr.raceAvailable(ctx)
	hash, hashErr := exerciseHash(gr.root, name) // before the test: a save during it makes a new version
	if !race {
		gr.noteNoRace()
	}

	opt := exercise.Grading(race)
	if o.live != nil {
		opt.Progress = o.live.show
		defer o.live.clear()
	}
	var findings []exercise.Finding
	if o.vet {
		f, err := exercise.Vet(ctx, gr.root, dir, exercise.Options{})
		if err != nil {
			return g, err
		}
		findings = f
	}
	r, err := exercise.Test(ctx, gr.root, dir, opt)
	if err == nil && race && !r.Passed && raceUnavailable(r) {
		// go env said yes, and the go command said no: believe the latter.
		gr.raceAvailable(ctx) // so that it does not run again and overwrite us
		gr.mu.Lock()
		gr.race, race = false, false
		gr.mu.Unlock()
		gr.noteNoRace()
		opt.Race = false
		r, err = exercise.Test(ctx, gr.root, dir, opt)
	}
	if err != nil {
		return g, err
	}
	d := exercise.Diagnose(r)
	d.Vet = findings
	g.diag, g.output, g.race = &d, r.Output, race
	g.verdict = shortVerdict(d)
	g.state = failing
	if r.Passed {
		g.state = passing
	}

	// Then each other build the exercise has code in, the same way. Its
	// grade comes after the default one's, and a failure in either fails
	// the exercise.
	builds, err := exercise.ExtraBuilds(fromSlash(gr.root, dir))
	if err != nil {
		return g, err
	}
	for _, b := range builds {
		if g.build == "" {
			g.build = "default"
		}
		bopt := opt
		bopt.Env = []string{b}
		r, err := exercise.Test(ctx, gr.root, dir, bopt)
		if err != nil {
			return g, err
		}
		d := exercise.Diagnose(r)
		bg := grade{name: name, build: b, race: race, diag: &d, output: r.Output,
			verdict: shortVerdict(d), state: failing, skipped: skippedTests(r)}
		if r.Passed {
			bg.state = passing
		}
		g.also = append(g.also, bg)
		g.output += fmt.Sprintf("\n--- the %s build ---\n%s", b, r.Output)
		if g.state == passing && bg.state != passing {
			g.state, g.verdict = failing, b+" build: "+bg.verdict
		}
	}

	if hashErr == nil {
		gr.mu.Lock()
		gr.prog.Results[name] = cachedResult{Hash: hash, Passed: g.passed(), Race: race, Verdict: g.verdict}
		gr.mu.Unlock()
	}
	return g, nil
}

// skippedTests lists the tests of r that skipped, each with the last
// line it printed, its reason: "TestA/sub: no AVX2 on this CPU".
func skippedTests(r exercise.Result) []string {
	var out []string
	for _, t := range r.Tests {
		if t.Outcome != exercise.Skipped {
			continue
		}
		why := "skipped"
		if len(t.Output) > 0 {
			why = strings.TrimSpace(t.Output[len(t.Output)-1])
			// The reason, without the file:line that t.Skip puts first.
			if _, rest, ok := strings.Cut(why, ": "); ok && strings.Contains(why[:len(why)-len(rest)], ".go:") {
				why = rest
			}
		}
		out = append(out, t.Name+": "+why)
	}
	return out
}

// save writes the results to the progress file. It is best effort: a
// result that is not saved is tested again next time.
func (gr *grader) save() error {
	gr.mu.Lock()
	defer gr.mu.Unlock()
	// Another command (hint, in another terminal) may have saved since we
	// loaded: keep its hints, add our results.
	latest := loadProgress(gr.root)
	for name, c := range gr.prog.Results {
		latest.Results[name] = c
	}
	return latest.save(gr.root)
}

// isStub reports whether exercise name's stub files are exactly as the
// workbook ships them (and it has no others): a student who has not
// started has nothing to test.
func (gr *grader) isStub(name string) bool {
	if gr.stubs == nil {
		return false
	}
	originals, err := fs.ReadDir(gr.stubs, name)
	if err != nil || len(originals) == 0 {
		return false
	}
	current, err := os.ReadDir(fromSlash(gr.root, path.Join("exercises", name)))
	if err != nil {
		return false
	}
	n := 0
	for _, e := range current {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".go") && !strings.HasSuffix(e.Name(), "_test.go") {
			n++
		}
	}
	if n != len(originals) {
		return false
	}
	for _, o := range originals {
		want, err := fs.ReadFile(gr.stubs, path.Join(name, o.Name()))
		if err != nil {
			return false
		}
		got, err := os.ReadFile(fromSlash(gr.root, path.Join("exercises", name, o.Name())))
		if err != nil || !bytes.Equal(got, want) {
			return false
		}
	}
	return true
}

// raceAvailable reports whether go test -race can work here: the race
// detector needs cgo, which the go command turns off when it finds no C
// compiler. We ask once, before the first test, so that a student hears
// about it first.
func (gr *grader) raceAvailable(ctx context.Context) bool {
	gr.raceOnce.Do(func() {
		cmd := exec.CommandContext(ctx, "go", "env", "CGO_ENABLED")
		cmd.Dir = gr.root
		out, err := cmd.Output()
		gr.mu.Lock()
		defer gr.mu.Unlock()
		gr.race = err != nil || strings.TrimSpace(string(out)) == "1" // if go env fails, go test will say why
	})
	gr.mu.Lock()
	defer gr.mu.Unlock()
	return gr.race
}

// announce says, before anything else, if the race detector is missing.
// It reports whether it is there.
func (gr *grader) announce(ctx context.Context) bool {
	if gr.raceAvailable(ctx) {
		return true
	}
	gr.noteNoRace()
	return false
}

// noteNoRace prints, once, that the race detector is missing and how to
// get it.
func (gr *grader) noteNoRace() {
	gr.mu.Lock()
	defer gr.mu.Unlock()
	if !gr.noted {
		gr.noted = true
		fmt.Fprintln(gr.notes, raceMissing)
		fmt.Fprintln(gr.notes)
	}
}

// raceUnavailable reports whether the go command refused -race, as it does
// where cgo is off or the platform has no race detector.
func raceUnavailable(r exercise.Result) bool {
	return strings.Contains(r.Output, "-race requires cgo") ||
		strings.Contains(r.Output, "-race is not supported")
}

// raceMissing explains, once per command, why tests run without -race.
const raceMissing = `Note: the race detector is not available here: it needs cgo and a C compiler.
Install one (Debian or Ubuntu: sudo apt install gcc; Fedora: sudo dnf install gcc;
macOS: xcode-select --install; Windows: gcc from MSYS2 or TDM-GCC, on your PATH)
and leave CGO_ENABLED unset or 1. Until then the tests run without -race, and a
pass is shown as "passing (not checked for races)".`

// shortVerdict names the outcome of a test run in a few words, for tables
// and for watch: "pass", "data race", "hangs in TestX", "2 tests fail".
func shortVerdict(d exercise.Diagnosis) string {
	switch {
	case d.Passed:
		return "pass"
	case d.Build != nil:
		return "does not compile"
	}
	var parts []string
	if len(d.Races) > 0 {
		parts = append(parts, "data race")
	}
	if len(d.Hangs) > 0 {
		if h := d.Hangs[0]; h.Test != "" {
			parts = append(parts, "hangs in "+h.Test)
		} else {
			parts = append(parts, "hangs")
		}
	}
	if d.Crash != nil {
		parts = append(parts, "crash")
	}
	if len(d.Leaks) > 0 {
		parts = append(parts, "leaked goroutines")
	}
	switch n := len(d.Failures); {
	case n == 1:
		parts = append(parts, "1 test fails")
	case n > 1:
		parts = append(parts, fmt.Sprintf("%d tests fail", n))
	}
	if len(parts) == 0 {
		return "fails"
	}
	return strings.Join(parts, ", ")
}
