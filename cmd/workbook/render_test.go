package main

import (
	"testing"

	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// The verdicts the fixture module does not produce, rendered from a
// Diagnosis: a crash and a leak, and what -v adds.
func TestRenderCrashAndLeak(t *testing.T) {
	at := exercise.Location{File: "exercises/x/x.go", Line: 12, Func: "Start.func1"}
	d := &exercise.Diagnosis{
		Race:     true,
		Failures: []exercise.Failure{{Test: "TestFill", Outcome: exercise.Interrupted}, {Test: "TestStart", Outcome: exercise.Failed, Messages: []exercise.Message{{At: exercise.Location{File: "exercises/x/x_test.go", Line: 20}, Text: []string{"two sums", "Not equal:"}, Detail: []string{"Diff:", "-1", "+2"}}}}},
		Crash:    &exercise.Crash{Test: "TestFill", Message: "panic: assignment to entry in nil map", At: at},
		Leaks: []exercise.Leak{{Test: "TestStart", Goroutine: exercise.Goroutine{State: "chan receive", At: at, Calls: []exercise.Location{at},
			Created: exercise.Location{File: "exercises/x/x.go", Line: 10, Func: "Start"}}, Cause: "Because."}},
	}
	g := grade{name: "x", state: failing, race: true, diag: d}
	assert.Equal(t, "FAIL x\n\n"+verdictCrash+"\n"+
		"    panic: assignment to entry in nil map (in TestFill)\n"+
		"    exercises/x/x.go:12: in Start.func1\n"+
		"\n"+verdictLeak+"\n"+
		"    exercises/x/x.go:12: Start.func1, still running (chan receive) after TestStart\n"+
		"        started at exercises/x/x.go:10: Start\n"+
		"        Because.\n"+
		"\n"+verdictFailed+"\n"+
		"    TestFill\n"+
		"        crashed (see above)\n"+
		"    TestStart\n"+
		"        exercises/x/x_test.go:20: two sums\n"+
		"            Not equal:\n"+
		"\nFor everything the tests printed: go run ./cmd/workbook check -v x\n", render(g, false))

	verbose := render(g, true)
	assert.Contains(t, verbose, "        exercises/x/x_test.go:20: two sums\n            Not equal:\n            Diff:\n            -1\n            +2\n", "-v adds the diff")
}
