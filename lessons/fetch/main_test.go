package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Every test that measures time runs the lesson's server and clients
// inside synctest.Test, on a pipeNet (pipenet_test.go): time is fake, so a
// request the server answers after 100ms takes exactly 100ms, and 100 of
// them with 10 at once exactly 1s. Example and TestTraceFlag run on real
// loopback, with no delay, and check only what does not depend on timing.

// Example runs the lesson on loopback with no delay, so that it takes
// about 0.5s: the timeouts' wait, which is long, so that no request times
// out on a busy machine. With nothing to wait for, how many
// requests meet on the server, and so how many connections are dialled,
// varies from run to run in sections 2 to 4: those numbers are masked
// (N). Every other line is always the same.
func Example() {
	var out bytes.Buffer
	err := run(context.Background(), &out, []string{"-requests", "5",
		"-limit", "2", "-delay", "0", "-timeout", "500ms", "-deadline", "5s",
		"-backoff", "0"})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Print(maskTimes(maskCounts(out.String())))
	// Output:
	// A test server on loopback answers each request after 0s (simulated work).
	// 5 requests in each batch; every client has a Timeout of 500ms.
	//
	// 1. One after another: a loop of client.Get
	//   5 requests in T: 5 OK
	//   the server had at most N at once; N connections dialled
	//
	// 2. A goroutine each: wg.Go for every request, each error in errs[i]
	//   5 requests in T: 5 OK
	//   the server had at most N at once; N connections dialled
	//
	// 3. A bounded pool: errgroup.Group with SetLimit(2)
	//   5 requests in T: 5 OK
	//   the server had at most N at once; N connections dialled
	//
	// 4. A goroutine each, limited by the transport: MaxConnsPerHost = 2
	//   Timeout 500ms, enough for the queue: 5 requests in T: 5 OK
	//   the server had at most N at once; N connections dialled
	//   Timeout 500ms: 5 requests in T: 5 OK
	//
	// 5. Timeouts, four clients at once: /hang never answers; /stall sends its headers, then nothing
	//   /hang, http.Client{} (no Timeout, like http.DefaultClient): no answer after T; it would wait for ever, so we cancel it
	//   /hang, http.Client{Timeout: 500ms}: context deadline exceeded (Client.Timeout exceeded while awaiting headers) after T
	//   /hang, context.WithTimeout(ctx, 500ms): context deadline exceeded after T
	//   /stall, http.Client{Timeout: 500ms}: headers after T, then reading the body: context deadline exceeded (Client.Timeout or context cancellation while reading body) after T
	//
	// 6. One deadline for the whole batch: the pool of section 3, with context.WithTimeout(ctx, 5s)
	//   5 requests in T: 5 OK
	//   the server got 5: 0 cut off in flight, 0 never sent
	//
	// 7. Retries with backoff: /flaky/n answers 503 (Service Unavailable) to its first n requests; we try 3 times
	//   /flaky/0: try 1: 200 OK; done at T
	//   /flaky/1: try 1: 503; wait 0s; try 2: 200 OK; done at T
	//   /flaky/2: try 1: 503; wait 0s; try 2: 503; wait 0s; try 3: 200 OK; done at T
	//   /flaky/3: try 1: 503; wait 0s; try 2: 503; wait 0s; try 3: 503; gave up at T
}

// counts matches the server's peak and the connections dialled.
var counts = regexp.MustCompile(`at most \d+ at once; \d+ connections? dialled`)

// maskCounts replaces the counts that vary in a run with no delay by N.
func maskCounts(out string) string {
	return counts.ReplaceAllString(out, "at most N at once; N connections dialled")
}

// measured matches the times the lesson measures, as opposed to those it
// was given: on a busy machine a request with no delay may take a tenth
// of a second, and a timeout fire late.
var measured = regexp.MustCompile(`(requests in|answer after|exceeded after|\) after|headers after|done at|gave up at) [0-9][0-9.hmsµn]*`)

// maskTimes replaces the times measured in real time by T; the exact
// times are checked in fake time (TestOutputMatchesREADME).
func maskTimes(out string) string { return measured.ReplaceAllString(out, "$1 T") }

// realClockNotes are what the client adds to a timeout's message when it
// finds its deadline passed. In fake time the timer fires at the very
// deadline, not after it, and the client adds nothing.
var realClockNotes = strings.NewReplacer(
	" (Client.Timeout exceeded while awaiting headers)", "",
	" (Client.Timeout or context cancellation while reading body)", "")

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, without the notes that only a real clock adds to the client's
// timeout errors. Every time it prints is exact: 100 requests of 100ms
// take exactly 10s one after another, 100ms with a goroutine each, and 1s
// ten at a time; the whole run takes exactly their sum.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, runOn(t.Context(), &out, nil, newPipeNet()))
		assert.Equal(t, realClockNotes.Replace(want), out.String())
		// Sections 1 to 7: 10s + 100ms + 1s, 1s + 250ms, 250ms, 550ms, 400ms.
		assert.Equal(t, 13550*time.Millisecond, time.Since(begin), "the whole run took")
	})
}

// newTestLab starts the lesson's server on a pipeNet, inside the test's
// synctest bubble, and returns a lab with the flags args. The server is
// stopped when the test ends.
func newTestLab(t *testing.T, args ...string) *lab {
	t.Helper()
	cfg, err := parseFlags(io.Discard, args)
	require.NoError(t, err)
	nw := newPipeNet()
	srv := newServer(cfg.delay)
	ln, err := nw.listen()
	require.NoError(t, err)
	base, stop := srv.serve(ln)
	t.Cleanup(stop)
	return &lab{cfg: cfg, w: io.Discard, srv: srv, nw: nw, base: base}
}

// errsOK counts the nil errors.
func errsOK(errs []error) int { return len(errs) - countErrs(errs) }

// TestWaysTakeExactTime checks the lesson's main claim for sections 1 to
// 3: n requests that the server answers after delay take n delays one
// after another, one delay with a goroutine each, and ceil(n/limit) delays
// with the pool, exactly; the server never serves more than the way allows
// at once, and the most it allows; and each way dials as many connections
// as it has requests in flight: the pool reuses its limit connections.
func TestWaysTakeExactTime(t *testing.T) {
	tests := []struct {
		n, limit int
		delay    time.Duration
		want     map[string]time.Duration
	}{
		{100, 10, 100 * time.Millisecond, map[string]time.Duration{
			"serial": 10 * time.Second, "each": 100 * time.Millisecond, "pool": time.Second}},
		{10, 3, time.Second, map[string]time.Duration{
			"serial": 10 * time.Second, "each": time.Second, "pool": 4 * time.Second}},
		{3, 5, time.Second, map[string]time.Duration{
			"serial": 3 * time.Second, "each": time.Second, "pool": time.Second}},
	}
	ways := []struct {
		name string
		how  way
		peak func(n, limit int) int64 // the most at once on the server
		idle func(limit int) int      // the client's MaxIdleConnsPerHost
	}{
		{"serial", oneByOne, func(int, int) int64 { return 1 }, func(int) int { return 0 }},
		{"each", eachInAGoroutine, func(n, _ int) int64 { return int64(n) }, func(int) int { return 0 }},
		{"pool", pool, func(n, limit int) int64 { return int64(min(n, limit)) },
			func(limit int) int { return limit }},
	}
	for _, tt := range tests {
		for _, w := range ways {
			name := fmt.Sprintf("%s/n=%d/limit=%d/delay=%v", w.name, tt.n, tt.limit, tt.delay)
			t.Run(name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					l := newTestLab(t, "-requests", fmt.Sprint(tt.n), "-delay",
						tt.delay.String(), "-timeout", "1m")
					var dials atomic.Int64
					client := l.newClient(l.cfg.timeout, w.idle(tt.limit), 0, &dials)
					defer client.CloseIdleConnections()
					b := l.batch(t.Context(), w.name, client, w.how, tt.limit)
					assert.Equal(t, tt.want[w.name], b.took, "%d requests of %v took", tt.n, tt.delay)
					assert.Equal(t, tt.n, errsOK(b.errs), "requests OK: %v", b.errs)
					want := w.peak(tt.n, tt.limit)
					assert.Equal(t, want, l.srv.peak.Load(), "the most the server served at once")
					assert.Equal(t, want, dials.Load(), "connections dialled")
					assert.Equal(t, int64(tt.n), l.srv.received.Load(), "requests the server received")
				})
			})
		}
	}
}

// TestMaxConnsPerHostQueuesInTheTransport checks section 4: with a
// goroutine per request and MaxConnsPerHost = 10, the transport dials 10
// connections and the server never serves more than 10 requests at once;
// 100 requests of 100ms take 1s. And each request's Timeout counts its
// wait in the transport's queue: with 250ms, the 20 requests of the first
// two rounds succeed and the other 80 fail, at 250ms.
func TestMaxConnsPerHostQueuesInTheTransport(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		took    time.Duration
		ok      int
	}{
		{1250 * time.Millisecond, time.Second, 100},
		{250 * time.Millisecond, 250 * time.Millisecond, 20},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("timeout=%v", tt.timeout), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newTestLab(t)
				var dials atomic.Int64
				client := l.newClient(tt.timeout, 10, 10, &dials)
				defer client.CloseIdleConnections()
				b := l.batch(t.Context(), "", client, eachInAGoroutine, 10)
				assert.Equal(t, tt.took, b.took, "the batch took")
				assert.Equal(t, tt.ok, errsOK(b.errs), "requests OK")
				for i, err := range b.errs {
					if err != nil {
						assert.ErrorIs(t, err, context.DeadlineExceeded, "request %d", i+1)
					}
				}
				if tt.ok == 100 {
					assert.Equal(t, int64(10), l.srv.peak.Load(), "the most the server served at once")
					assert.Equal(t, int64(10), dials.Load(), "connections dialled")
				}
			})
		})
	}
}

// TestNoTimeoutWaitsForEver checks the claim of section 5 that a client
// with no Timeout waits for ever for a server that does not answer: after
// an hour of fake time it is still waiting, until we cancel it.
func TestNoTimeoutWaitsForEver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLab(t)
		client := l.newClient(0, 0, 0, nil)
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		answered := make(chan error, 1) // buffered so the request never waits
		go func() {
			_, err := get(ctx, client, l.base+"/hang")
			answered <- err
		}()
		time.Sleep(time.Hour)
		select {
		case err := <-answered:
			t.Fatalf("a client with no Timeout gave up by itself: %v", err)
		default: // still waiting
		}
		cancel()
		assert.ErrorIs(t, <-answered, context.Canceled, "once cancelled")
	})
}

// TestTimeoutsEndTheRequest checks the other clients of section 5: a
// client's Timeout, and a context with a timeout, end a request to a
// server that never answers at exactly the timeout; the Timeout also runs
// while the body is read. Cancelling the context right after Do, before
// reading, cuts off a body that has not arrived yet, at once.
func TestTimeoutsEndTheRequest(t *testing.T) {
	const timeout = 2 * time.Second
	tests := []struct {
		name    string
		path    string
		timeout time.Duration // the client's
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		cancel  bool // cancel the ctx right after Do
		took    time.Duration
		wantErr error
	}{
		{"Client.Timeout", "/hang", timeout, nil, false, timeout, context.DeadlineExceeded},
		{"context.WithTimeout", "/hang", 0, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, timeout)
		}, false, timeout, context.DeadlineExceeded},
		{"Client.Timeout while reading the body", "/stall", timeout, nil, false, timeout,
			context.DeadlineExceeded},
		{"cancel before reading the body", "/stall", 0, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, timeout)
		}, true, 0, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newTestLab(t)
				client := l.newClient(tt.timeout, 0, 0, nil)
				defer client.CloseIdleConnections()
				ctx, cancel := t.Context(), context.CancelFunc(func() {})
				if tt.ctx != nil {
					ctx, cancel = tt.ctx(ctx)
				}
				defer cancel()
				begin := time.Now()
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+tt.path, nil)
				require.NoError(t, err)
				resp, err := client.Do(req)
				if err == nil {
					if tt.cancel {
						cancel()
					}
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, tt.took, time.Since(begin), "gave up after")
			})
		})
	}
}

// TestDeadlineCutsOffTheBatch checks section 6: with one deadline for the
// whole batch, the pool returns at the deadline; the requests done by then
// succeed, those in flight are cut off, and those not yet sent are never
// sent; each one that failed failed with the deadline.
func TestDeadlineCutsOffTheBatch(t *testing.T) {
	tests := []struct {
		n, limit       int
		delay, timeout time.Duration
		deadline       time.Duration
		ok, received   int
	}{
		{100, 10, 100 * time.Millisecond, 250 * time.Millisecond, 550 * time.Millisecond, 50, 60},
		{10, 3, time.Second, time.Minute, 1500 * time.Millisecond, 3, 6},
		{10, 3, time.Second, time.Minute, 10 * time.Second, 10, 10},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("n=%d/limit=%d/deadline=%v", tt.n, tt.limit, tt.deadline)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newTestLab(t, "-requests", fmt.Sprint(tt.n), "-delay", tt.delay.String())
				client := l.newClient(tt.timeout, tt.limit, 0, nil)
				defer client.CloseIdleConnections()
				ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
				defer cancel()
				b := l.batch(ctx, "deadline", client, pool, tt.limit)
				took := min(tt.deadline, time.Duration((tt.n+tt.limit-1)/tt.limit)*tt.delay)
				assert.Equal(t, took, b.took, "the batch took")
				assert.Equal(t, tt.ok, errsOK(b.errs), "requests OK")
				assert.Equal(t, int64(tt.received), l.srv.received.Load(), "requests the server received")
				for i, err := range b.errs {
					if i < tt.ok {
						assert.NoError(t, err, "request %d", i+1)
					} else {
						assert.ErrorIs(t, err, context.DeadlineExceeded, "request %d", i+1)
					}
				}
			})
		})
	}
}

// TestRetries checks getWithRetry, section 7: how many tries, when it
// gives up, and with what error. The server answers 200 after 100ms, 503
// at once; the first wait is 100ms, and each next one twice as long.
func TestRetries(t *testing.T) {
	tests := []struct {
		path    string
		timeout time.Duration // the client's
		tries   int           // made
		took    time.Duration
		wantErr string // "" for none
	}{
		{"/flaky/0", time.Second, 1, 100 * time.Millisecond, ""},
		{"/flaky/1", time.Second, 2, 200 * time.Millisecond, ""},
		{"/flaky/2", time.Second, 3, 400 * time.Millisecond, ""},
		{"/flaky/3", time.Second, 3, 300 * time.Millisecond, "503 Service Unavailable"},
		// A 4xx status would fail again: one try.
		{"/flaky/x", time.Second, 1, 0, "400 Bad Request"},
		{"/nowhere", time.Second, 1, 0, "404 Not Found"},
		// A try that times out is tried again: 1s, wait 100ms, 1s, wait
		// 200ms, 1s.
		{"/hang", time.Second, 3, 3300 * time.Millisecond, "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := newTestLab(t)
				client := l.newClient(tt.timeout, 0, 0, nil)
				defer client.CloseIdleConnections()
				tries := 0
				begin := time.Now()
				body, err := getWithRetry(t.Context(), client, l.base+tt.path, 3,
					100*time.Millisecond, func(try int, _ error, wait time.Duration) {
						tries = try
						if try < 3 && wait >= 0 {
							assert.Equal(t, 100*time.Millisecond<<(try-1), wait, "wait after try %d", try)
						}
					})
				assert.Equal(t, tt.took, time.Since(begin), "getWithRetry took")
				assert.Equal(t, tt.tries, tries, "tries made")
				if tt.wantErr == "" {
					require.NoError(t, err)
					assert.Equal(t, "item "+strings.TrimPrefix(tt.path, "/flaky/")+"\n", body)
					return
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			})
		})
	}
}

// TestRetriesStopWhenCtxIsDone cancels ctx while getWithRetry waits
// before its second try: it returns context.Canceled at that very moment,
// and tries no more.
func TestRetriesStopWhenCtxIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLab(t)
		client := l.newClient(time.Second, 0, 0, nil)
		defer client.CloseIdleConnections()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(50*time.Millisecond, cancel)
		tries := 0
		begin := time.Now()
		_, err := getWithRetry(ctx, client, l.base+"/flaky/3", 3, 100*time.Millisecond,
			func(try int, _ error, _ time.Duration) { tries = try })
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 50*time.Millisecond, time.Since(begin), "returned after")
		assert.Equal(t, 1, tries, "tries made")
		assert.Equal(t, int64(1), l.srv.received.Load(), "requests the server received")
	})
}

// A bodyCounter is a RoundTripper that counts the response bodies it
// hands out and those closed.
type bodyCounter struct {
	rt             http.RoundTripper
	bodies, closed atomic.Int64
}

func (c *bodyCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	c.bodies.Add(1)
	resp.Body = &countedBody{ReadCloser: resp.Body, closed: &c.closed}
	return resp, nil
}

// A countedBody adds one to closed when it is first closed.
type countedBody struct {
	io.ReadCloser
	closed *atomic.Int64
	done   atomic.Bool
}

func (b *countedBody) Close() error {
	if !b.done.Swap(true) {
		b.closed.Add(1)
	}
	return b.ReadCloser.Close()
}

// TestGetClosesEveryBody checks that get closes the response body on
// every path: a 200, a 503 and a 404.
func TestGetClosesEveryBody(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := newTestLab(t)
		client := l.newClient(time.Second, 0, 0, nil)
		counter := &bodyCounter{rt: client.Transport}
		client.Transport = counter
		defer counter.rt.(*http.Transport).CloseIdleConnections()
		for _, path := range []string{"/item/1", "/flaky/5", "/nowhere"} {
			_, _ = get(t.Context(), client, l.base+path)
		}
		assert.Equal(t, int64(3), counter.bodies.Load(), "bodies")
		assert.Equal(t, int64(3), counter.closed.Load(), "bodies closed")
	})
}

// TestRunStopsWhenCtxIsDone cancels the context (as Ctrl-C does) during
// the first batch, the timeouts, and a retry's wait. run must return
// ctx.Err() at that very moment, with the server stopped, and print
// nothing after the section's title.
func TestRunStopsWhenCtxIsDone(t *testing.T) {
	tests := []struct {
		name     string
		cancelAt time.Duration
		lastLine string
	}{
		{"during the first batch", 1550 * time.Millisecond,
			"1. One after another: a loop of client.Get"},
		{"during the timeouts", 12450 * time.Millisecond,
			"5. Timeouts, four clients at once: /hang never answers; /stall sends its headers, then nothing"},
		{"during a retry's wait", 13300 * time.Millisecond,
			"7. Retries with backoff: /flaky/n answers 503 (Service Unavailable) to its first n requests; we try 3 times"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(tt.cancelAt, cancel)
				var out bytes.Buffer
				begin := time.Now()
				err := runOn(ctx, &out, nil, newPipeNet())
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, tt.cancelAt, time.Since(begin),
					"run returned late: does something ignore ctx?")
				lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
				assert.Equal(t, tt.lastLine, lines[len(lines)-1], "last line printed")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything or starts the
// server.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-requests", "0"}, "-requests must be from 1 to 1000, got 0"},
		{[]string{"-requests", "1001"}, "-requests must be from 1 to 1000, got 1001"},
		{[]string{"-delay", "-1s"}, "-delay must not be negative, got -1s"},
		{[]string{"-limit", "0"}, "-limit must be at least 1, got 0"},
		{[]string{"-timeout", "0"}, "-timeout must be positive, got 0s"},
		{[]string{"-deadline", "-1s"}, "-deadline must be positive, got -1s"},
		{[]string{"-backoff", "-1ms"}, "-backoff must not be negative, got -1ms"},
		{[]string{"-delay", "3"}, `invalid value "3" for flag -delay`},
		{[]string{"-workers", "4"}, "flag provided but not defined: -workers"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
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
	for _, name := range []string{"-requests", "-delay", "-limit", "-timeout", "-deadline", "-backoff"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart of the batches of sections 1 to 3 and 6, which is compared
// with testdata/fetch-timeline.golden (go test -update rewrites it).
// Twenty requests of 100ms, five at a time: one bar at a time for 2s, then
// twenty at once, then four rounds, then the deadline's five rounds and
// a half. The work/wall ratio is the speedup over one at a time.
func TestTimeline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		args := []string{"-requests", "20", "-limit", "5"}
		var plain, out bytes.Buffer
		require.NoError(t, runOn(t.Context(), &plain, args, newPipeNet()))
		args = append(args, "-timeline", "-width", "80")
		require.NoError(t, runOn(t.Context(), &out, args, newPipeNet()))
		chart, ok := strings.CutPrefix(out.String(), plain.String())
		require.True(t, ok, "-timeline changed the lesson's own output:\n%s", &out)
		assert.Contains(t, chart, "at most 20 at once")
		for i := 1; i <= 20; i++ {
			assert.Regexp(t, fmt.Sprintf(`\nrequest %d +│`, i), chart, "request %d's row", i)
		}
		timelinetest.Golden(t, "fetch-timeline", chart)
	})
}

// TestTraceFlag runs the lesson with -trace on loopback, outside synctest
// (the runtime's tracer cannot run in a bubble), with no delay, and checks
// that it printed what it prints without the flag, and the file: a Go
// execution trace in which the run is a task named fetch and each request
// a region named after its row, with the batch logged as its label.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-requests", "3", "-limit", "2", "-delay", "0",
		"-timeout", "500ms", "-backoff", "0"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, maskCounts(plain.String()), maskCounts(out.String()),
		"-trace alone prints nothing more")
	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "fetch")
	for n := 1; n <= 3; n++ {
		tr.AssertRegions(t, id, fmt.Sprintf("request %d", n))
	}
	tr.AssertLabels(t, id, "serial", "each", "pool", "deadline")
}

// TestNoGoroutineLeftOnLoopback runs the whole lesson on real loopback,
// quickly, and checks that every goroutine it started, the server's and
// the transports' included, has returned.
func TestNoGoroutineLeftOnLoopback(t *testing.T) {
	args := []string{"-requests", "20", "-limit", "4", "-delay", "0",
		"-timeout", "500ms", "-deadline", "2s", "-backoff", "0"}
	require.NoError(t, run(t.Context(), io.Discard, args))
	goleak.VerifyNone(t)
}
