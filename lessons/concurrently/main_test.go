package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
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
