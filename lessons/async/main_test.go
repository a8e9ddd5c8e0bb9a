package main

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with three tasks and no wait, so that it is
// instant. The memory figures vary from run to run, so the Example prints
// them masked (see mask). It first waits for the goroutines of the tests
// that ran before it to exit (see settle), so that the goroutine count it
// prints is exact.
func Example() {
	if err := settle(); err != nil {
		fmt.Println(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-tasks", "3", "-wait", "0"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(strings.Join(mask(lines(out.String())), "\n") + "\n")
	// Output:
	// 3 tasks started, each waiting 0s for simulated I/O
	// runtime.NumGoroutine() rose by 3
	// memory in use rose by N KiB: about N bytes per task (varies from run to run)
	// all 3 tasks done after 0s; one after another: 0s
	// wait_for: a 0s task with a 0s deadline: context deadline exceeded after 0s
	//
	// channel generator: 0 1 1 2 3, then break
	// channel generator: its goroutine is still blocked on a send
	// channel generator: cancelled and drained; its goroutine has returned
	// iterator: 0 1 1 2 3, then break
	// iterator: fibonacci has returned; no goroutine, nothing to cancel
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, the memory figures excepted: on both sides, the memory line must
// have its shape, and its numbers are masked.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	want := lines(block)
	require.NoError(t, settle())
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, time.Second+500*time.Millisecond, time.Since(begin),
			"want one 1s wait for all 10000 tasks, then the 500ms deadline")
		got := lines(out.String())
		assert.Equal(t, 1, countShape(want), "memory lines in the README")
		assert.Equal(t, 1, countShape(got), "memory lines printed:\n%s", &out)
		assert.Equal(t, mask(want), mask(got))
	})
}

// TestTasksWaitAtTheSameTime checks the lesson's main claim: however many
// tasks there are, together they take one wait, not one per task, and each
// one is a goroutine of its own. The 10000 tasks take exactly 1s of fake
// time, then the deadline of wait_for 500ms more.
func TestTasksWaitAtTheSameTime(t *testing.T) {
	for _, tasks := range []int{1, 100, 10000} {
		t.Run(fmt.Sprintf("tasks=%d", tasks), func(t *testing.T) {
			require.NoError(t, settle())
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				begin := time.Now()
				err := run(t.Context(), &out, []string{"-tasks", fmt.Sprint(tasks)})
				require.NoError(t, err)
				assert.Equal(t, 1500*time.Millisecond, time.Since(begin),
					"%d tasks that wait 1s each, then a task with a 500ms deadline",
					tasks)
				assert.Contains(t, out.String(), fmt.Sprintf(
					"runtime.NumGoroutine() rose by %d\n", tasks))
				assert.Contains(t, out.String(), fmt.Sprintf(
					"all %d tasks done after 1s; one after another: %v\n",
					tasks, time.Duration(tasks)*time.Second))
			})
		})
	}
}

// TestCtrlCStopsEveryTask cancels ctx 300ms into the tasks' 1s wait: run
// must return context.Canceled at exactly 300ms, after every task has
// returned (synctest.Test would report any task still blocked).
func TestCtrlCStopsEveryTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel)
		var out bytes.Buffer
		begin := time.Now()
		err := run(ctx, &out, []string{"-tasks", "1000"})
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 300*time.Millisecond, time.Since(begin),
			"run returned after; want the moment ctx was cancelled")
		assert.NotContains(t, out.String(), "all 1000 tasks done")
	})
}

// TestSleep checks that sleep returns when its wait is over or ctx is
// done, whichever comes first, at exactly that moment.
func TestSleep(t *testing.T) {
	tests := []struct {
		name     string
		wait     time.Duration
		deadline time.Duration // of ctx
		wantErr  error
		wantAt   time.Duration
	}{
		{"wait is shorter", time.Second, 2 * time.Second, nil, time.Second},
		{"deadline is shorter", 2 * time.Second, time.Second,
			context.DeadlineExceeded, time.Second},
		{"both zero", 0, 0, context.DeadlineExceeded, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// We ask many times: with both cases of a select ready,
				// a select without a look at ctx first picks at random.
				for range 100 {
					ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
					begin := time.Now()
					err := sleep(ctx, tt.wait)
					cancel()
					require.ErrorIs(t, err, tt.wantErr)
					require.Equal(t, tt.wantAt, time.Since(begin))
				}
			})
		})
	}
}

// TestChannelGeneratorOutlivesBreak checks the pitfall the lesson shows:
// breaking out of a range over fibonacciChan leaves its goroutine blocked
// on a send, still there to hand us the next number, until we cancel its
// ctx; then it closes the channel and ends.
func TestChannelGeneratorOutlivesBreak(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		numbers := fibonacciChan(ctx)
		var got []int
		for n := range numbers {
			got = append(got, n)
			if len(got) == 5 {
				break
			}
		}
		assert.Equal(t, []int{0, 1, 1, 2, 3}, got)

		// We wait until every goroutine in the bubble is blocked: the
		// generator has not ended, it is waiting to send 5.
		synctest.Wait()
		select {
		case n, ok := <-numbers: // someone is still sending
			assert.True(t, ok, "the channel was closed without a cancel")
			assert.Equal(t, 5, n, "the number after 0 1 1 2 3")
		default:
			t.Fatal("no generator goroutine is blocked on a send after the break")
		}

		// We cancel and drain: the channel is closed, and the goroutine
		// is gone (else synctest.Test reports it as blocked forever).
		cancel()
		for range numbers {
		}
	})
}

// TestIteratorStopsOnBreak checks that fibonacci yields the Fibonacci
// numbers and that a break ends it: fibonacci has returned by the time the
// loop has, with nothing left running. (A fibonacci that called yield again
// after it returned false would make the range loop panic.)
func TestIteratorStopsOnBreak(t *testing.T) {
	returned := false
	seq := func(yield func(int) bool) {
		fibonacci()(yield)
		returned = true
	}
	var got []int
	for n := range seq {
		got = append(got, n)
		if len(got) == 10 {
			break
		}
	}
	assert.Equal(t, []int{0, 1, 1, 2, 3, 5, 8, 13, 21, 34}, got)
	assert.True(t, returned, "fibonacci had not returned when the loop ended")
}

// TestBadFlags checks that run rejects bad flags with an error that names
// them, before printing anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-tasks", "0"}, "-tasks must be at least 1, got 0"},
		{[]string{"-tasks", "-3"}, "-tasks must be at least 1, got -3"},
		{[]string{"-wait", "-1s"}, "-wait must not be negative, got -1s"},
		{[]string{"-wait", "3"}, `invalid value "3" for flag -wait`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
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
	for _, name := range []string{"-tasks", "-wait"} {
		assert.Contains(t, out.String(), name)
	}
}

// memoryLine is the shape of the line with the memory figures, which vary.
var memoryLine = regexp.MustCompile(
	`^memory in use rose by \d+ KiB: about \d+ bytes per task \(varies from run to run\)$`)

// countShape counts the lines that have the memory line's shape.
func countShape(lines []string) int {
	n := 0
	for _, l := range lines {
		if memoryLine.MatchString(l) {
			n++
		}
	}
	return n
}

// mask returns a copy of lines in which the numbers of the memory line are
// replaced by N.
func mask(lines []string) []string {
	digits := regexp.MustCompile(`\d+`)
	out := slices.Clone(lines)
	for i, l := range out {
		if memoryLine.MatchString(l) {
			out[i] = digits.ReplaceAllString(l, "N")
		}
	}
	return out
}

// settle waits until the goroutines of the tests that ran before, the test
// runner's own included, have finished exiting, so that the lesson's
// "rose by" line is exact. It ignores the goroutine that captures an
// Example's output, which runs for the whole Example.
func settle() error {
	return goleak.Find(goleak.IgnoreAnyFunction("testing.runExample.func1"))
}

// lines splits s into lines, without their newlines.
func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
