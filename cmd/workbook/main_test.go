package main

import (
	"bytes"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// typo returns name without its last letter: a plausible slip whose
// closest valid name is name.
func typo(name string) string { return name[:len(name)-1] }

func TestUsageErrorsExitTwoWithAHint(t *testing.T) {
	lesson := catalog.LessonNames()[0]
	ex := catalog.Exercises()[len(catalog.Exercises())-1]
	tests := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown command", []string{"lisst"}, `unknown command "lisst"; did you mean "list"?`},
		{"unknown command far from any", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown top-level flag", []string{"-v"}, `unknown flag "-v"`},
		{"list with arguments", []string{"list", "extra"}, "list takes no arguments"},
		{"check without a name", []string{"check"}, "check needs the name of an exercise: one of " + catalog.Exercises()[0]},
		{"check with two names", []string{"check", ex, ex}, "check takes one exercise"},
		{"check with an unknown flag", []string{"check", "-x", ex}, "flag provided but not defined: -x"},
		{"check with a typo", []string{"check", typo(ex)}, `unknown exercise "` + typo(ex) + `"; did you mean "` + ex + `"?`},
		{"check with nothing close", []string{"check", "zzzzzzzzzzzz"}, `unknown exercise "zzzzzzzzzzzz" (see: workbook list)`},
		{"run without a lesson", []string{"run"}, "run needs the name of a lesson"},
		{"run with a flag it does not know", []string{"run", "-sleep", "1s", lesson}, "flag provided but not defined: -sleep"},
		{"run with a typo", []string{"run", typo(lesson), "-sleep", "1s"}, `unknown lesson "` + typo(lesson) + `"; did you mean "` + lesson + `"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), &stdout, &stderr, tt.args)
			assert.Equal(t, exitUsage, code, "exit code; stderr:\n%s", stderr.String())
			assert.Contains(t, stderr.String(), tt.want)
			assert.Empty(t, stdout.String(), "stdout")
		})
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		t.Run(arg, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, 0, run(t.Context(), &stdout, &stderr, []string{arg}))
			assert.Equal(t, usageText(), stdout.String())
			assert.Empty(t, stderr.String())
		})
	}
}
