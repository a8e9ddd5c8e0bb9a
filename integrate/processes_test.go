package integrate

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain is the helper-process idiom: the processes mode's workers are
// this test binary, started again with processpool.EnvWorker=integrate, and
// they serve requests instead of running the tests. The tests' worker may
// be told to misbehave through faultEnv.
//
// No test in this package runs in parallel: every worker is a child of
// this process, and childcheck counts them all.
func TestMain(m *testing.M) {
	if processpool.IsWorker(workerName) {
		os.Exit(serveWorker(testFault))
	}
	childcheck.VerifyTestMain(m)
}

// faultEnv makes the tests' workers misbehave on the request whose range
// holds a given block: "KIND BLOCK [PATH]". KIND is crash (exit at once,
// status 3), garbage (write bytes that are not a frame to stdout, then go
// on), stall (never answer, until killed) or hang (write to the FIFO at
// PATH, then block until killed). For crash, garbage and stall, a PATH
// makes the fault happen once per test: only the worker that creates the
// file misbehaves.
const faultEnv = "INTEGRATE_TEST_FAULT"

func testFault(req Chunk) {
	fields := strings.Fields(os.Getenv(faultEnv))
	if len(fields) < 2 {
		return
	}
	block, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || block < req.First || block >= req.Last {
		return
	}
	if fields[0] == "hang" {
		os.WriteFile(fields[2], []byte("hanging\n"), 0) // blocks until the test reads
		select {}                                       // until the parent kills us
	}
	if len(fields) == 3 {
		f, err := os.OpenFile(fields[2], os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return // another worker had the fault already
		}
		f.Close()
	}
	switch fields[0] {
	case "crash":
		os.Exit(3)
	case "garbage":
		os.Stdout.WriteString("Traceback (most recent call last): not a frame\n")
	case "stall":
		time.Sleep(math.MaxInt64) // until the parent kills us at the deadline
	}
}

// fault sets faultEnv for the workers this test starts.
func fault(t *testing.T, kind string, block int64, once bool) {
	v := fmt.Sprintf("%s %d", kind, block)
	if once {
		v += " " + filepath.Join(t.TempDir(), "fault-happened")
	}
	t.Setenv(faultEnv, v)
}

// One pool per worker count runs every case: the chunks depend on the
// worker count, not on the pool, and starting a race-built worker is the
// slow part (125 of them took 12 s; these 25, a fifth of that).
// TestProcessesStartAndStopTheirOwnPool covers Processes itself.
func TestProcessesGiveSerialsBitsForEveryWorkerCount(t *testing.T) {
	for _, w := range workerCounts {
		pool, err := NewPool(t.Context(), w)
		require.NoError(t, err)
		for _, p := range sameBitsCases {
			want, err := Serial(t.Context(), p)
			require.NoError(t, err)
			got, err := pool.Integrate(t.Context(), p)
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%v, %d workers: got %v, serial %v", p, w, got, want)
		}
		require.NoError(t, pool.Close())
	}
	childcheck.None(t)
}

func TestProcessesStartAndStopTheirOwnPool(t *testing.T) {
	p := sameBitsCases[0]
	want, err := Serial(t.Context(), p)
	require.NoError(t, err)
	got, err := Processes(t.Context(), p, 3)
	require.NoError(t, err)
	assert.Equal(t, math.Float64bits(want), math.Float64bits(got))
	childcheck.None(t)
}

func TestPoolRunsManyIntegralsOnTheSameWorkers(t *testing.T) {
	pool, err := NewPool(t.Context(), 2)
	require.NoError(t, err)
	for _, p := range sameBitsCases {
		want, err := Serial(t.Context(), p)
		require.NoError(t, err)
		got, err := pool.Integrate(t.Context(), p)
		require.NoError(t, err)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v", p)
	}
	assert.Equal(t, 2, pool.Stats().Started, "no worker started again")
	require.NoError(t, pool.Close())
	childcheck.None(t)
}

func TestPoolSendsEachWorkerItsNextRangeAhead(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40*BlockSize + 17}
	work, err := Split(p, 2)
	require.NoError(t, err)
	pool, err := NewPool(t.Context(), 2)
	require.NoError(t, err)
	_, err = pool.Integrate(t.Context(), p)
	require.NoError(t, err)
	stats := pool.Stats()
	require.NoError(t, pool.Close())
	assert.Equal(t, len(work), stats.Jobs)
	// A worker's first range goes to it idle; every later one is sent
	// while it computes the one before.
	assert.GreaterOrEqual(t, stats.SentAhead, len(work)-2,
		"%d ranges, %d sent ahead: a worker waited for a round trip between two ranges", len(work), stats.SentAhead)
	childcheck.None(t)
}

func TestProcessesRejectAFunc(t *testing.T) {
	_, err := Processes(t.Context(), Problem{Func: math.Sin, A: 0, B: 1, N: 10}, 2)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "a Go func cannot be sent to another process")
	childcheck.None(t)
}

// TestProcessesSurviveAWorkerThatFailsOnce: a worker that crashes, or
// writes garbage, is replaced and its chunk retried once; the result is
// still Serial's, bit for bit.
func TestProcessesSurviveAWorkerThatFailsOnce(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40*BlockSize + 17}
	want, err := Serial(t.Context(), p)
	require.NoError(t, err)
	for _, kind := range []string{"crash", "garbage"} {
		t.Run(kind, func(t *testing.T) {
			fault(t, kind, 21, true)
			pool, err := NewPool(t.Context(), 2)
			require.NoError(t, err)
			got, err := pool.Integrate(t.Context(), p)
			stats := pool.Stats()
			require.NoError(t, pool.Close())
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"got %v after a %s, serial %v", got, kind, want)
			assert.Equal(t, 1, stats.Crashed, "one worker failed")
			assert.Equal(t, 1, stats.Retried, "its chunk was retried")
			childcheck.None(t)
		})
	}
}

func TestProcessesNameTheChunkThatAlwaysFails(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40 * BlockSize}
	fault(t, "crash", 21, false)
	_, err := Processes(t.Context(), p, 2)
	require.Error(t, err)
	var ce *ChunkError
	require.ErrorAs(t, err, &ce)
	// 40 blocks for 2 workers in 11 chunks of 10, 8, 6, 4, 3, 3, 2, 1,
	// 1, 1, 1 (guided): block 21 is in chunk 2, blocks 18..23, which is
	// x in [4.5, 6).
	assert.Equal(t, 2, ce.Chunk)
	assert.EqualValues(t, 18, ce.First)
	assert.EqualValues(t, 24, ce.Last)
	assert.ErrorContains(t, err, "chunk 2 of 11 (blocks 18..23, x in [4.5, 6)) failed")
	assert.NotErrorIs(t, err, ErrInvalid)
	childcheck.None(t)
}

// stallPerPoint is the chunk deadline per point in the tests where a
// worker stalls: 491.52 ms for a chunk of 6 blocks (98304 points). A
// chunk of x2 takes well under a millisecond, so only the stalled worker
// can miss it.
const stallPerPoint = 5 * time.Microsecond

// stallPool returns a pool of 2 workers whose chunk deadline is
// stallPerPoint per point, with no floor.
func stallPool(t *testing.T) *Pool {
	t.Helper()
	pool, err := NewPool(t.Context(), 2)
	require.NoError(t, err)
	pool.floor, pool.perPoint = 0, stallPerPoint
	return pool
}

func TestChunkDeadlineGrowsWithTheChunk(t *testing.T) {
	pool, err := NewPool(t.Context(), 1)
	require.NoError(t, err)
	assert.Equal(t, 10*time.Second, pool.chunkTimeout(0, time.Microsecond), "the floor")
	assert.Equal(t, 10*time.Second+time.Second, pool.chunkTimeout(1e6, time.Microsecond), "1 µs per point")
	// -n 1e10 -workers 2: a first chunk of 2.5e9 points, at 60 ns (100 × x2's 0.6 ns).
	assert.Equal(t, 160*time.Second, pool.chunkTimeout(2.5e9, 60*time.Nanosecond))
	require.NoError(t, pool.Close())
	childcheck.None(t)
}

// costPerPoint measures a real cost: positive, and far below a second a
// point, for a problem of one block and of many.
func TestCostPerPointIsMeasured(t *testing.T) {
	for _, p := range []Problem{
		{F: "x2", A: 0, B: 10, N: 100},
		{F: "sin", A: 0, B: 10, N: 40 * BlockSize},
	} {
		pl, err := newPlan(p)
		require.NoError(t, err)
		c := pl.costPerPoint()
		assert.Positive(t, c, "%v", p)
		assert.Less(t, c, time.Second, "%v", p)
	}
}

// TestProcessesSurviveAWorkerThatStallsOnce: a worker that stops
// answering is killed at its chunk's deadline, and the chunk is retried
// on a fresh worker; the result is still Serial's, bit for bit.
func TestProcessesSurviveAWorkerThatStallsOnce(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40 * BlockSize}
	want, err := Serial(t.Context(), p)
	require.NoError(t, err)
	fault(t, "stall", 21, true)
	pool := stallPool(t)
	got, err := pool.Integrate(t.Context(), p)
	stats := pool.Stats()
	require.NoError(t, pool.Close())
	require.NoError(t, err)
	assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
		"got %v after a stall, serial %v", got, want)
	assert.Equal(t, 1, stats.TimedOut, "one worker timed out")
	assert.Equal(t, 1, stats.Retried, "its chunk was retried")
	assert.Equal(t, 3, stats.Started, "and a fresh worker replaced it")
	childcheck.None(t)
}

func TestProcessesNameTheChunkThatAlwaysTimesOut(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40 * BlockSize}
	fault(t, "stall", 21, false)
	pool := stallPool(t)
	_, err := pool.Integrate(t.Context(), p)
	require.NoError(t, pool.Close())
	var ce *ChunkError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, 2, ce.Chunk)
	assert.ErrorIs(t, err, processpool.ErrJobTimeout)
	// The deadline is the chunk's: 6 blocks of BlockSize points.
	assert.ErrorContains(t, err, "integrate: chunk 2 of 11 (blocks 18..23, x in [4.5, 6)) failed: "+
		"processpool: job timed out twice: worker pid ")
	assert.ErrorContains(t, err, " did not answer within 491.52ms; retried once on a fresh worker, pid ")
	childcheck.None(t)
}

func TestCancellingProcessesReturnsCtxErrAndLeavesNoChild(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40 * BlockSize}
	// The worker that gets block 0 writes to the FIFO and then hangs
	// until it is killed: the run cannot end before we cancel it, and we
	// cancel once it is surely under way.
	fifo := mkfifo(t, filepath.Join(t.TempDir(), "hanging"))
	t.Setenv(faultEnv, "hang 0 "+fifo)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1) // Processes' result; never blocks the sender
	go func() {
		_, err := Processes(ctx, p, 2)
		errc <- err
	}()
	_, err := os.ReadFile(fifo) // returns when the worker has written
	require.NoError(t, err)
	cancel()
	assert.ErrorIs(t, <-errc, context.Canceled)
	childcheck.None(t)
}

func TestGuidedRangesShrinkAndCoverEveryBlock(t *testing.T) {
	sizes := func(rs []blockRange) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.Last-r.First)
		}
		return out
	}
	assert.Equal(t, []int64{10, 8, 6, 4, 3, 3, 2, 1, 1, 1, 1}, sizes(guided(40, 2)))
	assert.Equal(t, []int64{1}, sizes(guided(1, 8)), "one block")
	assert.Equal(t, []int64{3, 1, 1}, sizes(guided(5, 1)), "one worker still gets shrinking ranges")
	for _, nb := range []int64{1, 2, 7, 40, 6104, 610352} {
		for _, w := range []int{1, 2, 3, 8, 64} {
			rs := guided(nb, w)
			var next int64
			for i, r := range rs {
				require.Equal(t, next, r.First, "blocks=%d workers=%d: range %d starts where %d ended", nb, w, i, i-1)
				require.Greater(t, r.Last, r.First, "blocks=%d workers=%d: range %d is empty", nb, w, i)
				if i > 0 {
					require.LessOrEqual(t, r.Last-r.First, rs[i-1].Last-rs[i-1].First,
						"blocks=%d workers=%d: range %d is larger than the one before", nb, w, i)
				}
				next = r.Last
			}
			require.Equal(t, nb, next, "blocks=%d workers=%d: every block", nb, w)
			// A range is at least 1/(16 w) of the blocks, so there are
			// at most 16 w of those, plus the ranges that halve.
			require.LessOrEqual(t, len(rs), 16*w+64, "blocks=%d workers=%d", nb, w)
		}
	}
}
