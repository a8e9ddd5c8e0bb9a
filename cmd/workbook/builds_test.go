package main

import (
	"bytes"
	"testing"
	"testing/fstest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCheckTestsEveryBuild checks an exercise with code of its own in
// another build (exercise.ExtraBuilds; here GOEXPERIMENT=simd, with no
// architecture in the tag, so that it exists everywhere): check tests it
// in each build, gives a verdict for each, headed with its build, says
// which tests skipped and why, and passes the exercise only if every
// build passes.
func TestCheckTestsEveryBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a fixture module twice")
	}
	dir := t.TempDir()
	double := func(tag, body string) string {
		return "//go:build " + tag + "\n\npackage twice\n\nfunc double(n int) int { return " + body + " }\n"
	}
	for name, content := range map[string]string{
		"go.mod":                          "module " + modulePath + "\n\ngo 1.25.0\n",
		"exercises/twice/twice.go":        "package twice\n\n// Double returns 2n.\nfunc Double(n int) int { return double(n) }\n",
		"exercises/twice/double_exp.go":   double("goexperiment.simd", "n * n"),
		"exercises/twice/double_other.go": double("!goexperiment.simd", "2 * n"),
		"exercises/twice/twice_test.go": "package twice\n\nimport \"testing\"\n\nfunc TestDouble(t *testing.T) {\n" +
			"\tif got := Double(21); got != 42 {\n\t\tt.Errorf(\"Double(21) = %d; want 42\", got)\n\t}\n}\n",
		"exercises/twice/exp_test.go": "//go:build goexperiment.simd\n\npackage twice\n\nimport \"testing\"\n\n" +
			"func TestVectors(t *testing.T) { t.Skip(\"no vectors on this CPU\") }\n\nfunc TestMore(t *testing.T) { t.Skip(\"no vectors on this CPU\") }\n",
	} {
		writeFile(t, dir, name, content)
	}
	wb := &workbook{
		root:     func() (string, error) { return dir, nil },
		sections: []catalog.Section{{Name: "basics", Title: "Basics"}},
		lessons:  []catalog.Lesson{{Name: "twice", Title: "Twice", Section: "basics", Exercise: "twice"}},
		stubs:    fstest.MapFS{"twice/twice.go": {Data: []byte("package twice\n")}},
		debounce: 20 * time.Millisecond,
	}

	var stdout, stderr bytes.Buffer
	code := wb.run(t.Context(), &stdout, &stderr, []string{"check", "twice"})
	assert.Equal(t, exitFail, code, "stderr:\n%s", &stderr)
	assert.Equal(t, "PASS twice, default build: all tests pass under the race detector\n"+
		"\nFAIL twice, GOEXPERIMENT=simd build\n"+
		"    2 tests skipped: no vectors on this CPU\n"+
		"\n"+verdictFailed+"\n"+
		"    TestDouble\n"+
		"        exercises/twice/twice_test.go:7: Double(21) = 441; want 42\n"+
		"\nFor everything the tests printed: go run ./cmd/workbook check -v twice\n", stdout.String())

	// The tables give one verdict, which names the build that fails.
	stdout.Reset()
	require.Equal(t, exitFail, wb.run(t.Context(), &stdout, &stderr, []string{"verify"}))
	assert.Contains(t, stdout.String(), "twice     FAIL  GOEXPERIMENT=simd build: 1 test fails\n")

	writeFile(t, dir, "exercises/twice/double_exp.go", double("goexperiment.simd", "n + n"))
	stdout.Reset()
	require.Equal(t, 0, wb.run(t.Context(), &stdout, &stderr, []string{"check", "twice"}), "stderr:\n%s", &stderr)
	assert.Equal(t, "PASS twice, default build: all tests pass under the race detector\n"+
		"PASS twice, GOEXPERIMENT=simd build: all tests pass under the race detector\n"+
		"    2 tests skipped: no vectors on this CPU\n", stdout.String())
}
