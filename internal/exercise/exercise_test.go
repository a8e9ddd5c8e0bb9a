package exercise

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// jsonLines builds "go test -json" output from (action, test, output) rows.
func jsonLines(rows ...[3]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(`{"Action":"` + r[0] + `","Test":"` + r[1] + `","Output":` + quote(r[2]) + "}\n")
	}
	return []byte(b.String())
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name string
		out  []byte
		want Result
	}{
		{
			name: "pass",
			out:  jsonLines([3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""}, [3]string{"pass", "", ""}),
			want: Result{Built: true, Passed: true, Tests: []TestRun{{Name: "TestA", Outcome: Passed}}},
		},
		{
			name: "a failing test and its subtest, with go test's framing left out",
			out: jsonLines(
				[3]string{"run", "TestA", ""}, [3]string{"run", "TestA/sub", ""},
				[3]string{"output", "TestA/sub", "=== RUN   TestA/sub\n    a_test.go:9: got 1, "},
				[3]string{"output", "TestA/sub", "want 2\n--- FAIL: TestA/sub (0.00s)\n"},
				[3]string{"fail", "TestA/sub", ""}, [3]string{"fail", "TestA", ""},
				[3]string{"output", "", "FAIL\n"}, [3]string{"fail", "", ""}),
			want: Result{Built: true,
				Tests: []TestRun{{Name: "TestA", Outcome: Failed},
					{Name: "TestA/sub", Outcome: Failed, Output: []string{"    a_test.go:9: got 1, want 2"}}},
				Output: "=== RUN   TestA/sub\n    a_test.go:9: got 1, want 2\n--- FAIL: TestA/sub (0.00s)\nFAIL\n"},
		},
		{
			name: "goleak after the tests is the package's output",
			out: jsonLines([3]string{"run", "TestA", ""}, [3]string{"pass", "TestA", ""},
				[3]string{"output", "", "goleak: Errors on successful test run: found unexpected goroutines:\n"}, [3]string{"fail", "", ""}),
			want: Result{Built: true, Tests: []TestRun{{Name: "TestA", Outcome: Passed}},
				Package: []string{"goleak: Errors on successful test run: found unexpected goroutines:"},
				Output:  "goleak: Errors on successful test run: found unexpected goroutines:\n"},
		},
		{
			name: "a panic in a goroutine ends the binary during a test",
			out: jsonLines([3]string{"run", "TestFirst", ""}, [3]string{"pass", "TestFirst", ""},
				[3]string{"run", "TestCrash", ""}, [3]string{"output", "TestCrash", "panic: boom\n"}, [3]string{"fail", "", ""}),
			want: Result{Built: true, Tests: []TestRun{{Name: "TestFirst", Outcome: Passed},
				{Name: "TestCrash", Outcome: Interrupted, Output: []string{"panic: boom"}}}, Output: "panic: boom\n"},
		},
		{
			name: "build failure",
			out:  []byte(`{"ImportPath":"x","Action":"build-output","Output":"./x.go:3:1: syntax error\n"}` + "\n" + `{"ImportPath":"x","Action":"build-fail"}` + "\n"),
			want: Result{Build: []string{"./x.go:3:1: syntax error"}, Output: "./x.go:3:1: syntax error\n"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, parse(c.out))
		})
	}
}

func TestFailedNamesFailedAndInterruptedTests(t *testing.T) {
	r := Result{Tests: []TestRun{{Name: "A", Outcome: Passed}, {Name: "B", Outcome: Failed}, {Name: "C", Outcome: Skipped}, {Name: "D"}}}
	assert.Equal(t, []string{"B", "D"}, r.Failed())
}

func write(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestVariantsReadTheirHeaders(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "testdata/wrong/a.go"), "// Wrong: no lock.\n// Caught by: TestA, TestB\npackage x\n")
	write(t, filepath.Join(dir, "testdata/wrong/b.go"), "// Wrong: serial.\n// Caught by: TestC\npackage x\n")
	vs, err := Variants(dir)
	require.NoError(t, err)
	require.Len(t, vs, 2)
	assert.Equal(t, "no lock.", vs[0].Wrong)
	assert.Equal(t, []string{"TestA", "TestB"}, vs[0].CaughtBy)
	assert.Equal(t, []string{"TestC"}, vs[1].CaughtBy)

	assert.Empty(t, vs[0].File, "no File: line: the exercise's main file")
	assert.Empty(t, vs[0].Build, "no Build: line: the default build")

	write(t, filepath.Join(dir, "testdata/wrong/c.go"), "// Wrong: no header for tests.\npackage x\n")
	_, err = Variants(dir)
	assert.ErrorContains(t, err, "Caught by:")
}

func TestVariantsNameTheirFileAndBuild(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "testdata/wrong/v.go"),
		"// Wrong: MulAdd.\n// File: x_amd64.go\n// Build: GOEXPERIMENT=simd\n// Caught by: TestA/Vector\n//go:build goexperiment.simd\n\npackage x\n")
	vs, err := Variants(dir)
	require.NoError(t, err)
	require.Len(t, vs, 1)
	assert.Equal(t, Variant{Path: vs[0].Path, Wrong: "MulAdd.", CaughtBy: []string{"TestA/Vector"},
		File: "x_amd64.go", Build: "GOEXPERIMENT=simd"}, vs[0])

	for header, wantErr := range map[string]string{
		"// File: ../x.go\n":     `names "../x.go"`,
		"// File: x_test.go\n":   `names "x_test.go"`,
		"// Build: simd\n":       `says "simd"`,
		"// File: notes.txt\n":   `names "notes.txt"`,
		"// Build: GOARCH=386\n": "",
	} {
		write(t, filepath.Join(dir, "testdata/wrong/v.go"), "// Wrong: x.\n"+header+"// Caught by: TestA\npackage x\n")
		_, err := Variants(dir)
		if wantErr == "" {
			assert.NoError(t, err, header)
		} else {
			assert.ErrorContains(t, err, wantErr, header)
		}
	}
}

func TestExtraBuildsFindTheExperimentsWithCodeOfTheirOwn(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x.go"), "package x\n")
	write(t, filepath.Join(dir, "x_test.go"), "//go:build goexperiment.testonly\n\npackage x\n")
	write(t, filepath.Join(dir, "vec_amd64.go"), "//go:build goexperiment.simd && amd64\n\npackage x\n")
	write(t, filepath.Join(dir, "vec_other.go"), "//go:build !goexperiment.simd || !amd64\n\npackage x\n")
	builds, err := ExtraBuilds(dir)
	require.NoError(t, err)
	if build.Default.GOARCH == "amd64" {
		assert.Equal(t, []string{"GOEXPERIMENT=simd"}, builds, "simd on amd64; a test file's tag counts for nothing")
	} else {
		assert.Empty(t, builds, "vec_amd64.go is built nowhere but amd64")
	}

	// Any experiment, in any file, once; a file only the default build
	// has (!goexperiment.x) adds nothing.
	write(t, filepath.Join(dir, "a.go"), "// A comment first.\n\n//go:build goexperiment.aaa || goexperiment.zzz\n\npackage x\n")
	write(t, filepath.Join(dir, "b.go"), "//go:build goexperiment.zzz\n\npackage x\n")
	write(t, filepath.Join(dir, "c.go"), "//go:build !goexperiment.ccc\n\npackage x\n")
	builds, err = ExtraBuilds(dir)
	require.NoError(t, err)
	assert.Subset(t, builds, []string{"GOEXPERIMENT=aaa", "GOEXPERIMENT=zzz"})
	assert.NotContains(t, builds, "GOEXPERIMENT=ccc")
	assert.True(t, slices.IsSorted(builds), "in order: %v", builds)
}

func TestSameAPI(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write(t, filepath.Join(a, "x.go"), `package x

type T struct {
	mu    int
	Count int
}

func New() *T          { return nil }
func (t *T) Add(n int) {}
func (t *T) inc()      {}
func helper()          {}

var ErrX = 1
`)
	write(t, filepath.Join(b, "x.go"), `package x

// T has other private state in the solution.
type T struct {
	Count int
	other string
}

func New() *T { return &T{} }

// Add is documented here.
func (t *T) Add(n int) { t.Count += n }

var ErrX = 2
`)
	same, detail, err := sameAPI(a, b)
	require.NoError(t, err)
	assert.True(t, same, detail)

	write(t, filepath.Join(b, "x.go"), "package x\n\ntype T struct{ Count int }\n\nfunc New() *T { return nil }\n\nfunc (t *T) Add(n int64) {}\n\nvar ErrX = 2\n")
	same, detail, err = sameAPI(a, b)
	require.NoError(t, err)
	assert.False(t, same)
	assert.Contains(t, detail, "Add")
}

func TestSameTests(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write(t, filepath.Join(a, "x_test.go"), "package x\n")
	write(t, filepath.Join(b, "x_test.go"), "package x\n")
	same, _, err := sameTests(a, b)
	require.NoError(t, err)
	assert.True(t, same)

	write(t, filepath.Join(b, "x_test.go"), "package x\n// edited\n")
	same, detail, err := sameTests(a, b)
	require.NoError(t, err)
	assert.False(t, same)
	assert.Equal(t, "x_test.go differs", detail)
}

func TestRunPattern(t *testing.T) {
	assert.Equal(t, "^(TestA|TestB)$", runPattern([]string{"TestA", "TestB"}))
	assert.Equal(t, "^(TestA)$/^(slow|fast)$", runPattern([]string{"TestA/slow", "TestA/fast"}))
	assert.Equal(t, "^(TestA|TestB)$", runPattern([]string{"TestA/slow", "TestB"}),
		"a whole test among subtests runs its parents whole")
}
