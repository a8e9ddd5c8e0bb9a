package query

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check select adds -race).
//
// Every test runs inside synctest.Test, where time is fake and exact: a
// replica that answers after 1s answers at exactly 1s, and First must
// return at that very moment. A goroutine left blocked for good makes
// synctest panic ("blocked goroutines remain"), which ends the whole test
// binary, so the test likeliest to find one, TestNoGoroutineLeftBehind,
// comes last. Replica calls that First leaves running, but that end by
// themselves, are waited out at the end of each test (outlastReplicas).

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNoReplicas checks that First with nothing to ask fails at once.
func TestNoReplicas(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		answer, err := First(t.Context(), "q")
		assert.ErrorIs(t, err, ErrNoReplicas, "First's error with no replicas")
		assert.Empty(t, answer, "First's answer with no replicas")
		assert.Zero(t, time.Since(begin), "First with no replicas waited")
	})
}

// TestReturnsTheFastestAnswer asks three replicas that answer after 3s, 1s
// and 2s. First must send the query to all of them at once and return the
// 1s answer at exactly 1s: not at 3s, which is when the slowest answers
// (or when replicas asked one after another would be done).
func TestReturnsTheFastestAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		rs := []*fake{
			answers(begin, 3*time.Second, "c"),
			answers(begin, time.Second, "a"),
			answers(begin, 2*time.Second, "b"),
		}
		answer, err := First(t.Context(), "select 1", replicas(rs)...)
		require.NoError(t, err, "First's error, with three replicas that all answer")
		assert.Equal(t, "a: select 1", answer, "the answer of the fastest replica")
		assert.Equal(t, time.Second, time.Since(begin),
			"First returned after; want the moment the fastest replica answered")
		for i, r := range rs {
			s := r.snapshot()
			assert.Equal(t, 1, s.calls, "replica %d: calls", i)
			assert.Equal(t, time.Duration(0), s.calledAt, "replica %d: called at", i)
			assert.Equal(t, "select 1", s.query, "replica %d: the query it got", i)
		}
	})
}

// TestLosersAreCancelledAtOnce checks that the replicas that lose see their
// ctx done at the very moment the winner answers, with context.Canceled,
// and that every replica call has returned by the time First does.
func TestLosersAreCancelledAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		winner := answers(begin, time.Second, "a")
		losers := []*fake{
			answers(begin, 3*time.Second, "c"),
			answers(begin, time.Hour, "d"),
		}
		_, err := First(t.Context(), "q", replicas(append(losers, winner))...)
		require.NoError(t, err, "First's error, with a replica that answers at 1s")
		returned := time.Since(begin)
		for i, l := range losers {
			s := l.snapshot()
			assert.Equal(t, time.Second, s.doneAt,
				"loser %d: its ctx was done at (-1ns: never); want the moment "+
					"the winner answered", i)
			assert.ErrorIs(t, s.ctxErr, context.Canceled, "loser %d: its ctx.Err()", i)
			assert.Equal(t, time.Second, s.returnedAt,
				"loser %d: returned at (-1ns: not yet when First returned)", i)
		}
		assert.Equal(t, time.Second, returned, "First returned after")
		assert.Equal(t, time.Duration(-1), winner.snapshot().doneAt,
			"the winner saw its ctx done while it was still working")
	})
}

// TestWaitsForLosersToStop gives First a loser that takes 500ms to stop
// once cancelled (it closes a connection, say). First must not return
// before every replica call has: at exactly 1.5s, with the 1s answer.
func TestWaitsForLosersToStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		slowToStop := answers(begin, time.Hour, "b")
		slowToStop.stopTakes = 500 * time.Millisecond
		answer, err := First(t.Context(), "q",
			replicas([]*fake{answers(begin, time.Second, "a"), slowToStop})...)
		require.NoError(t, err, "First's error, with a replica that answers at 1s")
		assert.Equal(t, "a: q", answer, "the answer of the replica that answered at 1s")
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin),
			"First returned after; want the moment the last replica call "+
				"returned (cancelled at 1s, it takes 500ms to stop)")
		assert.Equal(t, 1500*time.Millisecond, slowToStop.snapshot().returnedAt,
			"the slow-to-stop loser returned at")
	})
}

// TestFailureDoesNotWin checks that a replica that fails fast does not
// win over a slower one that succeeds.
func TestFailureDoesNotWin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		errDown := errors.New("replica down")
		rs := []*fake{
			fails(begin, time.Second, errDown),
			answers(begin, 2*time.Second, "b"),
			answers(begin, 3*time.Second, "c"),
		}
		answer, err := First(t.Context(), "q", replicas(rs)...)
		require.NoError(t, err, "a failure at 1s, then an answer at 2s")
		assert.Equal(t, "b: q", answer, "the first good answer, at 2s, after a failure at 1s")
		assert.Equal(t, 2*time.Second, time.Since(begin),
			"First returned after; want the moment of the first good answer")
		assert.Equal(t, 2*time.Second, rs[2].snapshot().doneAt,
			"the last replica's ctx was done at")
	})
}

// TestAllFail checks that when every replica fails, First returns when the
// last one does, with every error joined, in the order of the replicas.
func TestAllFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		errs := []error{
			errors.New("disk full"),
			errors.New("connection refused"),
			errors.New("no such table"),
		}
		rs := []*fake{
			fails(begin, 2*time.Second, errs[0]),
			fails(begin, 3*time.Second, errs[1]),
			fails(begin, time.Second, errs[2]),
		}
		answer, err := First(t.Context(), "q", replicas(rs)...)
		require.Error(t, err, "First's error when every replica fails: want them joined, not nil")
		assert.Empty(t, answer, "First's answer when every replica fails")
		assert.Equal(t, 3*time.Second, time.Since(begin),
			"First returned after; want the moment the last replica failed")
		for _, e := range errs {
			assert.ErrorIs(t, err, e, "the joined error must wrap each failure")
		}
		assert.Equal(t, "replica 0: disk full\n"+
			"replica 1: connection refused\n"+
			"replica 2: no such table", err.Error(),
			"want errors.Join of \"replica i: ...\", in the order of the replicas")
	})
}

// TestContextDoneFirst checks that when ctx ends (its deadline, or a
// cancel) before any replica answers, First returns exactly ctx.Err() at
// that moment, not the replicas' own errors, and only once every replica
// has seen its ctx done and returned.
func TestContextDoneFirst(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"deadline at 2s", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 2*time.Second)
		}, context.DeadlineExceeded},
		{"cancelled at 2s", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(2*time.Second, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				defer outlastReplicas()
				begin := time.Now()
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				rs := []*fake{
					answers(begin, 5*time.Second, "a"),
					fails(begin, time.Second, errors.New("replica down")),
					answers(begin, time.Hour, "c"),
				}
				answer, err := First(ctx, "q", replicas(rs)...)
				assert.Empty(t, answer, "First's answer when ctx ends first")
				assert.Equal(t, tt.wantErr, err, "First's error: want ctx.Err() itself")
				assert.Equal(t, 2*time.Second, time.Since(begin),
					"First returned after; want the moment ctx was done")
				for _, i := range []int{0, 2} {
					s := rs[i].snapshot()
					assert.Equal(t, 2*time.Second, s.doneAt, "replica %d: ctx done at", i)
					assert.Equal(t, 2*time.Second, s.returnedAt,
						"replica %d: returned at (-1ns: not yet when First returned)", i)
				}
			})
		})
	}
}

// TestContextDoneWaitsForReplicasToStop gives First a replica that takes
// 500ms to stop once cancelled, and a ctx whose deadline passes at 2s,
// before any replica answers. First must return ctx.Err() only once every
// replica call has returned: at exactly 2.5s, not at 2s with a replica
// still running. Waiting for the replicas is owed on every way out of
// First, not only when a replica answered.
func TestContextDoneWaitsForReplicasToStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		slowToStop := answers(begin, time.Hour, "b")
		slowToStop.stopTakes = 500 * time.Millisecond
		answer, err := First(ctx, "q",
			replicas([]*fake{answers(begin, 5*time.Second, "a"), slowToStop})...)
		assert.Empty(t, answer, "First's answer when ctx ends first")
		assert.Equal(t, context.DeadlineExceeded, err, "First's error: want ctx.Err() itself")
		assert.Equal(t, 2500*time.Millisecond, time.Since(begin),
			"First returned after; want the moment the last replica call "+
				"returned (ctx done at 2s, one replica takes 500ms to stop): "+
				"First must wait for its replicas when ctx ends too")
		assert.Equal(t, 2500*time.Millisecond, slowToStop.snapshot().returnedAt,
			"the slow-to-stop replica returned at (-1ns: not yet when First returned)")
	})
}

// TestAlreadyDoneContext calls First with a ctx that is already cancelled,
// and replicas that would answer at once: First must return ctx.Err()
// without calling any of them. A First that goes straight to a select on
// the answers and ctx.Done() finds both ready and picks one at random, so
// we ask 100 times.
func TestAlreadyDoneContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		defer outlastReplicas()
		begin := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		for i := range 100 {
			r := answers(begin, 0, "a")
			answer, err := First(ctx, "q", r.replica)
			require.Equal(t, context.Canceled, err, "call %d: First's error", i+1)
			require.Empty(t, answer, "call %d: First's answer", i+1)
			require.Zero(t, r.snapshot().calls,
				"call %d: replica calls with ctx already done", i+1)
		}
		assert.Zero(t, time.Since(begin), "First with ctx already done waited")
	})
}

// TestNoGoroutineLeftBehind checks that First leaves nothing running: long
// after it returned, and after every replica would have finished by
// itself, no goroutine it started is left. A First that returns early and
// leaves the losers to send on an unbuffered channel that nobody receives
// from any more leaks them, blocked forever; goleak finds them, and then
// synctest panics ("blocked goroutines remain"), which ends the run.
func TestNoGoroutineLeftBehind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		before := goleak.IgnoreCurrent()
		rs := []*fake{
			answers(begin, 2*time.Second, "b"),
			answers(begin, time.Second, "a"),
			answers(begin, 3*time.Second, "c"),
		}
		answer, err := First(t.Context(), "q", replicas(rs)...)
		require.NoError(t, err, "First's error, with a replica that answers at 1s")
		assert.Equal(t, "a: q", answer, "the answer of the replica that answered at 1s")

		outlastReplicas()
		synctest.Wait()
		assert.NoError(t, goleak.Find(before),
			"goroutines left behind by First, long after it returned")
	})
}

// outlastReplicas sleeps until every fake replica would have returned by
// itself, however long it takes, cancelled or not. The tests defer it, so
// that a First that leaves replica calls running fails the test's
// assertions, which the test has already checked, instead of making
// synctest panic because goroutines are still running when the bubble
// ends. A goroutine blocked forever still makes it panic.
func outlastReplicas() {
	time.Sleep(2 * time.Hour) // the slowest fake takes 1h
}

// A fake is a Replica that answers (or fails) after a set time, and
// records what happened to it, in durations since begin. A recorded time
// of -1 means "never".
type fake struct {
	begin     time.Time
	after     time.Duration // how long it takes to answer
	value     string        // its answer is value + ": " + the query
	err       error         // or this error, when not nil
	stopTakes time.Duration // how long it takes to return once ctx is done

	mu         sync.Mutex // guards the fields below
	calls      int
	query      string
	calledAt   time.Duration
	doneAt     time.Duration // when it saw its ctx done, while working
	ctxErr     error         // its ctx.Err() then
	returnedAt time.Duration
}

// answers returns a fake that answers value after d.
func answers(begin time.Time, d time.Duration, value string) *fake {
	return &fake{begin: begin, after: d, value: value,
		calledAt: -1, doneAt: -1, returnedAt: -1}
}

// fails returns a fake that fails with err after d.
func fails(begin time.Time, d time.Duration, err error) *fake {
	return &fake{begin: begin, after: d, err: err,
		calledAt: -1, doneAt: -1, returnedAt: -1}
}

// replica is the fake as a Replica.
func (f *fake) replica(ctx context.Context, query string) (string, error) {
	f.record(func() {
		f.calls++
		f.query = query
		f.calledAt = time.Since(f.begin)
	})
	defer f.record(func() { f.returnedAt = time.Since(f.begin) })

	timer := time.NewTimer(f.after)
	defer timer.Stop()
	select {
	case <-timer.C: // done: answer, or fail
		if f.err != nil {
			return "", f.err
		}
		return fmt.Sprintf("%s: %s", f.value, query), nil
	case <-ctx.Done(): // cancelled: stop, which may take a while
		f.record(func() {
			f.doneAt = time.Since(f.begin)
			f.ctxErr = ctx.Err()
		})
		time.Sleep(f.stopTakes)
		return "", ctx.Err()
	}
}

// record runs update with f.mu held.
func (f *fake) record(update func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	update()
}

// A snapshot is a copy of what a fake has recorded.
type snapshot struct {
	calls                        int
	query                        string
	calledAt, doneAt, returnedAt time.Duration
	ctxErr                       error
}

// snapshot returns a copy of what f has recorded so far.
func (f *fake) snapshot() snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return snapshot{calls: f.calls, query: f.query, calledAt: f.calledAt,
		doneAt: f.doneAt, returnedAt: f.returnedAt, ctxErr: f.ctxErr}
}

// replicas returns the fakes as Replicas.
func replicas(fakes []*fake) []Replica {
	rs := make([]Replica, len(fakes))
	for i, f := range fakes {
		rs[i] = f.replica
	}
	return rs
}
