package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check fetch adds -race).
//
// Every test but one runs inside synctest.Test, against the web of
// web_test.go: a server on an in-memory network, where time is fake and
// exact. A page the server sends after 1s comes at exactly 1s, and Fetch
// must return at the very moment its work is done; a Fetch that waits for
// ever is a deadlock that synctest reports at once. A goroutine that
// Fetch leaves blocked for good makes synctest panic ("blocked goroutines
// remain"), which ends the whole test binary; so the test likeliest to
// find one, TestNoGoroutineLeftBehind, runs early, on real loopback, where
// goleak names it in words.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// roomy is a Limits with room for everything: the tests change the field
// they are about.
var roomy = Limits{InFlight: 100, Timeout: time.Minute, Deadline: time.Hour}

// pageURLs returns the URLs of the pages 0 to n-1, page i coming after
// after(i).
func pageURLs(n int, after func(i int) time.Duration) []string {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = pageURL(i, after(i))
	}
	return urls
}

// always returns a function that always returns d.
func always(d time.Duration) func(int) time.Duration {
	return func(int) time.Duration { return d }
}

// assertPage checks that r is page n's body, with no error.
func assertPage(t *testing.T, r Result, n int, what string) {
	t.Helper()
	if assert.NoError(t, r.Err, "%s: want page %d, with no error", what, n) {
		assert.Equal(t, string(pageBody(n)), string(r.Body), "%s: the body", what)
	}
}

// assertRequestedOnce checks that the server received exactly one request
// for each URL.
func assertRequestedOnce(t *testing.T, w *web, urls []string) {
	t.Helper()
	var wrong []string
	for _, u := range urls {
		if n := w.requests(u); n != 1 {
			wrong = append(wrong, fmt.Sprintf("%s: %d times", u, n))
		}
	}
	if len(wrong) > 3 {
		wrong = append(wrong[:3], fmt.Sprintf("and %d more", len(wrong)-3))
	}
	assert.Empty(t, wrong, "URLs not requested exactly once: want one request for each URL")
}

// TestAtMostInFlight checks that never more than InFlight requests are in
// flight at once, and that all InFlight are used: n pages that come after
// a delay each take exactly ceil(n/InFlight) delays of fake time, each
// URL is requested once, and each result is its page.
func TestAtMostInFlight(t *testing.T) {
	tests := []struct {
		n, inFlight int
		after       time.Duration
		want        time.Duration // ceil(n/inFlight) rounds of after
	}{
		{100, 10, 100 * time.Millisecond, time.Second},
		{10, 3, time.Second, 4 * time.Second},
		{5, 1, time.Second, 5 * time.Second},
		{3, 5, time.Second, time.Second},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("urls=%d/InFlight=%d/after=%v", tt.n, tt.inFlight, tt.after)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWeb(t)
				urls := pageURLs(tt.n, always(tt.after))
				lim := roomy
				lim.InFlight = tt.inFlight
				begin := time.Now()
				results := Fetch(t.Context(), w.client, urls, lim)
				assert.Equal(t, tt.want, time.Since(begin), "Fetch took, for %d pages of %v"+
					" with at most %d in flight", tt.n, tt.after, tt.inFlight)
				assert.Equal(t, int64(min(tt.n, tt.inFlight)), w.peak.Load(), "the most requests"+
					" the server had at once: want never more than InFlight, and InFlight used")
				assertRequestedOnce(t, w, urls)
				require.Len(t, results, tt.n, "want one Result per URL")
				for i, r := range results {
					assertPage(t, r, i, fmt.Sprintf("results[%d]", i))
				}
			})
		})
	}
}

// TestNoGoroutineLeftBehind runs Fetch against a real server on loopback
// whose pages never come. The server cancels Fetch's ctx as soon as the
// first request reaches it, as a user pressing Ctrl-C would. Fetch must
// return, with every URL's error a context.Canceled, and leave no
// goroutine behind: none still waiting for a slot, none blocked sending a
// result that nobody will receive.
func TestNoGoroutineLeftBehind(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	release := make(chan struct{}) // closed when the test is over
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel()
		select {
		case <-r.Context().Done(): // the client gave up, as it must
		case <-release: // the test is over: answer, so that the server can stop
		}
	}))
	client := &http.Client{Transport: &http.Transport{}}
	finish := sync.OnceFunc(func() {
		close(release)
		client.CloseIdleConnections()
		srv.Close() // waits for every request in progress
	})
	defer finish()
	urls := make([]string, 10)
	for i := range urls {
		urls[i] = fmt.Sprintf("%s/page/%d", srv.URL, i)
	}
	var results []Result
	hangcheck.Within(t, "Fetch, after its ctx was cancelled", func() {
		results = Fetch(ctx, client, urls, Limits{InFlight: 3, Timeout: time.Hour, Deadline: time.Hour})
	})
	require.Len(t, results, len(urls), "want one Result per URL")
	for i, r := range results {
		assert.ErrorIs(t, r.Err, context.Canceled, "results[%d].Err, after ctx was cancelled", i)
	}
	finish()
	goleak.VerifyNone(t)
}

// TestResultsInInputOrder makes the later pages quicker, so that the
// answers come in reverse order. results[i] must still be urls[i]'s.
func TestResultsInInputOrder(t *testing.T) {
	for _, inFlight := range []int{6, 2} {
		t.Run(fmt.Sprintf("InFlight=%d", inFlight), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWeb(t)
				const n = 6
				urls := pageURLs(n, func(i int) time.Duration { return time.Duration(n-i) * time.Second })
				lim := roomy
				lim.InFlight = inFlight
				results := Fetch(t.Context(), w.client, urls, lim)
				require.Len(t, results, n, "want one Result per URL")
				for i, r := range results {
					assertPage(t, r, i, fmt.Sprintf("results[%d], with the later pages"+
						" coming first: want urls[i]'s result at index i, whatever order"+
						" the answers came in", i))
				}
			})
		})
	}
}

// TestErrorsKeptPerURL fetches five URLs at once, three of which fail in
// different ways: a 503 at once, a 404 at once, and a page that never
// comes (Timeout 3s). Each error must be kept in its own URL's Result,
// and the two good pages must still come: a failed URL stops nothing.
func TestErrorsKeptPerURL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		urls := []string{
			webURL("/status/503"),
			pageURL(1, time.Second),
			webURL("/status/404"),
			webURL("/hang"),
			pageURL(4, 2*time.Second),
		}
		lim := roomy
		lim.Timeout = 3 * time.Second
		begin := time.Now()
		results := Fetch(t.Context(), w.client, urls, lim)
		assert.Equal(t, 3*time.Second, time.Since(begin), "Fetch took: want 3s, the"+
			" Timeout of the page that never comes")
		require.Len(t, results, len(urls), "want one Result per URL, failed or not")
		for i, code := range map[int]int{0: 503, 2: 404} {
			var se *StatusError
			if assert.ErrorAs(t, results[i].Err, &se, "results[%d].Err, for a %d: want a"+
				" *StatusError", i, code) {
				assert.Equal(t, code, se.Code, "results[%d].Err's Code", i)
			}
			assert.Empty(t, results[i].Body, "results[%d].Body, for a %d: want none", i, code)
		}
		assert.ErrorIs(t, results[3].Err, context.DeadlineExceeded, "results[3].Err, for a page"+
			" that never comes")
		assertPage(t, results[1], 1, "results[1], next to URLs that fail: one URL's error"+
			" must not stop the others")
		assertPage(t, results[4], 4, "results[4], next to URLs that fail: one URL's error"+
			" must not stop the others")
		assertRequestedOnce(t, w, urls)
	})
}

// TestTimeoutForEachRequest checks lim.Timeout: each request has its own,
// from the moment it is sent (waiting for a free slot does not count) to
// the moment its body has been read.
func TestTimeoutForEachRequest(t *testing.T) {
	tests := []struct {
		name     string
		urls     []string
		inFlight int
		timeout  time.Duration
		took     time.Duration
		want     []string // the body of each URL, or "timeout"
	}{
		{"a page that never comes times out, the others come",
			[]string{webURL("/hang"), pageURL(1, time.Second), pageURL(2, time.Second)}, 3,
			2 * time.Second, 2 * time.Second, []string{"timeout", "page 1\n", "page 2\n"}},
		{"the timeout starts when the request is sent, not before",
			pageURLs(4, always(time.Second)), 1, 1500 * time.Millisecond, 4 * time.Second,
			[]string{"page 0\n", "page 1\n", "page 2\n", "page 3\n"}},
		{"the timeout covers reading the body",
			[]string{webURL("/stall?after=3s")}, 1, 2 * time.Second, 2 * time.Second,
			[]string{"timeout"}},
		{"a body that comes in time is read",
			[]string{webURL("/stall?after=1s")}, 1, 2 * time.Second, time.Second,
			[]string{"late page\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := newWeb(t)
				lim := Limits{InFlight: tt.inFlight, Timeout: tt.timeout, Deadline: time.Hour}
				begin := time.Now()
				results := Fetch(t.Context(), w.client, tt.urls, lim)
				assert.Equal(t, tt.took, time.Since(begin), "Fetch took, with a Timeout of %v"+
					" for each request (and a Deadline of an hour)", tt.timeout)
				require.Len(t, results, len(tt.urls), "want one Result per URL")
				for i, want := range tt.want {
					r := results[i]
					if want == "timeout" {
						assert.ErrorIs(t, r.Err, context.DeadlineExceeded,
							"results[%d].Err, for %s: want its Timeout's error", i, tt.urls[i])
						continue
					}
					if assert.NoError(t, r.Err, "results[%d].Err, for %s", i, tt.urls[i]) {
						assert.Equal(t, want, string(r.Body), "results[%d].Body", i)
					}
				}
			})
		})
	}
}

// TestDeadlineForTheWholeList fetches 10 pages of 1s, 3 at a time, with a
// Deadline of 1.5s. Fetch must return at exactly 1.5s: 3 pages came, the
// 3 in flight are cut off, and the 4 others are never sent; each URL left
// without a page gets an error that wraps context.DeadlineExceeded.
// Nothing may still be in flight on the server once Fetch has returned.
func TestDeadlineForTheWholeList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		urls := pageURLs(10, always(time.Second))
		lim := Limits{InFlight: 3, Timeout: time.Minute, Deadline: 1500 * time.Millisecond}
		begin := time.Now()
		results := Fetch(t.Context(), w.client, urls, lim)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin), "Fetch returned after;"+
			" want the Deadline, 1.5s")
		synctest.Wait() // the server notices the requests cut off
		assert.Zero(t, w.inFlight.Load(), "requests still in flight on the server after"+
			" Fetch returned: the Deadline must cut them off")
		assert.Equal(t, int64(6), w.received.Load(), "requests the server received: want"+
			" 3 that came and 3 cut off, and none sent after the Deadline")
		assertCutOff(t, results, len(urls), 3, context.DeadlineExceeded, "the Deadline")
	})
}

// assertCutOff checks the results of n pages of which want came before
// the list was cut off (any of them: the order in which the URLs are sent
// is Fetch's to choose): each one that came is its own page, and each
// other URL's error wraps cause.
func assertCutOff(t *testing.T, results []Result, n, want int, cause error, by string) {
	t.Helper()
	require.Len(t, results, n, "want one Result per URL")
	came := 0
	for i, r := range results {
		if r.Err != nil {
			assert.ErrorIs(t, r.Err, cause, "results[%d].Err, for a page %s cut off or"+
				" that was never sent", i, by)
			assert.Empty(t, r.Body, "results[%d].Body, with an error", i)
			continue
		}
		came++
		assertPage(t, r, i, fmt.Sprintf("results[%d], with no error", i))
	}
	assert.Equal(t, want, came, "pages that came before %s: the others must each have"+
		" an error that wraps %v", by, cause)
}

// TestCancelStopsTheList is TestDeadlineForTheWholeList with ctx
// cancelled at 1.5s instead: the caller's ctx must end the list too, and
// each URL left without a page gets an error that wraps context.Canceled.
func TestCancelStopsTheList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1500*time.Millisecond, cancel)
		urls := pageURLs(10, always(time.Second))
		lim := Limits{InFlight: 3, Timeout: time.Minute, Deadline: time.Hour}
		begin := time.Now()
		results := Fetch(ctx, w.client, urls, lim)
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin), "Fetch returned after;"+
			" want the moment ctx was cancelled, 1.5s: the Deadline's context must come"+
			" from ctx, not from context.Background()")
		synctest.Wait() // the server notices the requests cut off
		assert.Zero(t, w.inFlight.Load(), "requests still in flight on the server after"+
			" Fetch returned: a cancel must cut them off")
		assertCutOff(t, results, len(urls), 3, context.Canceled, "the cancel")
	})
}

// TestCancelledBeforeTheStart checks that with ctx already done, Fetch
// sends nothing, and every URL's error wraps ctx's.
func TestCancelledBeforeTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		urls := pageURLs(5, always(time.Second))
		results := Fetch(ctx, w.client, urls, roomy)
		assert.Zero(t, w.received.Load(), "requests the server received, with ctx already done")
		require.Len(t, results, len(urls), "want one Result per URL")
		for i, r := range results {
			assert.ErrorIs(t, r.Err, context.Canceled, "results[%d].Err, with ctx already done", i)
		}
	})
}

// TestEveryBodyClosed fetches pages and error statuses two at a time.
// Every response body must be closed, whatever its status: a body left
// open holds its connection, which the client can then neither reuse nor
// close. So once Fetch has returned and the client has closed its idle
// connections, none may be left open.
func TestEveryBodyClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		urls := []string{
			pageURL(0, 0), webURL("/status/503"), webURL("/status/404"), pageURL(3, 0),
			webURL("/status/500"), webURL("/status/429"), pageURL(6, 0), webURL("/status/418"),
		}
		lim := roomy
		lim.InFlight = 2
		results := Fetch(t.Context(), w.client, urls, lim)
		require.Len(t, results, len(urls), "want one Result per URL")
		bodies, closed := w.bodies.Load(), w.closed.Load()
		assert.Equal(t, int64(len(urls)), bodies, "responses the client got")
		assert.Equal(t, bodies, closed, "response bodies closed: %d of %d were never closed;"+
			" close resp.Body on every path, the error statuses included", bodies-closed, bodies)
		w.client.CloseIdleConnections()
		synctest.Wait() // the transport closes the connections of bodies closed early
		assert.Zero(t, w.open.Load(), "connections still open once Fetch had returned and the"+
			" client had closed its idle ones: each is held by a response body not closed")
	})
}

// TestNoURLs checks that no URLs give no results and send nothing.
func TestNoURLs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := newWeb(t)
		results := Fetch(t.Context(), w.client, nil, roomy)
		assert.Empty(t, results, "Fetch's results for no URLs")
		assert.Zero(t, w.received.Load(), "requests the server received")
	})
}

// TestPanicsOnBadLimits checks that Limits that cannot work are reported
// as the caller's bug.
func TestPanicsOnBadLimits(t *testing.T) {
	tests := []struct {
		lim  Limits
		want string
	}{
		{Limits{InFlight: 0, Timeout: time.Second, Deadline: time.Second}, "fetch: InFlight must be at least 1"},
		{Limits{InFlight: -1, Timeout: time.Second, Deadline: time.Second}, "fetch: InFlight must be at least 1"},
		{Limits{InFlight: 1, Timeout: 0, Deadline: time.Second}, "fetch: Timeout must be positive"},
		{Limits{InFlight: 1, Timeout: time.Second, Deadline: -time.Second}, "fetch: Deadline must be positive"},
	}
	var sent atomic.Int64
	client := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("no network in this test")
	})}
	hangcheck.Within(t, "Fetch with bad Limits", func() {
		for _, tt := range tests {
			assert.PanicsWithValue(t, tt.want, func() {
				Fetch(t.Context(), client, []string{webURL("/page/1")}, tt.lim)
			}, "Fetch with %+v", tt.lim)
		}
	})
	assert.Zero(t, sent.Load(), "requests sent with bad Limits")
}

// roundTripFunc makes a function an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
