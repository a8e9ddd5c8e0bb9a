package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

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
	// mutex per increment       3000
	// atomic Add per increment  3000
	// local sums, one Add each  3000
	//
	// CompareAndSwap: 3 goroutines offer 0 to 2999 to a running maximum
	//   maximum  2999
	//
	// atomic.Bool: 3 goroutines each try CompareAndSwap(false, true) once
	//   winners  1
	//
	// atomic.Pointer: 1 writer stores configs 1 to 1000 while 4 readers load them
	//   torn configs loaded      0
	//   versions gone backwards  0
	//   config at the end        version 1000, limit 100000, burst 200000
	//
	// false sharing: 2 goroutines each add 1 to a counter of their own, 1000 times
	//   side by side  a=1000 b=1000, b is   8 bytes after a: same 64-byte line
	//   padded        a=1000 b=1000, b is 128 bytes after a: different lines
}

// The tests run under go test -race, so each strategy below is checked for
// data races as well as for its total: they start many goroutines that
// share one counter, which is where a missing synchronization would show.

func TestEveryStrategyCountsExactly(t *testing.T) {
	strategies := []struct {
		name  string
		count func(goroutines, n int) int
	}{
		{"mutexPerIncrement", mutexPerIncrement},
		{"atomicAdd", atomicAdd},
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

func TestRunningMaxIsExactUnderContention(t *testing.T) {
	// runningMax's goroutines keep raising the maximum over one another,
	// so their CompareAndSwaps often fail and retry. The maximum must
	// still be the largest value offered, goroutines×n-1, every time.
	for _, goroutines := range []int{1, 2, 8, 100} {
		for _, n := range []int{1, 1000} {
			for range 5 {
				got := runningMax(goroutines, n)
				require.Equal(t, goroutines*n-1, got,
					"%d goroutines offered 0 to %d", goroutines, goroutines*n-1)
			}
		}
	}
}

func TestMaximumKeepsTheLargestInAnyOrder(t *testing.T) {
	// Values 0 to 9999 in a random order, split among 8 goroutines: the
	// largest may come early or late, from any goroutine.
	const goroutines, values = 8, 10_000
	for range 10 {
		perm := rand.Perm(values)
		var m maximum
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := g; i < values; i += goroutines {
					m.offer(int64(perm[i]))
				}
			})
		}
		wg.Wait()
		require.Equal(t, int64(values-1), m.value())
	}
}

func TestMaximumZeroValue(t *testing.T) {
	var m maximum
	assert.Zero(t, m.value(), "a new maximum")
	m.offer(-5)
	assert.Zero(t, m.value(), "a negative value is not larger than 0")
	m.offer(7)
	m.offer(3)
	assert.Equal(t, int64(7), m.value(), "after offering 7 then 3")
}

func TestExactlyOneGoroutineFlipsTheBool(t *testing.T) {
	for _, goroutines := range []int{1, 2, 100} {
		for range 20 {
			require.Equal(t, 1, elect(goroutines),
				"%d goroutines tried CompareAndSwap(false, true)", goroutines)
		}
	}
}

func TestReadersSeeWholeConfigsInOrder(t *testing.T) {
	// Under -race this also checks that a reader may use the fields of the
	// config it loaded: the Store synchronizes before the Load.
	for _, tt := range []struct{ readers, versions int }{
		{1, 1}, {4, 1000}, {16, 10_000},
	} {
		r := swapConfigs(tt.readers, tt.versions)
		assert.Zero(t, r.torn, "torn configs loaded: %+v", tt)
		assert.Zero(t, r.backwards, "loads that went back a version: %+v", tt)
		assert.Equal(t, newConfig(tt.versions), r.last, "the last config: %+v", tt)
	}
}

func TestWholeTellsATornConfig(t *testing.T) {
	// The readers' check would be worthless if it passed everything: a
	// config with fields from two versions must fail it.
	for v := range 5 {
		assert.True(t, newConfig(v).whole(), "config %d", v)
	}
	torn := []config{
		{version: 5, limit: 400, burst: 800},   // new version, old limits
		{version: 4, limit: 400, burst: 1000},  // burst already updated
		{version: 5, limit: 500, burst: 800},   // burst not yet updated
		{version: 4, limit: 500, burst: 1000},  // version not yet updated
		{version: 1, limit: 100, burst: 100},   // no version's burst
		{version: 2, limit: 100, burst: 200},   // version 1's limits
		{version: 0, limit: 0, burst: 1},       // not a config at all
		{version: -1, limit: 100, burst: -200}, // every sign wrong
	}
	for _, c := range torn {
		assert.False(t, c.whole(), "%+v is not a whole config", c)
	}
}

func TestFalseSharingLayout(t *testing.T) {
	// The layout is what the benchmark's result rests on, so we check it
	// here, where it cannot vary: the side-by-side counters are 8 bytes
	// apart, and the padded ones at least a cache line (64 bytes) apart,
	// with a padding's worth of bytes after b.
	var s pair
	assert.Equal(t, uintptr(8), unsafe.Offsetof(s.b)-unsafe.Offsetof(s.a))
	assert.Equal(t, uintptr(16), unsafe.Sizeof(s))

	var p paddedPair
	apart := unsafe.Offsetof(p.b) - unsafe.Offsetof(p.a)
	after := unsafe.Sizeof(p) - unsafe.Offsetof(p.b)
	assert.GreaterOrEqual(t, apart, uintptr(cacheLine),
		"padded counters should be a cache line apart or more")
	assert.Equal(t, uintptr(padding), apart)
	assert.GreaterOrEqual(t, after, uintptr(padding),
		"b should be followed by a padding's worth of bytes")

	// Where they sit in memory depends on the allocator. Shared by two
	// goroutines, the pairs live on the heap, where a 16-byte object is
	// 16-byte aligned: the side-by-side counters can never straddle a
	// line boundary. The padded ones can never share one.
	for range 100 {
		side, padded := new(pair), new(paddedPair)
		countApart(&side.a, &side.b, 1) // shares them: they escape
		countApart(&padded.a, &padded.b, 1)
		require.True(t, sameLine(&side.a, &side.b),
			"side-by-side counters at %p and %p", &side.a, &side.b)
		require.False(t, sameLine(&padded.a, &padded.b),
			"padded counters at %p and %p", &padded.a, &padded.b)
	}
}

func TestCountApartCountsBoth(t *testing.T) {
	for _, n := range []int{0, 1, 1000} {
		var p pair
		countApart(&p.a, &p.b, n)
		assert.Equal(t, []int64{int64(n), int64(n)},
			[]int64{p.a.Load(), p.b.Load()}, "a and b after %d each", n)
	}
}

func TestSameLine(t *testing.T) {
	// An array of counters 8 bytes apart: the 1st and 8th of any 8 that
	// start on a line boundary share it; the 1st and 9th never do.
	var arr [32]atomic.Int64
	start := 0
	for uintptr(unsafe.Pointer(&arr[start]))%cacheLine != 0 {
		start++
	}
	assert.True(t, sameLine(&arr[start], &arr[start+7]))
	assert.False(t, sameLine(&arr[start], &arr[start+8]))
	assert.False(t, sameLine(&arr[start+7], &arr[start+8]))
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
		{[]string{"-n", "many"}, `invalid value "many" for flag -n`},
		{[]string{"-goroutines", "1000", "-n", "100001"},
			"-goroutines × -n must be at most 100000000, got 1000 × 100001"},
		{[]string{"-goroutines", "2", "-n", "9223372036854775807"},
			"-goroutines × -n must be at most 100000000"},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
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
		want options
	}{
		{nil, options{goroutines: 10, n: 1_000_000}},
		{[]string{"-goroutines", "1", "-n", "1"}, options{1, 1}},
		{[]string{"-goroutines", "10000", "-n", "10000"}, options{10_000, 10_000}},
		{[]string{"-goroutines", "1", "-n", "100000000"}, options{1, 100_000_000}},
	}
	for _, tt := range tests {
		opts, err := parseFlags(io.Discard, tt.args)
		require.NoError(t, err, "%v", tt.args)
		assert.Equal(t, tt.want, opts, "%v", tt.args)
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
	assert.NotContains(t, out.String(), "CompareAndSwap",
		"run went on after ctx was done")
}
