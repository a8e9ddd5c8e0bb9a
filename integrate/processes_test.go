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
// on) or hang (write to the FIFO at PATH, then block until killed). For
// crash and garbage, a PATH makes the fault happen once per test: only
// the worker that creates the file misbehaves.
const faultEnv = "INTEGRATE_TEST_FAULT"

func testFault(req request) {
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

func TestProcessesGiveSerialsBitsForEveryWorkerCount(t *testing.T) {
	for _, p := range sameBitsCases {
		want, err := Serial(t.Context(), p)
		require.NoError(t, err)
		for _, w := range workerCounts {
			got, err := Processes(t.Context(), p, w)
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%v, %d workers: got %v, serial %v", p, w, got, want)
		}
	}
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
	// 40 blocks in 8 chunks of 5: block 21 is in chunk 4, blocks 20..24,
	// which is x in [5, 6.25).
	assert.Equal(t, 4, ce.Chunk)
	assert.EqualValues(t, 20, ce.First)
	assert.EqualValues(t, 25, ce.Last)
	assert.ErrorContains(t, err, "chunk 4 of 8 (blocks 20..24, x in [5, 6.25)) failed")
	assert.NotErrorIs(t, err, ErrInvalid)
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
