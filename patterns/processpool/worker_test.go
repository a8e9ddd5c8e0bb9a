package processpool

// These tests corrupt what the parent sends to a real worker process,
// which the pool itself never does: they take a worker from a pool's
// slots and give it a frameWriter that writes the corrupt bytes in place
// of its next request. The worker is this test binary, as the worker
// named "square" (see TestMain in processpool_test.go).

import (
	"errors"
	"fmt"
	"io"
	"math"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corruptWriter writes b in place of the first frame written through it,
// and then every frame as it is.
type corruptWriter struct {
	w io.Writer
	b []byte // nil once written
}

func (c *corruptWriter) Write(p []byte) (int, error) {
	if c.b == nil {
		return c.w.Write(p)
	}
	b := c.b
	c.b = nil
	if _, err := c.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

func TestWorkerRejectsCorruptRequests(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes []byte
		want  string // in the worker's stderr
	}{{
		name:  "huge length",
		bytes: header(math.MaxUint32),
		want: "worker: processpool: reading a request: corrupt stream: a frame header from the parent claims " +
			"4294967295 bytes, over the limit of 67108864 (processpool.MaxFrame)",
	}, {
		name:  "length just over the limit",
		bytes: header(MaxFrame + 1),
		want: "worker: processpool: reading a request: corrupt stream: a frame header from the parent claims " +
			"67108865 bytes, over the limit of 67108864 (processpool.MaxFrame)",
	}, {
		name:  "garbage payload",
		bytes: append(header(5), "junk!"...),
		want:  "worker: processpool: reading a request: corrupt stream: a frame from the parent is not a *processpool.request[int]: ",
	}, {
		name:  "text",
		bytes: []byte("hello, worker\n"),
		want: `worker: processpool: reading a request: corrupt stream: ` +
			`the parent wrote to the worker's stdin outside the protocol: "hello, worker\n"`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := Self("square")
			require.NoError(t, err)
			cmd.Env = append(cmd.Env, "GORACE=atexit_sleep_ms=0")
			p, err := New[int, int](t.Context(), cmd, 1)
			require.NoError(t, err)
			t.Cleanup(func() { _ = p.Close() })

			w := <-p.slots
			w.fw = newFrameWriter(&corruptWriter{w: w.stdin, b: tc.bytes})
			err = runNoRetry(t, p, w, 7)
			var crash *CrashError
			require.ErrorAs(t, err, &crash)
			assert.Equal(t, 1, crash.ExitCode(), "the worker exits with status 1: %v", err)
			assert.Contains(t, crash.Stderr, tc.want)
			assert.ErrorContains(t, err, fmt.Sprintf("the second time: pid %d, exit status 1: EOF\nstderr tail:\n", w.pid)+tc.want)

			n, err := p.Do(t.Context(), 7)
			require.NoError(t, err)
			assert.Equal(t, 49, n, "the pool goes on with a fresh worker")
			require.NoError(t, p.Close())
			childcheck.None(t)
		})
	}
}

// noRetry stands for a job's first failure, so that the next is final.
var noRetry = &CrashError{Op: "job", Cause: errors.New("(a test that wants no retry)")}

// runNoRetry runs req on w, a worker taken from p's slots, as Run does, but
// with no retry: done gets the first crash. A minute for the deadline: a
// worker that reads corrupt bytes must exit at once, not be killed at a
// deadline. The slot gets back what the run left: w, or nil for a fresh
// worker.
func runNoRetry(t *testing.T, p *Pool[int, int], w *worker, req int) error {
	t.Helper()
	var err error
	s := &session[int, int]{p: p, ctx: t.Context(), w: w,
		queue: []*job[int]{{req: req, timeout: time.Minute, first: noRetry}},
		done:  func(_, _ int, e error) error { err = e; return nil }}
	require.NoError(t, s.run())
	p.slots <- s.w
	return err
}

func TestJobTimeoutDefaults(t *testing.T) {
	assert.Equal(t, DefaultJobTimeout, jobTimeout(0), "0 means the default")
	assert.Equal(t, time.Duration(0), jobTimeout(-1), "negative means no deadline")
	assert.Equal(t, 5*time.Second, jobTimeout(5*time.Second))
	assert.Equal(t, time.Minute, DefaultJobTimeout)
}
