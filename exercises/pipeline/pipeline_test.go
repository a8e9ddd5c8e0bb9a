package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check pipeline adds -race).
//
// The web is fake (fakeWeb): each fetch waits in fake time, inside
// synctest.Test, so a fetch of 1s takes exactly 1s, and a goroutine left
// blocked for good makes synctest fail the test ("deadlock").

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Errors the fake web and the fake store return.
var (
	errNotFound = errors.New("404 not found")
	errDiskFull = errors.New("disk full")
	errBadPage  = errors.New("no title")
)

// A fakeWeb serves pages after a delay in fake time, and records every
// fetch. Its zero value serves every page in 1s.
type fakeWeb struct {
	took     map[string]time.Duration // a fetch's time, if not 1s
	missing  string                   // a url whose fetch fails with errNotFound
	stubborn bool                     // fetches ignore ctx and take their time

	start time.Time // when the test called Crawl

	mu      sync.Mutex // protects fetches
	fetches []fetchRecord

	active, peak atomic.Int64 // fetches running now, and at most
}

// A fetchRecord is one call of fetch: when it started and returned, from
// the start, and whether it returned because ctx was done.
type fetchRecord struct {
	url        string
	start, end time.Duration
	cancelled  bool
}

// fetch is the Fetcher: it serves "<title>T-url</title>" after the url's
// time, or returns ctx.Err() at once when ctx is done first.
func (w *fakeWeb) fetch(ctx context.Context, url string) (string, error) {
	rec := fetchRecord{url: url, start: time.Since(w.start)}
	now := w.active.Add(1)
	for peak := w.peak.Load(); now > peak; peak = w.peak.Load() {
		if w.peak.CompareAndSwap(peak, now) {
			break
		}
	}
	defer func() {
		w.active.Add(-1)
		rec.end = time.Since(w.start)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.fetches = append(w.fetches, rec)
	}()

	d, ok := w.took[url]
	if !ok {
		d = time.Second
	}
	if w.stubborn {
		time.Sleep(d)
	} else {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-timer.C: // fetched
		case <-ctx.Done(): // cancelled: give up now
			rec.cancelled = true
			return "", ctx.Err()
		}
	}
	if url == w.missing {
		return "", errNotFound
	}
	return "<title>T-" + url + "</title>", nil
}

// records returns the fetches, sorted by url.
func (w *fakeWeb) records() []fetchRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	recs := slices.Clone(w.fetches)
	slices.SortFunc(recs, func(a, b fetchRecord) int {
		return strings.Compare(a.url, b.url)
	})
	return recs
}

// fetched returns how many times each url was fetched.
func (w *fakeWeb) fetched() map[string]int {
	n := map[string]int{}
	for _, r := range w.records() {
		n[r.url]++
	}
	return n
}

// parseTitle is the Parser: it returns the text between <title> and
// </title>.
func parseTitle(url, body string) (string, error) {
	_, rest, ok := strings.Cut(body, "<title>")
	title, _, ok2 := strings.Cut(rest, "</title>")
	if !ok || !ok2 {
		return "", fmt.Errorf("%s: %w", url, errBadPage)
	}
	return title, nil
}

// A shelf is a Storer's storage: a plain map with no lock, as Crawl's
// contract allows (store is never called concurrently; -race checks it).
type shelf map[string]string

// store is the Storer.
func (s shelf) store(ctx context.Context, url, title string) error {
	s[url] = title
	return nil
}

// urls returns n urls, u00, u01, ...
func urls(n int) []string {
	u := make([]string, n)
	for i := range u {
		u[i] = fmt.Sprintf("u%02d", i)
	}
	return u
}

// TestEveryPageOnce crawls 25 pages with several numbers of workers and
// checks that each was fetched, parsed and stored exactly once, with the
// title its parse returned. It runs in a child process: a merge that
// closes its channel while a fetcher still sends panics.
func TestEveryPageOnce(t *testing.T) {
	childtest.Run(t, everyPageOnce)
}

func everyPageOnce(t *testing.T) {
	for _, workers := range []int{1, 4, 25, 50} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := &fakeWeb{start: time.Now()}
				parsed := map[string]int{} // no lock: parse is serial
				parse := func(url, body string) (string, error) {
					parsed[url]++
					return parseTitle(url, body)
				}
				stored := shelf{}
				err := Crawl(t.Context(), urls(25), web.fetch, parse,
					stored.store, workers)
				require.NoError(t, err)

				wantOnce := map[string]int{}
				wantStored := shelf{}
				for _, u := range urls(25) {
					wantOnce[u] = 1
					wantStored[u] = "T-" + u
				}
				assert.Equal(t, wantOnce, web.fetched(), "fetches per url")
				assert.Equal(t, wantOnce, parsed, "parses per url")
				assert.Equal(t, wantStored, stored, "stored titles")
			})
		})
	}
}

// TestFetchesRunUpToWorkersAtOnce crawls 9 pages of 1s each and checks
// that exactly min(workers, 9) fetches run at once, so that the crawl
// takes exactly ceil(9/workers) seconds.
func TestFetchesRunUpToWorkersAtOnce(t *testing.T) {
	for _, tt := range []struct {
		workers  int
		peak     int64
		duration time.Duration
	}{
		{1, 1, 9 * time.Second},
		{3, 3, 3 * time.Second},
		{4, 4, 3 * time.Second},
		{20, 9, time.Second},
	} {
		t.Run(fmt.Sprintf("workers=%d", tt.workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				web := &fakeWeb{start: time.Now()}
				err := Crawl(t.Context(), urls(9), web.fetch, parseTitle,
					shelf{}.store, tt.workers)
				require.NoError(t, err)
				assert.Equal(t, tt.duration, time.Since(web.start),
					"the crawl took")
				assert.Equal(t, tt.peak, web.peak.Load(),
					"fetches running at once, at most")
			})
		})
	}
}

// TestFetchErrorCancelsTheRest crawls a..f with 3 workers: a takes 3s, b
// fails at 1s, c takes 2s. At 1s, a's and c's fetches must see their ctx
// done, no other fetch may start, and Crawl must return b's error.
func TestFetchErrorCancelsTheRest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := &fakeWeb{
			took:    map[string]time.Duration{"a": 3 * time.Second, "c": 2 * time.Second},
			missing: "b",
			start:   time.Now(),
		}
		stored := shelf{}
		err := Crawl(t.Context(), []string{"a", "b", "c", "d", "e", "f"},
			web.fetch, parseTitle, stored.store, 3)
		assert.ErrorIs(t, err, errNotFound)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "fetch b", "the error names its stage and url")
		assert.Equal(t, time.Second, time.Since(web.start), "Crawl returned at")
		assert.Equal(t, []fetchRecord{
			{url: "a", start: 0, end: time.Second, cancelled: true},
			{url: "b", start: 0, end: time.Second},
			{url: "c", start: 0, end: time.Second, cancelled: true},
		}, web.records(), "every fetch (a and c must see ctx done at 1s)")
		assert.Empty(t, stored, "nothing was fetched in full but b")
	})
}

// TestCrawlWaitsForEveryFetch uses fetches that ignore ctx: a takes 3s, b
// fails at 1s. Crawl must not return before a's fetch has: every
// goroutine it started has returned when it returns.
func TestCrawlWaitsForEveryFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := &fakeWeb{
			took:     map[string]time.Duration{"a": 3 * time.Second},
			missing:  "b",
			stubborn: true,
			start:    time.Now(),
		}
		err := Crawl(t.Context(), []string{"a", "b", "c"}, web.fetch,
			parseTitle, shelf{}.store, 2)
		assert.ErrorIs(t, err, errNotFound)
		assert.Equal(t, 3*time.Second, time.Since(web.start),
			"Crawl returned at (a's fetch ended at 3s)")
		assert.Equal(t, int64(0), web.active.Load(), "fetches still running")
		assert.Equal(t, map[string]int{"a": 1, "b": 1}, web.fetched(),
			"c must not be fetched after b's error")
	})
}

// TestStoreErrorStopsEverything crawls 10 pages with 4 workers into a
// store that always fails. Crawl must return the store's error at 1s,
// when the first page reaches it, having stored once, started no fetch
// after 1s, and left no goroutine behind: a fetcher blocked for good on a
// send that nobody will receive makes synctest report a deadlock.
func TestStoreErrorStopsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := &fakeWeb{start: time.Now()}
		var stores atomic.Int64
		store := func(ctx context.Context, url, title string) error {
			stores.Add(1)
			return errDiskFull
		}
		err := Crawl(t.Context(), urls(10), web.fetch, parseTitle, store, 4)
		assert.ErrorIs(t, err, errDiskFull)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "store u", "the error names its stage")
		assert.Equal(t, time.Second, time.Since(web.start), "Crawl returned at")
		assert.Equal(t, int64(1), stores.Load(), "store calls")
		for _, r := range web.records() {
			assert.LessOrEqual(t, r.start, time.Second,
				"a fetch of %s started after the error", r.url)
		}
	})
}

// TestSlowStoreErrorStopsTheParser crawls 10 pages of 1s with 4 workers
// into a store that takes 1.5s and then fails. At 1s the storer takes the
// first title; the parser takes the second page, parses it, and waits to
// hand the title on, and the fetchers fetch four more pages. When the
// store fails, at 2.5s, every stage must stop at once, the parser in the
// middle of its send too: Crawl returns the store's error at 2.5s. A
// parser that sends with a bare send waits forever for a storer that is
// gone.
func TestSlowStoreErrorStopsTheParser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := &fakeWeb{start: time.Now()}
		var stores atomic.Int64
		store := func(ctx context.Context, url, title string) error {
			stores.Add(1)
			timer := time.NewTimer(1500 * time.Millisecond)
			defer timer.Stop()
			select {
			case <-timer.C: // the disk is full
				return errDiskFull
			case <-ctx.Done(): // cancelled: give up now
				return ctx.Err()
			}
		}
		var err error
		done := make(chan struct{}) // closed when Crawl has returned
		go func() {
			defer close(done)
			err = Crawl(t.Context(), urls(10), web.fetch, parseTitle, store, 4)
		}()
		select {
		case <-done:
		case <-time.After(time.Hour):
			// Crawl's goroutines are blocked for good: synctest reports
			// them (deadlock) when the test ends.
			t.Fatal("Crawl did not return within an hour of the store's " +
				"error at 2.5s: a stage is blocked for good, most likely the " +
				"parser on a send to the storer that has gone; every send " +
				"must select on ctx.Done()")
		}
		assert.ErrorIs(t, err, errDiskFull, "Crawl's error")
		assert.Equal(t, 2500*time.Millisecond, time.Since(web.start),
			"Crawl returned at; want the moment the store failed")
		assert.Equal(t, int64(1), stores.Load(), "store calls")
	})
}

// TestParseErrorIsReturned checks that a parse error stops the crawl and
// is returned, naming its url.
func TestParseErrorIsReturned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		web := &fakeWeb{start: time.Now()}
		parse := func(url, body string) (string, error) {
			if url == "u03" {
				body = "garbage"
			}
			return parseTitle(url, body)
		}
		err := Crawl(t.Context(), urls(10), web.fetch, parse, shelf{}.store, 2)
		assert.ErrorIs(t, err, errBadPage)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "parse u03")
		assert.Equal(t, 2*time.Second, time.Since(web.start),
			"Crawl returned at (u03 is fetched at 2s)")
	})
}

// TestCancelStopsTheCrawl cancels the caller's ctx at 1.5s, with 2 workers
// on pages of 1s: Crawl must return context.Canceled at 1.5s, with the
// two pages of the first second stored and the two fetches in progress
// cancelled.
func TestCancelStopsTheCrawl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1500*time.Millisecond, cancel)
		web := &fakeWeb{start: time.Now()}
		stored := shelf{}
		err := Crawl(ctx, urls(10), web.fetch, parseTitle, stored.store, 2)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 1500*time.Millisecond, time.Since(web.start),
			"Crawl returned at")
		assert.Equal(t, shelf{"u00": "T-u00", "u01": "T-u01"}, stored)
		assert.Len(t, web.records(), 4, "fetches started")
	})
}

// TestNoURLs checks that an empty list is no work and no error.
func TestNoURLs(t *testing.T) {
	web := &fakeWeb{start: time.Now()}
	require.NoError(t, Crawl(t.Context(), nil, web.fetch, parseTitle,
		shelf{}.store, 3))
	assert.Empty(t, web.records())
}

// TestBadWorkersPanics checks the panic for a caller's bug.
func TestBadWorkersPanics(t *testing.T) {
	web := &fakeWeb{}
	assert.PanicsWithValue(t, "pipeline: workers must be at least 1", func() {
		_ = Crawl(t.Context(), urls(3), web.fetch, parseTitle, shelf{}.store, 0)
	})
}
