package taskqueue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// square is the tests' usual handler: the square of the job's number.
func square(_ context.Context, job taskqueue.Job) ([]byte, error) {
	n, err := strconv.Atoi(string(job.Data))
	if err != nil {
		return nil, err
	}
	return []byte(strconv.Itoa(n * n)), nil
}

// A job is done exactly once in effect: whichever worker crashes, and
// wherever, every job ends with one result, stored once, even those that
// ran twice. A crash is a worker whose connection closes, as a killed
// process's does (the next test kills a real process); here it happens on
// the first attempt of every fifth job.
func TestEveryJobDoneOnceInEffectWhenWorkersCrash(t *testing.T) {
	for _, tc := range []struct {
		name      string
		afterWork bool // crash in the handler, after the work, before the result is stored
		afterPut  bool // crash after the result is stored, before the ack
	}{
		{name: "between the work and the store", afterWork: true},
		{name: "between the store and the ack", afterPut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			cfg := taskqueue.Config{AckWait: 500 * time.Millisecond}
			q := open(t, srv, cfg)
			all := jobs(20)
			enqueue(t, q, all...)
			crashes := func(job taskqueue.Job) bool {
				n, _ := strconv.Atoi(string(job.Data))
				return n%5 == 0 && job.Attempt == 1
			}

			var mu sync.Mutex
			runs := map[string]int{} // handler calls per job, guarded by mu
			redone := make(chan string, len(all))
			mk := func(q *taskqueue.Queue, crash func()) *taskqueue.Worker {
				w := &taskqueue.Worker{
					Queue: q,
					// One job at a time: a crash then loses exactly the
					// job that caused it.
					Concurrency: 1,
					PullWait:    100 * time.Millisecond,
					Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
						mu.Lock()
						runs[job.ID]++
						mu.Unlock()
						if job.Attempt > 1 {
							redone <- job.ID
						}
						if tc.afterWork && crashes(job) {
							crash()
						}
						return square(ctx, job)
					},
				}
				if tc.afterPut {
					taskqueue.SetAfterStore(w, func(job taskqueue.Job) {
						if crashes(job) {
							crash()
						}
					})
				}
				return w
			}
			workers := []*crashy{
				superviseCrashy(t, srv, cfg, mk),
				superviseCrashy(t, srv, cfg, mk),
				superviseCrashy(t, srv, cfg, mk),
			}

			results, err := wait(t, q, ids(all)...)
			require.NoError(t, err)
			for i, r := range results {
				assert.Equal(t, strconv.Itoa(i*i), string(r), "result of %s", all[i].ID)
			}
			// Every crashed job is done again, by another worker.
			crashed := []string{"job-00", "job-05", "job-10", "job-15"}
			var again []string
			for range crashed {
				again = append(again, recv(t, "a crashed job to be delivered again", redone))
			}
			total := 0
			for _, c := range workers {
				total += c.close(t)
			}
			assert.Equal(t, len(crashed), total, "worker crashes")

			slices.Sort(again)
			assert.Equal(t, crashed, again, "jobs delivered a second time")
			mu.Lock()
			for _, j := range all {
				want := 1
				if slices.Contains(crashed, j.ID) {
					want = 2
				}
				assert.Equal(t, want, runs[j.ID], "runs of %s", j.ID)
			}
			mu.Unlock()
			// In effect once: one result per job in the bucket, and
			// nothing left in the queue.
			assert.Len(t, resultKeys(t, srv, taskqueue.DefaultName), len(all), "results stored")
			assert.Equal(t, taskqueue.Stats{}, stats(t, q), "jobs left in the queue")
		})
	}
}

// A worker process killed with SIGKILL in the middle of a job has its job
// delivered again, to another worker, once AckWait has passed since its
// last heartbeat; not before.
func TestKilledWorkerProcessJobIsDoneByAnother(t *testing.T) {
	const ackWait = time.Second
	srv := startServer(t, taskqueue.ListenLoopback())
	require.Regexp(t, `^nats://127\.0\.0\.1:\d+$`, srv.URL())
	q := open(t, srv, taskqueue.Config{AckWait: ackWait})

	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), workerURLEnv+"="+srv.URL(), workerAckWaitEnv+"="+ackWait.String(),
		"GORACE=atexit_sleep_ms=0")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	out := lines(stdout)

	begin := time.Now()
	enqueue(t, q, taskqueue.Job{ID: "long-job", Data: []byte("7")})
	require.NoError(t, cmd.Start())
	assert.Equal(t, "running long-job 1", recv(t, "the worker process to start the job", out))

	// A worker in this process waits for the job while the other runs it.
	got := make(chan taskqueue.Job, 1)
	start(t, &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			got <- job
			return []byte(fmt.Sprintf("done by pid %d", os.Getpid())), nil
		},
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait() // reaped
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, syscall.SIGKILL, exit.Sys().(syscall.WaitStatus).Signal())
	for range out { // the end of the child's stdout ends the reader
	}

	job := recv(t, "the killed worker's job to be delivered again", got)
	assert.GreaterOrEqual(t, time.Since(begin), ackWait, "delivered again before AckWait")
	assert.Equal(t, "long-job", job.ID)
	assert.Equal(t, 2, job.Attempt)
	res, err := wait(t, q, "long-job")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("done by pid %d", os.Getpid()), string(res[0]))
}

// A job whose handler fails MaxDeliver times goes to the dead letters with
// its last error, and leaves the work queue; the others are done. The
// delay before each new attempt grows.
func TestPoisonJobGoesToTheDeadLetters(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{MaxDeliver: 3, AckWait: time.Minute})
	dead := make(chan *nats.Msg, 1)
	sub, err := connect(t, srv).ChanSubscribe(taskqueue.DefaultName+".dead.>", dead)
	require.NoError(t, err)
	defer sub.Unsubscribe()

	var mu sync.Mutex
	var backoffs []int // guarded by mu
	var poisonRuns atomic.Int64
	stop := start(t, &taskqueue.Worker{
		Queue: q,
		Backoff: func(attempt int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			backoffs = append(backoffs, attempt)
			return time.Millisecond
		},
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			if job.ID == "poison" {
				poisonRuns.Add(1)
				return nil, fmt.Errorf("attempt %d:\ncannot parse %q", job.Attempt, job.Data)
			}
			return square(ctx, job)
		},
	})
	enqueue(t, q, taskqueue.Job{ID: "poison", Data: []byte("x")}, taskqueue.Job{ID: "fine", Data: []byte("3")})

	m := recv(t, "the dead letter", dead)
	assert.Equal(t, taskqueue.DefaultName+".dead.poison", m.Subject)
	assert.Equal(t, "poison", m.Header.Get(taskqueue.HeaderJobID))
	assert.Equal(t, "3", m.Header.Get(taskqueue.HeaderAttempts))
	assert.Equal(t, `attempt 3: cannot parse "x"`, m.Header.Get(taskqueue.HeaderError), "the last error, on one line")
	assert.Equal(t, "x", string(m.Data))

	res, err := wait(t, q, "fine", "poison")
	assert.Equal(t, "9", string(res[0]))
	assert.Nil(t, res[1])
	var dj *taskqueue.DeadJob
	require.ErrorAs(t, err, &dj)
	assert.Equal(t, "poison", dj.ID)
	assert.EqualError(t, err, `taskqueue: job poison went to the dead letters after 3 attempts; last error: attempt 3: cannot parse "x"`)

	list, err := q.DeadLetters(t.Context())
	require.NoError(t, err)
	assert.Equal(t, []taskqueue.DeadJob{{
		Job: taskqueue.Job{ID: "poison", Data: []byte("x"), Attempt: 3},
		Err: `attempt 3: cannot parse "x"`,
	}}, list)
	assert.Equal(t, int64(3), poisonRuns.Load(), "attempts")
	mu.Lock()
	assert.Equal(t, []int{1, 2}, backoffs, "Backoff called after each failed attempt but the last")
	mu.Unlock()
	// The dead letter is confirmed before Run returns.
	require.ErrorIs(t, stop(), context.Canceled)
	assert.Equal(t, taskqueue.Stats{Dead: 1}, stats(t, q), "the job left the work queue")
}

// A job that crashes every worker that runs it never gets an error from
// its handler; it goes to the dead letters all the same, in the delivery
// after its last attempt.
func TestJobThatCrashesEveryWorkerGoesToTheDeadLetters(t *testing.T) {
	srv := startServer(t)
	cfg := taskqueue.Config{MaxDeliver: 2, AckWait: 300 * time.Millisecond}
	q := open(t, srv, cfg)
	var runs atomic.Int64
	c := superviseCrashy(t, srv, cfg, func(q *taskqueue.Queue, crash func()) *taskqueue.Worker {
		return &taskqueue.Worker{
			Queue:    q,
			PullWait: 100 * time.Millisecond,
			Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
				runs.Add(1)
				crash()
				return nil, nil
			},
		}
	})
	enqueue(t, q, taskqueue.Job{ID: "crasher", Data: []byte("boom")})
	_, err := wait(t, q, "crasher")
	var dj *taskqueue.DeadJob
	require.ErrorAs(t, err, &dj)
	assert.Equal(t, 2, dj.Attempt)
	assert.Equal(t, "attempt 2 of 2 ended without an answer: its worker crashed or stopped, or it ran past AckWait without a heartbeat", dj.Err)
	assert.Equal(t, 2, c.close(t), "crashes")
	assert.Equal(t, int64(2), runs.Load(), "attempts")
	assert.Equal(t, taskqueue.Stats{Dead: 1}, stats(t, q))
}

// A worker never has more than Concurrency jobs: it pulls no more than it
// has free slots for, so the server sees exactly that many in flight, and
// no handler runs beside more than Concurrency-1 others.
func TestAtMostConcurrencyJobsInFlight(t *testing.T) {
	const limit, n = 3, 10
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{AckWait: time.Minute})
	enqueue(t, q, jobs(n)...)

	var active, most atomic.Int64
	started := make(chan string, n)
	proceed := make(chan struct{})
	start(t, &taskqueue.Worker{
		Queue:       q,
		Concurrency: limit,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			now := active.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			started <- job.ID
			<-proceed
			active.Add(-1)
			return square(ctx, job)
		},
	})
	for range limit {
		recv(t, "a job to start", started)
	}
	// The worker's slots are all busy: it has no pull open, and the
	// server has delivered it exactly limit jobs.
	s := stats(t, q)
	assert.Equal(t, limit, s.InFlight, "jobs delivered and not acked")
	assert.Equal(t, n-limit, s.Pending, "jobs not yet delivered")
	select {
	case id := <-started:
		t.Errorf("job %s started while %d others ran", id, limit)
	default:
	}
	// We let one job finish at a time; each makes room for one more.
	for i := range n {
		proceed <- struct{}{}
		if i < n-limit {
			recv(t, "a job to start in the freed slot", started)
		}
	}
	_, err := wait(t, q, ids(jobs(n))...)
	require.NoError(t, err)
	assert.Equal(t, int64(limit), most.Load(), "most handlers running at once")
}

// When a worker stops, its running handlers see their ctx end and their
// jobs go back to the queue at once: another worker gets them long
// before AckWait (a minute here; hangcheck would report the wait).
func TestStopNaksInFlightJobsPromptly(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{AckWait: time.Minute})
	started := make(chan string, 2)
	cancelled := make(chan string, 2)
	stopFirst := start(t, &taskqueue.Worker{
		Queue:       q,
		Concurrency: 2,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			started <- job.ID
			<-ctx.Done()
			cancelled <- job.ID
			return nil, fmt.Errorf("job %s: %w", job.ID, ctx.Err())
		},
	})
	enqueue(t, q, jobs(2)...)
	recv(t, "a job to start", started)
	recv(t, "a job to start", started)
	require.ErrorIs(t, stopFirst(), context.Canceled)
	got := []string{<-cancelled, <-cancelled} // sent before Run returned
	slices.Sort(got)
	assert.Equal(t, []string{"job-00", "job-01"}, got, "handlers that saw their ctx end")

	again := make(chan taskqueue.Job, 2)
	start(t, &taskqueue.Worker{
		Queue:       q,
		Concurrency: 2,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			again <- job
			return square(ctx, job)
		},
	})
	for range 2 {
		job := recv(t, "a job given back at the stop, to be delivered again", again)
		assert.Equal(t, 2, job.Attempt, "attempt of %s", job.ID)
	}
	_, err := wait(t, q, "job-00", "job-01")
	require.NoError(t, err)
}

// Run returns only when every goroutine it started has ended: it waits
// for a handler that ignores its ctx.
func TestRunWaitsForItsHandlers(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{})
	before := goleak.IgnoreCurrent()
	started := make(chan struct{})
	proceed := make(chan struct{})
	stop := start(t, &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			close(started)
			<-proceed // ignores ctx
			return []byte("finished"), nil
		},
	})
	enqueue(t, q, taskqueue.Job{ID: "stubborn"})
	recv(t, "the job to start", started)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while its handler ran", err)
	default:
	}
	close(proceed)
	require.ErrorIs(t, recv(t, "Run to return", stopped), context.Canceled)
	goleak.VerifyNone(t, before)
	// The handler returned nil: its result counts, though the worker was
	// stopping.
	res, err := q.Result(t.Context(), "stubborn")
	require.NoError(t, err)
	assert.Equal(t, "finished", string(res))
}

// A handler that fails gets its job back after the delay Backoff gives:
// the server never delivers it sooner.
func TestFailedJobComesBackAfterTheBackoff(t *testing.T) {
	const step = 200 * time.Millisecond
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{MaxDeliver: 3})
	var mu sync.Mutex
	var at []time.Time // when each attempt began and failed, guarded by mu
	start(t, &taskqueue.Worker{
		Queue:   q,
		Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * step },
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			if job.Attempt < 3 {
				return nil, errors.New("not yet")
			}
			return []byte("third time lucky"), nil
		},
	})
	enqueue(t, q, taskqueue.Job{ID: "flaky"})
	res, err := wait(t, q, "flaky")
	require.NoError(t, err)
	assert.Equal(t, "third time lucky", string(res[0]))
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, at, 3)
	assert.GreaterOrEqual(t, at[1].Sub(at[0]), 1*step, "second attempt after the first backoff")
	assert.GreaterOrEqual(t, at[2].Sub(at[1]), 2*step, "third attempt after the second, longer backoff")
}

// A job that runs longer than AckWait is not delivered again while its
// worker sends heartbeats: we watch them go to the server, and let the
// job end after six, which a ticker of AckWait/3 sends no sooner than two
// AckWaits after the job began.
func TestHeartbeatsKeepALongJob(t *testing.T) {
	srv := startServer(t)
	q := open(t, srv, taskqueue.Config{AckWait: 300 * time.Millisecond})
	acks := make(chan *nats.Msg, 64)
	sub, err := connect(t, srv).ChanSubscribe("$JS.ACK.>", acks)
	require.NoError(t, err)
	defer sub.Unsubscribe()

	started := make(chan struct{})
	proceed := make(chan struct{})
	start(t, &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			close(started)
			<-proceed
			return []byte(fmt.Sprint("attempt ", job.Attempt)), nil
		},
	})
	enqueue(t, q, taskqueue.Job{ID: "long"})
	recv(t, "the job to start", started)
	// A second worker would get the job if it were delivered again.
	again := make(chan taskqueue.Job, 1)
	start(t, &taskqueue.Worker{
		Queue: q,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			again <- job
			return nil, nil
		},
	})
	for beats := 0; beats < 6; {
		if m := recv(t, "a heartbeat", acks); string(m.Data) == "+WPI" {
			beats++
		}
	}
	select {
	case job := <-again:
		t.Fatalf("job %s (attempt %d) delivered again while its worker sent heartbeats", job.ID, job.Attempt)
	default:
	}
	close(proceed)
	res, err := wait(t, q, "long")
	require.NoError(t, err)
	assert.Equal(t, "attempt 1", string(res[0]))
}
