package main

// The racy counter is the lesson's bug, and go test -race would report it
// and fail this package if it ever ran here with more than one goroutine.
// So in this process it only ever runs with -goroutines 1, which has nothing
// to race with. Runs with many goroutines happen in child processes, whose
// race reports are what the tests read.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/lessonchild"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if lessonchild.IsChild() {
		main()     // exits 1 by itself on a bad flag
		os.Exit(0) // under -race, exit status 66 if a race was reported
	}
	goleak.VerifyTestMain(m)
}

// Example runs the lesson with one goroutine, which has nothing to race
// with: no update is lost, and the output is the same on every run.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-goroutines", "1"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// goroutines=1 n=1000000: each goroutine does total += 1, n times, with no lock
	//   expected  1000000
	//   actual    1000000
	//   lost      0 (0.0%)
	//
	// step by step: two goroutines do total += 1 once each, in turns set by channels
	//   A loads  total: 0
	//   B loads  total: 0
	//   B stores total: 0 + 1 = 1
	//   A stores total: 0 + 1 = 1
	//   expected  2
	//   actual    1
	//   lost      1 (50.0%)
	//   no data race here (the channels order every step), yet one update is lost
}

// TestRaceDetectorReportsTheCounter checks the lesson's main claim: built
// with -race, the lesson reports a data race in the counter's goroutines,
// finishes its run, and exits with the race detector's status, 66. It also
// checks that the report does not name the step-by-step replay, which has
// no data race.
func TestRaceDetectorReportsTheCounter(t *testing.T) {
	cmd := lessonchild.Race(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run() // starts the child and waits for it to exit

	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr,
		"want exit status 66 from the race detector\nstderr:\n%s", &stderr)
	assert.Equal(t, 66, exitErr.ExitCode(), "stderr:\n%s", &stderr)
	assert.Contains(t, stderr.String(), "WARNING: DATA RACE")
	// The function is main.count.func1 in the lesson's binary, and
	// <import path>.count.func1 in this test binary.
	assert.Contains(t, stderr.String(), ".count.func1()",
		"the report should name count's goroutines")
	assert.NotContains(t, stderr.String(), "stepwise",
		"the report names the step-by-step replay, which has no data race")
	assert.Contains(t, stdout.String(), "no data race here",
		"the detector reports races and lets the program run on to the end")

	// The README quotes the report; its line number must be the one the
	// detector gives, or the quote has gone stale.
	at := regexp.MustCompile(`race/main\.go:(\d+) `).FindStringSubmatch(stderr.String())
	require.NotNil(t, at, "the report gives no line in main.go:\n%s", &stderr)
	doc, err := os.ReadFile("README.md")
	require.NoError(t, err)
	quoted := regexp.MustCompile(`lessons/race/main\.go:(\d+)`).FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, quoted, "README.md no longer quotes the report")
	for _, q := range quoted {
		assert.Equal(t, at[1], q[1], "README.md quotes the race report with a stale line number")
	}
}

// TestOutputMatchesREADME runs the lesson with its default flags, ten racy
// goroutines, in a child process, and checks that it prints the README's
// "Expected output" line for line, except for the actual and lost counts of
// the racy counter, which vary. For those it checks the arithmetic instead:
// lost is expected minus actual.
func TestOutputMatchesREADME(t *testing.T) {
	cmd := lessonchild.Command(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run() // starts the child and waits for it to exit
	var exitErr *exec.ExitError
	if lessonchild.RaceEnabled && errors.As(err, &exitErr) && exitErr.ExitCode() == 66 {
		err = nil // the race detector reported the counter, as it should
	}
	require.NoError(t, err, "stderr:\n%s", &stderr)

	got := readme.Lines(stdout.String())
	want := readmeOutput(t)
	assert.Equal(t, maskCounts(want), maskCounts(got))

	require.GreaterOrEqual(t, len(got), 4)
	expected, actual, lost := parseReport(t, got[1:4])
	assert.Equal(t, 10_000_000, expected)
	assert.Equal(t, expected-actual, lost, "lost should be expected - actual")
	assert.Positive(t, actual)
	assert.LessOrEqual(t, actual, expected, "lost updates cannot add to the total")
	assert.Contains(t, got[3], fmt.Sprintf("(%.1f%%)",
		100*float64(lost)/float64(expected)))
}

// TestOneGoroutineLosesNothing runs the counter in this process with one
// goroutine, the only way it is race-free: every update lands.
func TestOneGoroutineLosesNothing(t *testing.T) {
	for _, n := range []int{1, 1000, 1_000_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			assert.Equal(t, n, count(1, n))

			var out bytes.Buffer
			err := run(t.Context(), &out,
				[]string{"-goroutines", "1", "-n", fmt.Sprint(n)})
			require.NoError(t, err)
			expected, actual, lost := parseReport(t, readme.Lines(out.String())[1:4])
			assert.Equal(t, []int{n, n, 0}, []int{expected, actual, lost},
				"expected, actual, lost")
		})
	}
}

// TestStepwiseLosesExactlyOneUpdate checks that the step-by-step replay
// loses one update, every time, in the same four steps. Under go test
// -race it also shows that the replay has no data race: the detector would
// fail this test if it saw one.
func TestStepwiseLosesExactlyOneUpdate(t *testing.T) {
	want := "  A loads  total: 0\n" +
		"  B loads  total: 0\n" +
		"  B stores total: 0 + 1 = 1\n" +
		"  A stores total: 0 + 1 = 1\n"
	for range 20 {
		var out bytes.Buffer
		total := stepwise(log.New(&out, "", 0))
		require.Equal(t, 1, total, "two additions to 0 with one of them lost")
		require.Equal(t, want, out.String())
	}
}

// TestReport checks the report's arithmetic: lost is expected - actual, and
// its share of expected is printed to a tenth of a percent.
func TestReport(t *testing.T) {
	tests := []struct {
		expected, actual int
		want             string
	}{
		{10, 10, "  expected  10\n  actual    10\n  lost      0 (0.0%)\n"},
		{2, 1, "  expected  2\n  actual    1\n  lost      1 (50.0%)\n"},
		{10_000_000, 3_456_789,
			"  expected  10000000\n  actual    3456789\n  lost      6543211 (65.4%)\n"},
		{3, 0, "  expected  3\n  actual    0\n  lost      3 (100.0%)\n"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d-%d", tt.expected, tt.actual), func(t *testing.T) {
			var out bytes.Buffer
			report(&out, tt.expected, tt.actual)
			assert.Equal(t, tt.want, out.String())
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it starts anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-goroutines", "0"}, "-goroutines must be at least 1, got 0"},
		{[]string{"-goroutines", "-2"}, "-goroutines must be at least 1, got -2"},
		{[]string{"-n", "0"}, "-n must be at least 1, got 0"},
		{[]string{"-n", "-5"}, "-n must be at least 1, got -5"},
		{[]string{"-n", "lots"}, `invalid value "lots" for flag -n`},
		{[]string{"-goroutines", "1e3"}, `invalid value "1e3" for flag -goroutines`},
		{[]string{"-goroutines", "1000", "-n", "1000000000"},
			"-goroutines × -n must be at most 1000000000, got 1000 × 1000000000"},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-goroutines", "-n"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestCancelledContext checks that run returns ctx.Err() once the counter
// is done if ctx was cancelled (Ctrl-C), without the step-by-step replay.
func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, []string{"-goroutines", "1", "-n", "10"})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, out.String(), "step by step")
}

// parseReport reads the three lines that report prints and returns the
// numbers on them.
func parseReport(t *testing.T, report []string) (expected, actual, lost int) {
	t.Helper()
	require.Len(t, report, 3)
	var nums []int
	for i, label := range []string{"expected", "actual", "lost"} {
		fields := strings.Fields(report[i])
		require.GreaterOrEqual(t, len(fields), 2, "line %q", report[i])
		require.Equal(t, label, fields[0], "line %q", report[i])
		n, err := strconv.Atoi(fields[1])
		require.NoError(t, err, "line %q", report[i])
		nums = append(nums, n)
	}
	return nums[0], nums[1], nums[2]
}

// digits matches a number, with its fraction if it has one.
var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

// maskCounts returns a copy of the lesson's output lines in which the
// numbers on the racy counter's actual and lost lines (the first report)
// are replaced by N: they change from run to run.
func maskCounts(lines []string) []string {
	out := make([]string, 0, len(lines))
	for i, l := range lines {
		if i == 2 || i == 3 {
			l = digits.ReplaceAllString(l, "N")
		}
		out = append(out, l)
	}
	return out
}

// readmeOutput returns the lines of the first code block under the
// README's "## Expected output" heading.
func readmeOutput(t *testing.T) []string {
	t.Helper()
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	return readme.Lines(block)
}
