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
