package processpool_test

import (
	"context"
	"encoding/gob"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feed returns a next func for Run that gives jobs in order, and a count
// of its calls.
func feed(jobs ...job) (next func() (job, time.Duration, bool), calls *int) {
	calls = new(int)
	next = func() (job, time.Duration, bool) {
		*calls++
		if len(jobs) == 0 {
			return job{}, 0, false
		}
		j := jobs[0]
		jobs = jobs[1:]
		return j, 0, true
	}
	return next, calls
}

// ended is what done got for one job.
type ended struct {
	N      int // the job's N
	Square int
	Err    error
}

// collect returns a done func for Run that records what it gets and
// returns nil.
func collect(got *[]ended) func(job, result, error) error {
	return func(j job, r result, err error) error {
		*got = append(*got, ended{j.N, r.Square, err})
		return nil
	}
}

func TestRunSendsEachRequestAhead(t *testing.T) {
	p := newPool(t, command(t), 1)
	next, calls := feed(job{N: 1}, job{N: 2}, job{N: 3}, job{N: 4}, job{N: 5})
	var got []ended
	require.NoError(t, p.Run(t.Context(), next, collect(&got)))
	assert.Equal(t, []ended{{1, 1, nil}, {2, 4, nil}, {3, 9, nil}, {4, 16, nil}, {5, 25, nil}}, got,
		"done gets every job, in the order next gave them")
	assert.Equal(t, 6, *calls, "next is called until it says there are no more, and no more")
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 5, SentAhead: 4}, p.Stats(),
		"every request after the first is sent while the worker runs the one before")
	closeAndCheck(t, p)
}

func TestRunWaitsToSendALargeRequest(t *testing.T) {
	p := newPool(t, command(t), 1)
	big := strings.Repeat("x", 1000) // over the 512 bytes a pipe surely holds
	next, _ := feed(job{N: 1, Extra: big}, job{N: 2, Extra: big}, job{N: 3, Extra: big})
	var got []ended
	require.NoError(t, p.Run(t.Context(), next, collect(&got)))
	assert.Equal(t, []ended{{1, 1, nil}, {2, 4, nil}, {3, 9, nil}}, got)
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 3}, p.Stats(),
		"a request larger than a pipe surely holds waits for the answer before it")
	closeAndCheck(t, p)
}

func TestRunRetriesACrashAndSendsTheNextJobAgain(t *testing.T) {
	p := newPool(t, command(t), 1)
	// Job 1 crashes its first worker, which has job 2 waiting in its
	// stdin: the fresh worker must get both, job 1 first.
	once := filepath.Join(t.TempDir(), "once")
	next, _ := feed(job{N: 1, Mode: "exit", Once: once}, job{N: 2}, job{N: 3})
	var got []ended
	require.NoError(t, p.Run(t.Context(), next, collect(&got)))
	assert.Equal(t, []ended{{1, 1, nil}, {2, 4, nil}, {3, 9, nil}}, got)
	st := p.Stats()
	assert.Equal(t, 2, st.Started, "one fresh worker")
	assert.Equal(t, 1, st.Crashed)
	assert.Equal(t, 1, st.Retried)
	assert.Equal(t, 3, st.Jobs)
	closeAndCheck(t, p)
}

func TestRunPassesASecondCrashToDoneAndGoesOn(t *testing.T) {
	p := newPool(t, command(t), 1)
	next, _ := feed(job{N: 1, Mode: "exit"}, job{N: 2})
	var got []ended
	require.NoError(t, p.Run(t.Context(), next, collect(&got)))
	require.Len(t, got, 2)
	var crash *processpool.CrashError
	require.ErrorAs(t, got[0].Err, &crash, "job 1 crashed twice")
	assert.NotNil(t, crash.Previous)
	assert.Equal(t, 3, crash.ExitCode())
	assert.Equal(t, ended{2, 4, nil}, got[1], "done returned nil: job 2 runs on a third worker")
	assert.Equal(t, 3, p.Stats().Started)
	closeAndCheck(t, p)
}

func TestRunStopsWhenDoneReturnsAnError(t *testing.T) {
	p := newPool(t, command(t), 1)
	next, calls := feed(job{N: 1, Mode: "error"}, job{N: 2}, job{N: 3})
	var got []ended
	err := p.Run(t.Context(), next, func(j job, r result, err error) error {
		got = append(got, ended{j.N, r.Square, err})
		return err
	})
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote, "Run returns done's error")
	assert.Equal(t, "job 1 failed", remote.Msg)
	require.Len(t, got, 1, "done is not called for the job sent ahead")
	assert.Equal(t, 2, *calls, "next is not called after done's error")
	// Job 2 was sent ahead: Run waited for its answer, so the worker
	// is idle and serves the next caller.
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 2, SentAhead: 1}, p.Stats())
	r, err := p.Do(t.Context(), job{N: 4})
	require.NoError(t, err)
	assert.Equal(t, 16, r.Square)
	assert.Equal(t, 1, p.Stats().Started, "the same worker")
	closeAndCheck(t, p)
}

// bigExtra is a type that a request carries in its Extra field, so that
// the first request with one carries its definition.
type bigExtra struct{ S string }

func init() { gob.Register(bigExtra{}) } // in the parent and in the workers

func TestRunForgetsARequestItDidNotSend(t *testing.T) {
	p := newPool(t, command(t), 1)
	// Job 2 is too large to send ahead, and the first to carry a
	// bigExtra, so its frame defines the type. Job 1 fails, and Run
	// stops before sending job 2: the next request must define the
	// type again, or the worker cannot decode it.
	big := bigExtra{strings.Repeat("x", 1000)}
	next, _ := feed(job{N: 1, Mode: "error"}, job{N: 2, Extra: big})
	err := p.Run(t.Context(), next, func(_ job, _ result, err error) error { return err })
	var remote *processpool.RemoteError
	require.ErrorAs(t, err, &remote)
	r, err := p.Do(t.Context(), job{N: 3, Extra: big})
	require.NoError(t, err)
	assert.Equal(t, 9, r.Square)
	assert.Equal(t, processpool.Stats{Started: 1, Jobs: 2}, p.Stats(), "no crash, no fresh worker")
	closeAndCheck(t, p)
}

func TestRunCancelKillsTheWorker(t *testing.T) {
	p := newPool(t, command(t), 1)
	gate := fifo(t, "gate")
	ctx, cancel := context.WithCancel(t.Context())
	next, _ := feed(job{N: 1, Mode: "gate", Gate: gate}, job{N: 2})
	var got []ended
	var wg sync.WaitGroup
	var err error
	wg.Go(func() { err = p.Run(ctx, next, collect(&got)) })
	g := openGate(t, gate) // job 1 runs, job 2 waits in the worker's stdin
	defer g.Close()

	cancel()
	wg.Wait()
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, got, "the jobs not done are dropped")
	assert.Empty(t, childPIDs(t), "the worker was killed and reaped")
	r, err := p.Do(t.Context(), job{N: 3})
	require.NoError(t, err)
	assert.Equal(t, 9, r.Square)
	assert.Equal(t, 2, p.Stats().Started, "the slot got a fresh worker")
	closeAndCheck(t, p)
}

func TestRunFinishesItsJobsAfterClose(t *testing.T) {
	p := newPool(t, command(t), 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	var closeErr error
	calls := 0
	next := func() (job, time.Duration, bool) {
		calls++
		switch calls {
		case 1:
			return job{N: 1}, 0, true
		case 2:
			// Taken ahead, while job 1 runs: Close now. A Do waits
			// for the slot Run holds until Close is called.
			wg.Go(func() { closeErr = p.Close() })
			_, err := p.Do(t.Context(), job{})
			require.ErrorIs(t, err, processpool.ErrClosed)
			return job{N: 2}, 0, true
		}
		return job{N: calls}, 0, true
	}
	var got []ended
	err := p.Run(t.Context(), next, collect(&got))
	require.ErrorIs(t, err, processpool.ErrClosed)
	assert.Equal(t, []ended{{1, 1, nil}, {2, 4, nil}}, got, "the jobs taken before Close are done")
	assert.Equal(t, 2, calls, "none is taken after")
	wg.Wait()
	require.NoError(t, closeErr)
	assert.Empty(t, childPIDs(t))
	assert.True(t, errors.Is(p.Run(t.Context(), next, collect(&got)), processpool.ErrClosed))
}
