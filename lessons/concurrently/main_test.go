package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/concurrency-workbook/workbook/patterns/concurrently"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with -unit 0, so that it is instant: every time
// printed is 0s. Every line is always the same.
func Example() {
	if err := run(context.Background(), os.Stdout,
		[]string{"-unit", "0"}); err != nil {
		panic(err)
	}
	// Output:
	// do_something_1 to 5 take 1, 2, 2.5, 3 and 4 times 0s (simulated instrument work)
	//
	// 1. concurrently(do_something_1, do_something_2)
	//   results: 1 2
	//   after 0s (one at a time: 0s)
	//
	// 2. concurrently(do_something_1, Call(do_something_3, 1, 2, c=3)), the Call as a closure
	//   results: 1 [1 2 3]
	//   after 0s (one at a time: 0s)
	//
	// 3. concurrently(do_something_4, do_something_5): both fail
	//   error: 2 calls failed: do_something_4: I had an error; do_something_5: I had a different error
	//   errors.Is(err, errValue): true, errors.Is(err, errIndex): true; results == nil: true
	//   after 0s (one at a time: 0s)
	//
	// 4. concurrently(do_something_4, do_something_1, catch=True)
	//   results: map[do_something_1:1]
	//   error: do_something_4: I had an error
	//   after 0s (one at a time: 0s)
	//
	// 5. By hand: a WaitGroup, a map under a mutex, errors.Join (do_something_1, 2 and 4)
	//   results: map[do_something_1:1 do_something_2:2]
	//   error: do_something_4: I had an error
	//   after 0s (one at a time: 0s)
}

// TestOutputMatchesREADME runs the lesson with its default unit of 1s in
// fake time and checks that it prints the README's "Expected output", line
// for line, and takes exactly 2 + 2.5 + 4 + 3 + 3 seconds: each section
// its longest call.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 14500*time.Millisecond, time.Since(begin))
		assert.Equal(t, want, out.String())
	})
}

// TestAllAtOnceTakesTheLongest checks each of the notes' examples, with
// Run and by hand, in fake time: exactly the longest call, not the sum.
func TestAllAtOnceTakesTheLongest(t *testing.T) {
	l := lab{unit: time.Second}
	do3 := func(ctx context.Context) (any, error) {
		return l.doSomething3(ctx, 1, 2, 3)
	}
	tests := []struct {
		name  string
		calls map[string]call
		want  map[string]any
		err   string
		took  time.Duration
	}{
		{"1 and 2", map[string]call{"d1": l.doSomething1, "d2": l.doSomething2},
			map[string]any{"d1": 1, "d2": 2}, "", 2 * time.Second},
		{"1 and 3", map[string]call{"d1": l.doSomething1, "d3": do3},
			map[string]any{"d1": 1, "d3": []int{1, 2, 3}}, "",
			2500 * time.Millisecond},
		{"4 and 1", map[string]call{"d4": l.doSomething4, "d1": l.doSomething1},
			map[string]any{"d1": 1}, "d4: I had an error", 3 * time.Second},
		{"4 and 5", map[string]call{"d4": l.doSomething4, "d5": l.doSomething5},
			map[string]any{}, "", 4 * time.Second},
	}
	ways := []struct {
		name string
		run  func(context.Context, map[string]call) (map[string]any, error)
	}{
		{"Run", func(ctx context.Context, c map[string]call) (map[string]any, error) {
			return concurrently.Run(ctx, c, concurrently.Catch())
		}},
		{"byHand", byHand},
	}
	for _, way := range ways {
		for _, tt := range tests {
			t.Run(way.name+"/"+tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					begin := time.Now()
					got, err := way.run(t.Context(), tt.calls)
					assert.Equal(t, tt.took, time.Since(begin))
					assert.Equal(t, tt.want, got)
					if tt.err != "" {
						assert.EqualError(t, err, tt.err)
					}
				})
			})
		}
	}
}

// TestBothErrorsReported checks that when do_something_4 and 5 both fail,
// Run and byHand report both, each reachable with errors.Is.
func TestBothErrorsReported(t *testing.T) {
	l := lab{unit: 0}
	calls := map[string]call{"d4": l.doSomething4, "d5": l.doSomething5}
	out, err := concurrently.Run(t.Context(), calls)
	assert.Nil(t, out)
	var ce *concurrently.ConcurrentError
	require.ErrorAs(t, err, &ce)
	assert.Len(t, ce.Failures, 2)
	_, joined := byHand(t.Context(), calls)
	for _, e := range []error{err, joined} {
		assert.ErrorIs(t, e, errValue)
		assert.ErrorIs(t, e, errIndex)
	}
	assert.Equal(t, "d4: I had an error\nd5: I had a different error",
		joined.Error())
}

// TestCtrlC checks that a cancel stops the lesson at once with ctx.Err().
func TestCtrlC(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		begin := time.Now()
		var out bytes.Buffer
		err := run(ctx, &out, nil)
		assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
		assert.Equal(t, 3*time.Second, time.Since(begin))
	})
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-unit", "-1s"}, "-unit must not be negative, got -1s"},
		{[]string{"-unit", "3"}, `invalid value "3" for flag -unit`},
		{[]string{"-catch"}, "flag provided but not defined: -catch"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
		{[]string{"-trace", "no/such/dir/trace.out"},
			"-trace no/such/dir/trace.out: "},
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

// TestHelp checks that -h prints the flag and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	assert.Contains(t, out.String(), "-unit")
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart, with one row per call. The legend shows the lesson's point:
// in each section every call starts at once, and the next section starts
// when the longest one ends, so the wall time is the sum of the sections'
// longest calls, not of all the calls. With the default flags the chart
// is also compared with testdata/concurrently-timeline.golden (go test
// -update rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		args     []string
		unit     time.Duration
		wantWall string
	}{
		{nil, time.Second,
			"wall 14.5s (first start to last end), work 23.5s (11 spans)\n" +
				"work/wall 1.62x: the speedup over one at a time;" +
				" at most 3 at once (first at 11.5s)"},
		{[]string{"-unit", "200ms"}, 200 * time.Millisecond,
			"wall 2.9s (first start to last end), work 4.7s (11 spans)\n" +
				"work/wall 1.62x: the speedup over one at a time;" +
				" at most 3 at once (first at 2.3s)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"-timeline"}, tt.args...), " "), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var plain, out bytes.Buffer
				require.NoError(t, run(t.Context(), &plain, tt.args))
				args := append([]string{"-timeline", "-width", "80"}, tt.args...)
				require.NoError(t, run(t.Context(), &out, args))

				chart, ok := strings.CutPrefix(out.String(), plain.String())
				require.True(t, ok, "-timeline changed the lesson's own output:\n%s", &out)
				assert.Contains(t, chart, tt.wantWall)
				for n := 1; n <= 5; n++ {
					assert.Contains(t, chart, fmt.Sprintf("\ndo_something_%d │", n))
				}
				checkSections(t, chart, tt.unit)
				if tt.args == nil {
					timelinetest.Golden(t, "concurrently-timeline", chart)
				}
			})
		})
	}
}

// checkSections reads the chart's legend and checks that the calls of
// each section started together, that each section lasted as long as its
// longest call, and that the sections' longest calls add up to the wall
// time: 2 + 2.5 + 4 + 3 + 3 units, where one at a time would take 23.5.
func checkSections(t *testing.T, chart string, unit time.Duration) {
	t.Helper()
	type span struct{ start, took time.Duration }
	sections := make(map[string][]span)
	legend := regexp.MustCompile(`(?m)^do_something_\d +(section \d) +(\S+) +(\S+)$`)
	for _, m := range legend.FindAllStringSubmatch(chart, -1) {
		start, err := time.ParseDuration(m[2])
		require.NoError(t, err)
		took, err := time.ParseDuration(m[3])
		require.NoError(t, err)
		sections[m[1]] = append(sections[m[1]], span{start, took})
	}
	wantCalls := []int{2, 2, 2, 2, 3} // calls per section
	require.Len(t, sections, len(wantCalls), "sections in the legend:\n%s", chart)
	next := time.Duration(0) // when the next section must start
	for i, want := range wantCalls {
		name := fmt.Sprintf("section %d", i+1)
		spans := sections[name]
		require.Len(t, spans, want, "calls in %s", name)
		longest := time.Duration(0)
		for _, s := range spans {
			assert.Equal(t, next, s.start, "a call of %s started at", name)
			longest = max(longest, s.took)
		}
		next += longest
	}
	assert.Equal(t, 29*unit/2, next, "the sections' longest calls add up to")
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble) and with -unit 0, so that it
// takes no time, and checks the file: a Go execution trace in which, as
// go tool trace -d=parsed shows, the run is a task named concurrently and
// each call a region of that task named after it, with its section logged
// as its label. The lesson's output is unchanged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-unit", "0"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, plain.String(), out.String(), "-trace alone prints nothing more")
	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "concurrently")
	for n := 1; n <= 5; n++ {
		tr.AssertRegions(t, id, fmt.Sprintf("do_something_%d", n))
		tr.AssertLabels(t, id, fmt.Sprintf("section %d", n))
	}
	// Each of the 11 calls logs its section, and the sections ran one
	// after another.
	var labels []string
	for _, m := range regexp.MustCompile(`Message="(section \d)"`).FindAllStringSubmatch(tr.Text(), -1) {
		labels = append(labels, m[1])
	}
	assert.True(t, slices.IsSorted(labels), "sections logged out of order: %v", labels)
	assert.Len(t, labels, 11, "calls logged")
}
