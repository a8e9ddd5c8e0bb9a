package exercise

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/stubs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a tiny module with one exercise, "double", whose test checks
// a function; it has no dependencies, so it builds offline.
const fixtureTest = `package double

import "testing"

func TestDouble(t *testing.T) {
	if got := Double(21); got != 42 {
		t.Errorf("Double(21) = %d, want 42", got)
	}
}

func TestDoubleZero(t *testing.T) {
	if got := Double(0); got != 0 {
		t.Errorf("Double(0) = %d, want 0", got)
	}
}
`

const fixtureStub = "package double\n\n// Double returns 2n.\nfunc Double(n int) int {\n\t// TODO: double n.\n\treturn 0\n}\n"

func fixture(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module fixture\n\ngo 1.25\n")
	for _, dir := range []string{"exercises/double", stubs.Dir + "/double"} {
		write(t, filepath.Join(root, dir, "double.go"), fixtureStub)
	}
	write(t, filepath.Join(root, "exercises/double/double_test.go"), fixtureTest)
	write(t, filepath.Join(root, "exercises/double/testdata/wrong/square.go"),
		"// Wrong: squares instead of doubling.\n// Caught by: TestDouble\npackage double\n\nfunc Double(n int) int { return n * n }\n")
	write(t, filepath.Join(root, "exercises/double/testdata/wrong/plusone.go"),
		"// Wrong: adds one, so even zero is wrong.\n// Caught by: TestDouble, TestDoubleZero\npackage double\n\nfunc Double(n int) int { return n + 1 }\n")
	write(t, filepath.Join(root, "solutions/double/double.go"),
		"package double\n\n// Double returns 2n.\nfunc Double(n int) int { return 2 * n }\n")
	write(t, filepath.Join(root, "solutions/double/double_test.go"), fixtureTest)
	return root
}

func failed(checks []Check) []string {
	var out []string
	for _, c := range checks {
		if !c.OK {
			out = append(out, c.What+": "+c.Detail)
		}
	}
	return out
}

// One end-to-end run: each check below costs a "go test -race" child, so
// the broken cases share the fixture and differ by one file each.
func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -race in child processes")
	}
	root := fixture(t)
	checks, err := Verify(t.Context(), root, "double")
	require.NoError(t, err)
	assert.Empty(t, failed(checks), "a sound exercise passes every check")
	assert.Len(t, checks, 10, "identical tests, API, stub compiles, stub fails, solution passes, variant count, 2 variants, 2 blocking stubs")

	// What a student writes in exercises/ is never verified: a half-done
	// file that does not compile, and one they added, change nothing.
	write(t, filepath.Join(root, "exercises/double/double.go"), "package double\n\nfunc Double(n int) int { return n +\n")
	write(t, filepath.Join(root, "exercises/double/helper.go"), "package double\n\nfunc helper() {}\n")
	checks, err = Verify(t.Context(), root, "double")
	require.NoError(t, err)
	assert.Empty(t, failed(checks), "a student's files are not what make test verifies")

	// A variant that the tests pass, one that fails the wrong test, and a
	// shipped stub that passes are each reported.
	write(t, filepath.Join(root, "exercises/double/testdata/wrong/square.go"),
		"// Wrong: claims to be wrong but is right.\n// Caught by: TestDouble\npackage double\n\nfunc Double(n int) int { return n + n }\n")
	write(t, filepath.Join(root, "exercises/double/testdata/wrong/plusone.go"),
		"// Wrong: doubles, except at 21.\n// Caught by: TestDouble, TestDoubleZero\npackage double\n\nfunc Double(n int) int {\n\tif n == 21 {\n\t\treturn 0\n\t}\n\treturn 2 * n\n}\n")
	write(t, filepath.Join(root, stubs.Dir, "double/double.go"),
		"package double\n\n// Double returns 2n.\nfunc Double(n int) int { return 2 * n }\n")
	checks, err = Verify(t.Context(), root, "double")
	require.NoError(t, err)
	got := strings.Join(failed(checks), "\n")
	assert.Contains(t, got, "stub fails its tests")
	assert.Contains(t, got, "wrong/plusone.go: doubles, except at 21.: failed: TestDouble; expected also: TestDoubleZero")
	assert.Contains(t, got, "wrong/square.go: claims to be wrong but is right.: the tests pass it")
	assert.Len(t, failed(checks), 3, "and nothing else: the blocking stubs, made from the passing stub, still hang")
}

// twiceFixture is a module with one exercise, "twice", whose code is
// split by a build tag: double_exp.go in the GOEXPERIMENT=simd build (the
// tag names no architecture, so the build exists everywhere),
// double_other.go in every other. The stub leaves both to do.
func twiceFixture(t *testing.T) string {
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module fixture\n\ngo 1.25\n")
	const api = "package twice\n\n// Double returns 2n.\nfunc Double(n int) int { return double(n) }\n"
	const test = "package twice\n\nimport \"testing\"\n\nfunc TestDouble(t *testing.T) {\n\tif got := Double(21); got != 42 {\n\t\tt.Errorf(\"Double(21) = %d, want 42\", got)\n\t}\n}\n"
	file := func(tag, body string) string {
		return "//go:build " + tag + "\n\npackage twice\n\nfunc double(n int) int {\n\t" + body + "\n}\n"
	}
	stub := map[string]string{
		"twice.go":        api,
		"double_exp.go":   file("goexperiment.simd", "// TODO: double n.\n\treturn 0"),
		"double_other.go": file("!goexperiment.simd", "// TODO: double n.\n\treturn 0"),
	}
	for name, src := range stub {
		write(t, filepath.Join(root, "exercises/twice", name), src)
		write(t, filepath.Join(root, stubs.Dir, "twice", name), src)
	}
	write(t, filepath.Join(root, "exercises/twice/twice_test.go"), test)
	write(t, filepath.Join(root, "solutions/twice/twice_test.go"), test)
	write(t, filepath.Join(root, "solutions/twice/twice.go"), api)
	write(t, filepath.Join(root, "solutions/twice/double_exp.go"), file("goexperiment.simd", "return n + n"))
	write(t, filepath.Join(root, "solutions/twice/double_other.go"), file("!goexperiment.simd", "return 2 * n"))
	write(t, filepath.Join(root, "exercises/twice/testdata/wrong/square.go"),
		"// Wrong: squares, in the experiment's build.\n// File: double_exp.go\n// Build: GOEXPERIMENT=simd\n// Caught by: TestDouble\n"+file("goexperiment.simd", "return n * n"))
	write(t, filepath.Join(root, "exercises/twice/testdata/wrong/plusone.go"),
		"// Wrong: adds one, in the default build.\n// File: double_other.go\n// Caught by: TestDouble\n"+file("!goexperiment.simd", "return n + 1"))
	write(t, filepath.Join(root, "exercises/twice/testdata/wrong/elsewhere.go"),
		"// Wrong: in a build this machine does not have.\n// File: double_exp.go\n// Build: GOEXPERIMENT=nonesuch\n// Caught by: TestDouble\n"+file("goexperiment.simd", "return n * n"))
	write(t, filepath.Join(root, "exercises/twice/testdata/wrong/nofile.go"),
		"// Wrong: replaces a file the exercise does not have.\n// File: double_arm.go\n// Caught by: TestDouble\npackage twice\n")
	return root
}

// TestVerifyEveryBuild verifies an exercise with code in two builds: the
// stub must fail and the solution pass in each, and each variant is
// tested in the build its header names, in place of the file it names,
// which must be one of the exercise's.
func TestVerifyEveryBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -race in child processes")
	}
	root := twiceFixture(t)
	checks, err := Verify(t.Context(), root, "twice")
	require.NoError(t, err)
	assert.Equal(t, []string{"rejects wrong/nofile.go: replaces a file the exercise does not have.: it replaces double_arm.go, which the exercise does not have"},
		failed(checks), "only the variant of a file that does not exist")
	var whats, skipped []string
	for _, c := range checks {
		whats = append(whats, c.What)
		if c.Skipped {
			skipped = append(skipped, c.What+": "+c.Detail)
		}
	}
	assert.Subset(t, whats, []string{
		"stub fails its tests",
		"stub fails its tests in the GOEXPERIMENT=simd build",
		"solution passes under -race in the GOEXPERIMENT=simd build",
		"rejects wrong/square.go in the GOEXPERIMENT=simd build: squares, in the experiment's build.",
		"rejects wrong/plusone.go: adds one, in the default build.",
	})
	require.Len(t, skipped, 1)
	assert.Contains(t, skipped[0], "wrong/elsewhere.go in the GOEXPERIMENT=nonesuch build")
	assert.Contains(t, skipped[0], "has no code of its own in the GOEXPERIMENT=nonesuch build")
}

// TestJudgeSkipsAVariantWhoseTestsAllSkip: a variant whose named tests
// all skip here (vector code on a CPU without AVX2) is neither caught nor
// passed: it is reported as skipped, with the first test's reason. If one
// of them runs, the variant is judged as usual.
func TestJudgeSkipsAVariantWhoseTestsAllSkip(t *testing.T) {
	v := Variant{Wrong: "no tail", CaughtBy: []string{"TestA/Vec", "TestB/Vec"}}
	r := Result{Built: true, Passed: true, Tests: []TestRun{
		{Name: "TestA", Outcome: Passed},
		{Name: "TestA/Vec", Outcome: Skipped, Output: []string{"    x_test.go:9: no AVX2"}},
		{Name: "TestB", Outcome: Passed},
		{Name: "TestB/Vec", Outcome: Skipped},
	}}
	ok, skipped, detail := judge(r, v)
	assert.True(t, ok && skipped, "skipped, not failed")
	assert.Equal(t, "not verified here: TestA/Vec skipped: x_test.go:9: no AVX2", detail)

	r.Tests[3].Outcome = Passed
	ok, skipped, detail = judge(r, v)
	assert.False(t, ok || skipped)
	assert.Equal(t, "the tests pass it", detail)
}
