package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with 3 goroutines counting to 1000 each, so that
// it is instant. Every line is always the same.
func Example() {
	err := run(context.Background(), os.Stdout,
		[]string{"-goroutines", "3", "-n", "1000"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3 goroutines add 1 to a shared total, 1000 times each: want 3000
	//
	// lock per increment        3000
	// lock around the loop      3000
	// local sums, merged once   3000
	//
	// with the lock around the loop, the total as each goroutine unlocked:
	// 1000
	// 2000
	// 3000
	//
	// TryLock while the lock is held, then after Unlock:
	// couldn't get lock
	// got lock
}

// lockAroundLoopTotal is lockAroundLoop without the totals seen at unlock.
func lockAroundLoopTotal(goroutines, n int) int {
	total, _ := lockAroundLoop(goroutines, n)
	return total
}

func TestEveryStrategyCountsExactly(t *testing.T) {
	strategies := []struct {
		name  string
		count func(goroutines, n int) int
	}{
		{"lockPerIncrement", lockPerIncrement},
		{"lockAroundLoop", lockAroundLoopTotal},
		{"localSums", localSums},
	}
	for _, s := range strategies {
		for _, goroutines := range []int{1, 2, 8, 100} {
			for _, n := range []int{0, 1, 1000} {
				name := fmt.Sprintf("%s/goroutines=%d/n=%d", s.name, goroutines, n)
				t.Run(name, func(t *testing.T) {
					got := s.count(goroutines, n)
					assert.Equal(t, goroutines*n, got, "lost or extra updates")
				})
			}
		}
	}
}

func TestLockAroundLoopRunsOneGoroutineAtATime(t *testing.T) {
	// If two loops ever overlapped, some goroutine would unlock at a total
	// that is not a multiple of n.
	const goroutines, n = 8, 1000
	total, unlocked := lockAroundLoop(goroutines, n)
	want := make([]int, goroutines)
	for i := range want {
		want[i] = (i + 1) * n
	}
	assert.Equal(t, goroutines*n, total)
	assert.Equal(t, want, unlocked, "totals seen at unlock")
}

func TestZeroCounterIsZero(t *testing.T) {
	var c counter
	assert.Equal(t, 0, c.value())
	c.add(3)
	assert.Equal(t, 3, c.value())
}

func TestTryLockFailsWhileHeldAndSucceedsAfterUnlock(t *testing.T) {
	t.Run("held by this goroutine", func(t *testing.T) {
		// A sync.Mutex is not reentrant: the goroutine that holds it cannot
		// take it again.
		var mu sync.Mutex
		var out bytes.Buffer
		mu.Lock()
		assert.False(t, tryLock(&out, &mu), "tryLock got a held mutex")
		assert.Equal(t, "couldn't get lock\n", out.String())
		assert.False(t, mu.TryLock(), "a failed tryLock released the holder's lock")

		mu.Unlock()
		out.Reset()
		assert.True(t, tryLock(&out, &mu), "tryLock failed on a free mutex")
		assert.Equal(t, "got lock\n", out.String())
		require.True(t, mu.TryLock(), "tryLock kept the lock it took")
		mu.Unlock()
	})
	t.Run("held by another goroutine", func(t *testing.T) {
		var mu sync.Mutex
		var out bytes.Buffer
		held := make(chan struct{})    // closed once the holder has the lock
		release := make(chan struct{}) // closed to tell the holder to unlock
		done := make(chan struct{})    // closed when the holder has returned
		go func() {
			defer close(done)
			mu.Lock()
			close(held)
			<-release
			mu.Unlock()
		}()
		<-held
		assert.False(t, tryLock(&out, &mu), "tryLock got a mutex held elsewhere")
		close(release)
		<-done
		assert.True(t, tryLock(&out, &mu), "tryLock failed after the holder unlocked")
		assert.Equal(t, "couldn't get lock\ngot lock\n", out.String())
	})
}

// expectedOutput returns the first code block of README.md's "Expected
// output" section.
func expectedOutput(t *testing.T) string {
	t.Helper()
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	return block
}

func TestRunWithDefaultFlagsPrintsTheREADMEOutput(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	assert.Equal(t, expectedOutput(t), out.String())
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		want string // in the error
	}{
		{[]string{"-goroutines", "0"}, "-goroutines must be from 1 to 10000, got 0"},
		{[]string{"-goroutines", "-3"}, "-goroutines must be from 1 to 10000, got -3"},
		{[]string{"-goroutines", "10001"},
			"-goroutines must be from 1 to 10000, got 10001"},
		{[]string{"-n", "0"}, "-n must be at least 1, got 0"},
		{[]string{"-n", "-1"}, "-n must be at least 1, got -1"},
		{[]string{"-n", "many"}, "-n"},
		{[]string{"-goroutines", "1000", "-n", "100001"},
			"-goroutines × -n must be at most 100000000, got 1000 × 100001"},
		{[]string{"-goroutines", "2", "-n", "9223372036854775807"},
			"-goroutines × -n must be at most 100000000"},
		{[]string{"-threads", "4"}, "-threads"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Empty(t, out.String(), "run printed before it rejected its arguments")
		})
	}
}

func TestParseFlagsAcceptsTheLimits(t *testing.T) {
	tests := []struct {
		args []string
		want config
	}{
		{nil, config{goroutines: 10, n: 1_000_000}},
		{[]string{"-goroutines", "1", "-n", "1"}, config{1, 1}},
		{[]string{"-goroutines", "10000", "-n", "10000"}, config{10_000, 10_000}},
		{[]string{"-goroutines", "1", "-n", "100000000"}, config{1, 100_000_000}},
	}
	for _, tt := range tests {
		cfg, err := parseFlags(io.Discard, tt.args)
		require.NoError(t, err, "%v", tt.args)
		assert.Equal(t, tt.want, cfg, "%v", tt.args)
	}
}

func TestRunHelpListsTheFlags(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	assert.Contains(t, out.String(), "-goroutines")
	assert.Contains(t, out.String(), "-n")
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, []string{"-goroutines", "2", "-n", "10"})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, out.String(), "TryLock", "run went on after ctx was done")
}
