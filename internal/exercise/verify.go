package exercise

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/stubs"
	"golang.org/x/sync/errgroup"
)

// A Check is one verified property of an exercise.
type Check struct {
	What   string // "stub fails its tests", "wrong/serial.go is rejected", ...
	OK     bool
	Detail string // why it failed, or what was seen
	// Skipped is set, with OK, when the check cannot be made on this
	// machine (a SIMD build on a CPU without AVX2); Detail says why.
	Skipped bool
}

// A Variant is a known-wrong version of one of an exercise's files, kept
// in exercises/<name>/testdata/wrong/. Its header says what is wrong with
// it and which tests must catch it:
//
//	// Wrong: Join receives one value from a channel, so a second Join hangs.
//	// Caught by: TestJoinTwice
//
// It replaces the exercise's main file, <name>.go, unless a "File:" line
// names another; and it is tested in the default build, unless a "Build:"
// line names another (one of ExtraBuilds):
//
//	// File: simd_amd64.go
//	// Build: GOEXPERIMENT=simd
type Variant struct {
	Path     string   // absolute path of the variant
	Wrong    string   // what is wrong, from the "Wrong:" line
	CaughtBy []string // tests that must fail, from the "Caught by:" line
	File     string   // the file it replaces, from the "File:" line; "" for <name>.go
	Build    string   // the build it is tested in, from the "Build:" line; "" for the default
}

// Variants returns the known-wrong variants of the exercise in dir.
func Variants(dir string) ([]Variant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "testdata", "wrong", "*.go"))
	if err != nil {
		return nil, err
	}
	var vs []Variant
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		v := Variant{Path: p}
		for line := range strings.Lines(string(src)) {
			line = strings.TrimSpace(line)
			if s, ok := strings.CutPrefix(line, "// Wrong:"); ok {
				v.Wrong = strings.TrimSpace(s)
			}
			if s, ok := strings.CutPrefix(line, "// File:"); ok {
				v.File = strings.TrimSpace(s)
			}
			if s, ok := strings.CutPrefix(line, "// Build:"); ok {
				v.Build = strings.TrimSpace(s)
			}
			if s, ok := strings.CutPrefix(line, "// Caught by:"); ok {
				for name := range strings.SplitSeq(s, ",") {
					if name = strings.TrimSpace(name); name != "" {
						v.CaughtBy = append(v.CaughtBy, name)
					}
				}
			}
		}
		if v.Wrong == "" || len(v.CaughtBy) == 0 {
			return nil, fmt.Errorf("%s: header needs a %q line and a %q line", p, "// Wrong:", "// Caught by:")
		}
		if v.File != "" && (filepath.Base(v.File) != v.File || !strings.HasSuffix(v.File, ".go") || strings.HasSuffix(v.File, "_test.go")) {
			return nil, fmt.Errorf("%s: %q names %q, not a non-test .go file of the exercise", p, "// File:", v.File)
		}
		if v.Build != "" && !strings.Contains(v.Build, "=") {
			return nil, fmt.Errorf("%s: %q says %q; want a variable that selects the build, such as GOEXPERIMENT=simd", p, "// Build:", v.Build)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// MinVariants is how many known-wrong variants every exercise must ship.
const MinVariants = 2

// Verify checks the exercise called name in the module at root:
//
//   - exercises/<name> and solutions/<name> have byte-identical test files,
//     and the shipped stub (internal/stubs) and the solution the same
//     exported API;
//   - the shipped stub compiles and fails its tests;
//   - the solution passes its tests under the race detector;
//   - in each of the exercise's ExtraBuilds (its SIMD build, say), the stub
//     fails and the solution passes too;
//   - each known-wrong variant in exercises/<name>/testdata/wrong compiles
//     and fails, in its build, and fails in every test its header names
//     (a variant whose named tests all skip here, or whose build has no
//     code of its own here, is reported as skipped: a SIMD variant on a
//     CPU without AVX2);
//   - the stub made to block for ever (BlocksForever), in both of its
//     ways, fails with a hang that names the test, the stub's file:line and
//     a cause, within MaxHangTest of the tests' start, as a student's check
//     runs it.
//
// The stub is always the shipped copy, laid over exercises/<name> with go
// test -overlay: what a student has written there is never read, so a
// student's clone verifies as the workbook's own does. Verify runs the
// tests in child processes and waits for them. The error is non-nil only
// if the checks could not be run at all.
func Verify(ctx context.Context, root, name string) ([]Check, error) {
	ex := filepath.Join("exercises", name)
	sol := filepath.Join("solutions", name)
	var checks []Check
	add := func(what string, ok bool, detail string) {
		checks = append(checks, Check{What: what, OK: ok, Detail: detail})
	}

	same, detail, err := sameTests(filepath.Join(root, ex), filepath.Join(root, sol))
	if err != nil {
		return nil, err
	}
	add("test files are identical", same, detail)
	same, detail, err = sameAPI(filepath.Join(root, filepath.FromSlash(stubs.Dir), name), filepath.Join(root, sol))
	if err != nil {
		return nil, err
	}
	add("exported API is identical", same, detail)

	tmp, err := os.MkdirTemp("", "verify-"+name+"-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	overlay := func(file string, replace map[string]string) (string, error) {
		data, err := stubs.Overlay(root, name, replace)
		if err != nil {
			return "", err
		}
		p := filepath.Join(tmp, file)
		return p, os.WriteFile(p, data, 0o644)
	}

	// A stub's test can block for good (the futures stub's Result never
	// returns), so its run gets a short timeout: a timeout is a failure.
	stubOverlay, err := overlay("stub.json", nil)
	if err != nil {
		return nil, err
	}
	r, err := Test(ctx, root, ex, Options{Race: true, Overlay: stubOverlay, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	add("stub compiles", r.Built, firstLines(r.Output, 10))
	add("stub fails its tests", r.Built && !r.Passed, "the stub passes: its tests check nothing it leaves undone")

	r, err = Test(ctx, root, sol, Options{Race: true})
	if err != nil {
		return nil, err
	}
	add("solution passes under -race", r.Passed, firstLines(r.Output, 30))

	// An exercise with code of its own in another build (simd's
	// GOEXPERIMENT=simd) must be sound there too: the stub fails and the
	// solution passes in each build, as a student's check runs them.
	builds, err := ExtraBuilds(filepath.Join(root, filepath.FromSlash(stubs.Dir), name))
	if err != nil {
		return nil, err
	}
	for _, b := range builds {
		r, err := Test(ctx, root, ex, Options{Race: true, Overlay: stubOverlay, Timeout: 30 * time.Second, Env: []string{b}})
		if err != nil {
			return nil, err
		}
		add("stub compiles in the "+b+" build", r.Built, firstLines(r.Output, 10))
		what := "stub fails its tests in the " + b + " build"
		if reason, ok := skipReason(r); ok && r.Passed {
			// The tests of this build cannot run here (no AVX2): they
			// skip, and the stub passes for want of a test.
			checks = append(checks, Check{What: what, OK: true, Skipped: true, Detail: "not verified here: " + reason})
		} else {
			add(what, r.Built && !r.Passed, "the stub passes: its tests check nothing it leaves undone")
		}
		r, err = Test(ctx, root, sol, Options{Race: true, Env: []string{b}})
		if err != nil {
			return nil, err
		}
		add("solution passes under -race in the "+b+" build", r.Passed, firstLines(r.Output, 30))
	}

	vs, err := Variants(filepath.Join(root, ex))
	if err != nil {
		return nil, err
	}
	add(fmt.Sprintf("at least %d known-wrong variants", MinVariants), len(vs) >= MinVariants,
		fmt.Sprintf("found %d in %s", len(vs), filepath.Join(ex, "testdata", "wrong")))

	// The variants and the blocking stubs are independent, and one that
	// deadlocks sits idle for a bound in each test it fails: we run up to
	// three at a time, each writing only its own element of vc.
	var jobs []func(context.Context) (Check, error)
	stubFiles := stubs.Files(stubs.OnDisk(root), name)
	for i, v := range vs {
		jobs = append(jobs, func(ctx context.Context) (Check, error) {
			file := cmp.Or(v.File, name+".go")
			switch {
			case !slices.Contains(stubFiles, file):
				return Check{What: variantWhat(v), Detail: fmt.Sprintf("it replaces %s, which the exercise does not have", file)}, nil
			case v.Build != "" && !slices.Contains(builds, v.Build):
				return Check{What: variantWhat(v), OK: true, Skipped: true,
					Detail: fmt.Sprintf("not verified here: on %s/%s the exercise has no code of its own in the %s build", build.Default.GOOS, build.Default.GOARCH, v.Build)}, nil
			}
			abs, err := filepath.Abs(v.Path)
			if err != nil {
				return Check{}, err
			}
			o, err := overlay(fmt.Sprintf("variant%d.json", i), map[string]string{file: abs})
			if err != nil {
				return Check{}, err
			}
			return verifyVariant(ctx, root, ex, o, v)
		})
	}
	for _, way := range []BlockWay{BlockSelect, BlockLock} {
		jobs = append(jobs, func(ctx context.Context) (Check, error) {
			return verifyBlocking(ctx, root, name, tmp, way)
		})
	}
	vc := make([]Check, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(3)
	for i, job := range jobs {
		g.Go(func() error {
			c, err := job(gctx)
			vc[i] = c
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return append(checks, vc...), nil
}

// verifyVariant runs the exercise's tests with the variant laid over the
// stub (the overlay file), so that the variant is compiled exactly as the
// student's code would be, without copying the package.
func verifyVariant(ctx context.Context, root, ex, overlay string, v Variant) (Check, error) {
	c := Check{What: variantWhat(v)}
	var env []string
	if v.Build != "" {
		env = []string{v.Build}
	}
	// Only the named tests need to run: a variant that deadlocks makes
	// every test that touches the deadlock wait out its bound, and the
	// others prove nothing about this variant. We first build without
	// -race, which links in about half the time: most variants fail by
	// their results or their timing, and the race detector only ever adds
	// failures. Only a variant that is not caught that way (a data race)
	// runs again under -race, as a student's check does.
	for _, race := range []bool{false, true} {
		r, err := Test(ctx, root, ex, Options{Race: race, Overlay: overlay, Run: runPattern(v.CaughtBy), Env: env})
		if err != nil {
			return c, err
		}
		c.OK, c.Skipped, c.Detail = judge(r, v)
		if c.OK || !r.Built {
			break
		}
	}
	return c, nil
}

// variantWhat names the check of variant v.
func variantWhat(v Variant) string {
	what := "rejects wrong/" + filepath.Base(v.Path)
	if v.Build != "" {
		what += " in the " + v.Build + " build"
	}
	return what + ": " + v.Wrong
}

// judge reports whether r, the outcome of a variant's tests, shows every
// test the variant's header names failing, and what it saw. If every one
// of those tests skipped, the variant cannot be judged here: judge
// reports it as skipped (and OK), with the first test's reason.
func judge(r Result, v Variant) (ok, skipped bool, detail string) {
	if reason, all := allSkipped(r, v.CaughtBy); all {
		return true, true, "not verified here: " + reason
	}
	switch {
	case !r.Built:
		return false, false, "it does not compile, so it proves nothing:\n" + firstLines(r.Output, 10)
	case r.Passed:
		return false, false, "the tests pass it"
	}
	var missed []string
	for _, t := range v.CaughtBy {
		if !slices.Contains(r.Failed(), t) {
			missed = append(missed, t)
		}
	}
	detail = fmt.Sprintf("failed: %s", strings.Join(r.Failed(), ", "))
	if len(missed) > 0 {
		detail += fmt.Sprintf("; expected also: %s", strings.Join(missed, ", "))
	}
	return len(missed) == 0, false, detail
}

// allSkipped reports whether every one of tests ran and skipped in r, and
// the first one's reason.
func allSkipped(r Result, tests []string) (reason string, all bool) {
	for i, name := range tests {
		k := slices.IndexFunc(r.Tests, func(t TestRun) bool { return t.Name == name })
		if k < 0 || r.Tests[k].Outcome != Skipped {
			return "", false
		}
		if i == 0 {
			reason = skipped(r.Tests[k])
		}
	}
	return reason, len(tests) > 0
}

// skipReason reports whether a test skipped in r, and the first one's
// reason.
func skipReason(r Result) (string, bool) {
	for _, t := range r.Tests {
		if t.Outcome == Skipped {
			return skipped(t), true
		}
	}
	return "", false
}

// skipped says that t skipped, and why: the last line it printed.
func skipped(t TestRun) string {
	if len(t.Output) == 0 {
		return t.Name + " skipped"
	}
	return t.Name + " skipped: " + strings.TrimSpace(t.Output[len(t.Output)-1])
}

// runPattern is a go test -run pattern that selects the named tests. A
// subtest's name ("TestA/case") selects its top-level test and, in it, the
// subtest.
func runPattern(tests []string) string {
	var tops, subs []string
	for _, t := range tests {
		top, sub, _ := strings.Cut(t, "/")
		if !slices.Contains(tops, regexp.QuoteMeta(top)) {
			tops = append(tops, regexp.QuoteMeta(top))
		}
		if sub != "" {
			subs = append(subs, regexp.QuoteMeta(sub))
		}
	}
	p := "^(" + strings.Join(tops, "|") + ")$"
	if len(subs) > 0 && len(subs) == len(tests) {
		p += "/^(" + strings.Join(subs, "|") + ")$"
	}
	return p
}

// sameTests reports whether dirs a and b hold the same *_test.go files,
// byte for byte.
func sameTests(a, b string) (bool, string, error) {
	ta, err := filepath.Glob(filepath.Join(a, "*_test.go"))
	if err != nil {
		return false, "", err
	}
	tb, err := filepath.Glob(filepath.Join(b, "*_test.go"))
	if err != nil {
		return false, "", err
	}
	base := func(ps []string) []string {
		var out []string
		for _, p := range ps {
			out = append(out, filepath.Base(p))
		}
		return out
	}
	na, nb := base(ta), base(tb)
	if len(na) == 0 {
		return false, "no test files in " + a, nil
	}
	if !slices.Equal(na, nb) {
		return false, fmt.Sprintf("%s has %v, %s has %v", a, na, b, nb), nil
	}
	for _, n := range na {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			return false, "", err
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			return false, "", err
		}
		if !bytes.Equal(x, y) {
			return false, n + " differs", nil
		}
	}
	return true, "", nil
}

// sameAPI reports whether the non-test Go files of dirs a and b declare the
// same package name and the same exported declarations (functions, methods,
// types and their exported fields, constants and variables).
func sameAPI(a, b string) (bool, string, error) {
	apiA, err := api(a)
	if err != nil {
		return false, "", err
	}
	apiB, err := api(b)
	if err != nil {
		return false, "", err
	}
	for _, d := range apiA {
		if !slices.Contains(apiB, d) {
			return false, fmt.Sprintf("%s declares %q; the other does not", a, d), nil
		}
	}
	for _, d := range apiB {
		if !slices.Contains(apiA, d) {
			return false, fmt.Sprintf("%s declares %q; the other does not", b, d), nil
		}
	}
	return true, "", nil
}

// api lists the package clause and exported declarations of the non-test
// files in dir, each printed on one line.
func api(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var out []string
	show := func(node any) string {
		var buf bytes.Buffer
		printer.Fprint(&buf, fset, node)
		return strings.Join(strings.Fields(buf.String()), " ")
	}
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		out = append(out, "package "+f.Name.Name)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv != nil && !ast.IsExported(recvName(d.Recv.List[0].Type)) {
					continue
				}
				out = append(out, show(&ast.FuncDecl{Recv: d.Recv, Name: d.Name, Type: d.Type}))
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							out = append(out, "type "+s.Name.Name+" "+show(exportedOnly(s.Type)))
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								out = append(out, d.Tok.String()+" "+n.Name)
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// recvName is the type name of a method receiver.
func recvName(x ast.Expr) string {
	switch t := x.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

// exportedOnly returns a struct type with its unexported fields removed
// (the stub and the solution may keep different private state), or x as it
// is for any other type.
func exportedOnly(x ast.Expr) ast.Expr {
	st, ok := x.(*ast.StructType)
	if !ok {
		return x
	}
	fields := &ast.FieldList{}
	for _, f := range st.Fields.List {
		var names []*ast.Ident
		for _, n := range f.Names {
			if n.IsExported() {
				names = append(names, n)
			}
		}
		if len(f.Names) == 0 || len(names) > 0 { // embedded, or some exported
			fields.List = append(fields.List, &ast.Field{Names: names, Type: f.Type})
		}
	}
	return &ast.StructType{Fields: fields}
}

// firstLines returns at most n lines of s.
func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...\n")
	}
	return strings.Join(lines, "")
}
