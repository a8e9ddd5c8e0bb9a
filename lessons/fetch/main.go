// The fetch command shows how to make many HTTP requests at once: the
// I/O-bound work that Python's threads are for. A test server on loopback
// answers each request after a delay, and we fetch a batch from it one
// after another, with a goroutine each, and with a bounded pool
// (errgroup.Group with SetLimit): 100 requests of 100ms take 10s, 100ms
// and 1s.
//
// Then the limits that keep a client safe: the transport's
// MaxConnsPerHost, a timeout for each request (and why a client without
// one is a bug), one deadline for a whole batch, and retries with backoff
// for the failures the server injects.
//
// Usage:
//
//	go run ./lessons/fetch [-requests n] [-delay d] [-limit n] [-timeout d]
//	    [-deadline d] [-backoff d] [-timeline [-ascii] [-width n]]
//	    [-trace file]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		os.Exit(1)
	}
}

// run runs the lesson on loopback: see runOn.
func run(ctx context.Context, w io.Writer, args []string) error {
	return runOn(ctx, w, args, loopback{})
}

// runOn starts the test server on nw, runs the seven sections against it
// and stops it. It returns ctx.Err() as soon as ctx is done (Ctrl-C).
// Every goroutine it starts, the server's included, has returned when it
// returns. With -timeline it ends with a chart of the requests in the
// batches; with -trace it writes them to a runtime/trace file.
func runOn(ctx context.Context, w io.Writer, args []string, nw network) (err error) {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	// We record each request of a batch as a span on its row, for
	// -timeline and -trace; without them obs is nil and records nothing.
	cfg.show.Round = cfg.resolution()
	ctx, obs, err := cfg.show.Start(ctx, "fetch")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, obs.Stop()) }()

	// We start the test server, and stop it on every way out, once the
	// clients are done with it.
	srv := newServer(cfg.delay)
	ln, err := nw.listen()
	if err != nil {
		return err
	}
	base, stop := srv.serve(ln)
	defer stop()

	l := &lab{cfg: cfg, w: w, srv: srv, nw: nw, obs: obs, base: base}
	fmt.Fprintf(w, "A test server on loopback answers each request after %v"+
		" (simulated work).\n", cfg.delay)
	fmt.Fprintf(w, "%d requests in each batch; every client has a Timeout"+
		" of %v.\n", cfg.requests, cfg.timeout)
	sections := []func(context.Context) error{
		l.ways, l.maxConns, l.timeouts, l.deadline, l.retries,
	}
	for _, section := range sections {
		if err := section(ctx); err != nil {
			return err // Ctrl-C: every request has returned
		}
	}
	// Every request has returned: we draw the chart (with -timeline).
	return obs.Render(w)
}

// A lab holds what every section uses: the flags, where to print, the
// server and the way to reach it.
type lab struct {
	cfg  config
	w    io.Writer
	srv  *server
	nw   network
	base string             // the server's URL: "http://127.0.0.1:port"
	obs  *timeline.Observer // records the requests of the batches
}

// sleep waits d, or until ctx is done, whichever comes first. It returns
// nil once d has passed (at once if d <= 0, as time.Sleep does), and
// ctx.Err() if ctx is done first, or already. In a lesson the sleep stands
// for real work or I/O; unlike time.Sleep, it ends as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	// We look at ctx before we wait: with ctx done and d <= 0, both cases
	// of the select below would be ready, and select picks one at random.
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if ctx is done first
	select {
	case <-timer.C: // d has passed: the work is done
		return nil
	case <-ctx.Done(): // cancelled, or Ctrl-C: give up now
		return ctx.Err()
	}
}

// A statusError is get's error for a response whose status is not
// 200 OK.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("%d %s", e.code, http.StatusText(e.code))
}

// get GETs url with client and returns the body of a 200 OK response; any
// other status is a *statusError. It gives up when ctx is done, or when
// the client's Timeout runs out, with the client's error.
func get(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	// We close the body on every path, the error paths included. Until it
	// is closed (or read to the end), the response holds its connection:
	// the transport can neither reuse it for another request nor close it.
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &statusError{code: resp.StatusCode}
	}
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// newClient returns a client of the lab's server, with an http.Transport
// of its own, so that it starts with no connections. timeout is its
// Timeout (0: none), idle its transport's MaxIdleConnsPerHost (0: the
// default, 2) and maxConns its MaxConnsPerHost (0: no limit). It adds
// each connection it dials to dials, if not nil. The caller owes a
// CloseIdleConnections once done with it.
func (l *lab) newClient(timeout time.Duration, idle, maxConns int,
	dials *atomic.Int64) *http.Client {
	// Note that http.DefaultClient and a client made as http.Client{} have
	// no Timeout at all: section 5 shows what that means.
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				if dials != nil {
					dials.Add(1)
				}
				return l.nw.dial(ctx, network, addr)
			},
			MaxIdleConnsPerHost: idle,
			MaxConnsPerHost:     maxConns,
		},
	}
}

// A fetch makes request i of a batch and returns its error.
type fetch func(ctx context.Context, i int) error

// A way makes the requests 0 to n-1 of a batch with fetch, at most limit
// at once if it limits them at all, and returns their errors in input
// order: errs[i] is request i's. Every goroutine it starts has returned
// when it returns.
type way func(ctx context.Context, n, limit int, fetch fetch) []error

// oneByOne makes the requests one after another, in this goroutine.
func oneByOne(ctx context.Context, n, _ int, fetch fetch) []error {
	errs := make([]error, n)
	for i := range n {
		errs[i] = fetch(ctx, i)
	}
	return errs
}

// eachInAGoroutine starts a goroutine per request, all at once.
func eachInAGoroutine(ctx context.Context, n, _ int, fetch fetch) []error {
	// Each goroutine writes only errs[i], its own slot: no two write the
	// same element, so there is no race and no lock, and wg.Wait makes
	// every write visible to us. The order is the input's by construction.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fetch(ctx, i) })
	}
	wg.Wait()
	return errs
}

// pool makes the requests with at most limit in flight: an errgroup.Group
// with SetLimit. Once ctx is done it sends no more, and each request left
// gets ctx.Err().
func pool(ctx context.Context, n, limit int, fetch fetch) []error {
	// Go waits while limit functions run, and each slot frees when its
	// function returns. Note that Go does not watch ctx while it waits: we
	// look at ctx before each one, and the requests in flight give up when
	// ctx is done, which frees their slots. Our functions return nil: a
	// request's error is kept at its index, and stops nothing. (With
	// errgroup.WithContext, returning it would cancel all the others.)
	errs := make([]error, n)
	var g errgroup.Group
	g.SetLimit(limit)
	for i := range n {
		if err := ctx.Err(); err != nil {
			errs[i] = err // never sent
			continue
		}
		g.Go(func() error {
			errs[i] = fetch(ctx, i)
			return nil
		})
	}
	_ = g.Wait() // every function returns nil
	return errs
}

// A batch is the outcome of one way of making the requests.
type batch struct {
	errs []error
	took time.Duration
}

// batch makes the lesson's -requests requests, for /item/1, /item/2 and
// so on, with client, in the way given, and records each one as a span
// labelled label (none if label is ""). It resets the server's counts
// first.
func (l *lab) batch(ctx context.Context, label string, client *http.Client,
	how way, limit int) batch {
	l.srv.reset()
	fetch := func(ctx context.Context, i int) error {
		if label != "" {
			end := l.obs.Start(ctx, fmt.Sprintf("request %d", i+1), label)
			defer end()
		}
		_, err := get(ctx, client, fmt.Sprintf("%s/item/%d", l.base, i+1))
		return err
	}
	begin := time.Now()
	errs := how(ctx, l.cfg.requests, limit, fetch)
	return batch{errs: errs, took: time.Since(begin)}
}

// round truncates d to the precision the lesson prints.
func (l *lab) round(d time.Duration) time.Duration {
	return d.Truncate(l.cfg.resolution())
}

// summary returns "100 requests in 1s: 100 OK", or, with failures,
// "...: 20 OK, 80 failed: context deadline exceeded", one count per cause.
func (l *lab) summary(b batch) string {
	causes := map[string]int{}
	ok := 0
	for _, err := range b.errs {
		if err == nil {
			ok++
			continue
		}
		causes[cause(err)]++
	}
	s := fmt.Sprintf("%s in %v: %d OK", plural(int64(len(b.errs)), "request"),
		l.round(b.took), ok)
	for _, c := range slices.Sorted(maps.Keys(causes)) {
		s += fmt.Sprintf(", %d failed: %s", causes[c], c)
	}
	return s
}

// cause returns what went wrong with a request, without the "Get URL: "
// that the client puts in front (the URL has a port that changes from run
// to run).
func cause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// plural returns "1 request" or "n requests", for what = "request".
func plural(n int64, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ways makes the same batch one after another, with a goroutine each, and
// with a bounded pool: sections 1 to 3.
func (l *lab) ways(ctx context.Context) error {
	limit := l.cfg.limit
	sections := []struct {
		title, label string
		how          way
		idle         int
	}{
		{"One after another: a loop of client.Get", "serial", oneByOne, 0},
		{"A goroutine each: wg.Go for every request, each error in errs[i]",
			"each", eachInAGoroutine, 0},
		// The pool keeps limit connections idle between requests, not the
		// default 2, so that each is reused rather than closed and dialled
		// again.
		{fmt.Sprintf("A bounded pool: errgroup.Group with SetLimit(%d)", limit),
			"pool", pool, limit},
	}
	for i, s := range sections {
		// We give each way a client of its own, and count the connections
		// it dials and the most requests the server serves at once.
		fmt.Fprintf(l.w, "\n%d. %s\n", i+1, s.title)
		var dials atomic.Int64
		client := l.newClient(l.cfg.timeout, s.idle, 0, &dials)
		b := l.batch(ctx, s.label, client, s.how, limit)
		client.CloseIdleConnections()
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(l.w, "  %s\n", l.summary(b))
		fmt.Fprintf(l.w, "  the server had at most %d at once; %s dialled\n",
			l.srv.peak.Load(), plural(dials.Load(), "connection"))
	}
	return nil
}

// maxConns makes a goroutine per request, as section 2 does, but with a
// transport that opens at most -limit connections: section 4.
func (l *lab) maxConns(ctx context.Context) error {
	limit := l.cfg.limit
	fmt.Fprintf(l.w, "\n4. A goroutine each, limited by the transport:"+
		" MaxConnsPerHost = %d\n", limit)

	// With MaxConnsPerHost, a request that finds every connection busy
	// waits inside the transport for one to be free. Note that the wait
	// counts against its Timeout: the last requests wait for all the
	// rounds before theirs. So we first give each request a Timeout long
	// enough for the whole queue, then the usual one.
	rounds := (l.cfg.requests + limit - 1) / limit
	queue := time.Duration(rounds)*l.cfg.delay + l.cfg.timeout
	for i, timeout := range []time.Duration{queue, l.cfg.timeout} {
		var dials atomic.Int64
		client := l.newClient(timeout, limit, limit, &dials)
		// We leave these batches out of the chart: their requests wait
		// in the transport, so a bar would not show one in flight.
		b := l.batch(ctx, "", client, eachInAGoroutine, limit)
		client.CloseIdleConnections()
		if err := ctx.Err(); err != nil {
			return err
		}
		if i == 0 {
			fmt.Fprintf(l.w, "  Timeout %v, enough for the queue: %s\n",
				timeout, l.summary(b))
			fmt.Fprintf(l.w, "  the server had at most %d at once; %s dialled\n",
				l.srv.peak.Load(), plural(dials.Load(), "connection"))
			continue
		}
		fmt.Fprintf(l.w, "  Timeout %v: %s\n", timeout, l.summary(b))
	}
	return nil
}

// timeouts shows four clients facing a server that does not answer, all at
// once: section 5.
func (l *lab) timeouts(ctx context.Context) error {
	t := l.cfg.timeout
	fmt.Fprintln(l.w, "\n5. Timeouts, four clients at once: /hang never answers;"+
		" /stall sends its headers, then nothing")
	demos := []func(context.Context) string{
		l.noTimeout,
		func(ctx context.Context) string {
			// http.Client's Timeout covers the whole exchange: dialling,
			// waiting for a connection, sending, and reading the body.
			client := l.newClient(t, 0, 0, nil)
			defer client.CloseIdleConnections()
			begin := time.Now()
			_, err := get(ctx, client, l.base+"/hang")
			return fmt.Sprintf("/hang, http.Client{Timeout: %v}: %s after %v",
				t, cause(err), l.round(time.Since(begin)))
		},
		func(ctx context.Context) string {
			// A context with a timeout does the same from the caller's
			// side, for one request, whatever the client. Note that
			// cancel must wait until the body is read: called right after
			// Do, it would cut the body off.
			client := l.newClient(0, 0, 0, nil)
			defer client.CloseIdleConnections()
			begin := time.Now()
			rctx, cancel := context.WithTimeout(ctx, t)
			defer cancel()
			_, err := get(rctx, client, l.base+"/hang")
			return fmt.Sprintf("/hang, context.WithTimeout(ctx, %v): %s after %v",
				t, cause(err), l.round(time.Since(begin)))
		},
		l.stall,
	}
	// Each demo writes its own line: we print them in order, once all are
	// done.
	lines := make([]string, len(demos))
	var wg sync.WaitGroup
	for i, demo := range demos {
		wg.Go(func() { lines[i] = demo(ctx) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, line := range lines {
		fmt.Fprintf(l.w, "  %s\n", line)
	}
	return nil
}

// noTimeout GETs /hang with a client that has no Timeout, as
// http.DefaultClient has none, and reports that it is still waiting
// after -timeout; then it cancels the request.
func (l *lab) noTimeout(ctx context.Context) string {
	// Without a Timeout, a server that never answers keeps the request,
	// its goroutine and its connection for ever: nothing in the client
	// gives up. We make the request in a goroutine, look at it after
	// -timeout, and cancel it ourselves, which ends the goroutine.
	client := l.newClient(0, 0, 0, nil)
	defer client.CloseIdleConnections()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answered := make(chan error, 1) // the request's error; buffered so it never waits
	go func() {
		_, err := get(rctx, client, l.base+"/hang")
		answered <- err
	}()
	begin := time.Now()
	_ = sleep(ctx, l.cfg.timeout) // on Ctrl-C, timeouts returns ctx.Err()
	line := fmt.Sprintf("/hang, http.Client{} (no Timeout, like http.DefaultClient):"+
		" no answer after %v; it would wait for ever, so we cancel it",
		l.round(time.Since(begin)))
	cancel()
	if err := <-answered; !errors.Is(err, context.Canceled) {
		line = "/hang, http.Client{}: " + cause(err) // it did answer
	}
	return line
}

// stall GETs /stall, whose body never comes, with a client that has a
// Timeout, and reports when the headers came and when reading the body
// gave up.
func (l *lab) stall(ctx context.Context) string {
	t := l.cfg.timeout
	client := l.newClient(t, 0, 0, nil)
	defer client.CloseIdleConnections()
	prefix := fmt.Sprintf("/stall, http.Client{Timeout: %v}: ", t)
	begin := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/stall", nil)
	if err != nil {
		return prefix + err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		return prefix + cause(err)
	}
	defer resp.Body.Close()
	// Do returns as soon as the headers are in. The Timeout still runs
	// while we read the body, until it is read to the end or closed.
	headers := time.Since(begin)
	_, err = io.ReadAll(resp.Body)
	return fmt.Sprintf("%sheaders after %v, then reading the body: %v after %v",
		prefix, l.round(headers), err, l.round(time.Since(begin)))
}

// deadline makes the batch with the pool of section 3 and one deadline for
// the whole batch: section 6.
func (l *lab) deadline(ctx context.Context) error {
	d := l.cfg.deadline
	fmt.Fprintf(l.w, "\n6. One deadline for the whole batch: the pool of"+
		" section 3, with context.WithTimeout(ctx, %v)\n", d)
	// Every request gets a context derived from the batch's: when the
	// deadline passes, the requests in flight are cut off, and the pool
	// sends no more. Each request still has its own Timeout too:
	// whichever ends first ends the request.
	client := l.newClient(l.cfg.timeout, l.cfg.limit, 0, nil)
	dctx, cancel := context.WithTimeout(ctx, d)
	b := l.batch(dctx, "deadline", client, pool, l.cfg.limit)
	cancel()
	client.CloseIdleConnections()
	if err := ctx.Err(); err != nil {
		return err
	}
	ok := int64(len(b.errs)) - int64(countErrs(b.errs))
	received := l.srv.received.Load()
	fmt.Fprintf(l.w, "  %s\n", l.summary(b))
	fmt.Fprintf(l.w, "  the server got %d: %d cut off in flight, %d never sent\n",
		received, received-ok, int64(len(b.errs))-received)
	return nil
}

// countErrs counts the errors that are not nil.
func countErrs(errs []error) int {
	n := 0
	for _, err := range errs {
		if err != nil {
			n++
		}
	}
	return n
}

// maxTries is how many times section 7 tries a URL.
const maxTries = 3

// retries fetches /flaky/0 to /flaky/3, which fail their first 0 to 3
// requests, retrying with backoff: section 7.
func (l *lab) retries(ctx context.Context) error {
	fmt.Fprintf(l.w, "\n7. Retries with backoff: /flaky/n answers 503 (Service"+
		" Unavailable) to its first n requests; we try %d times\n", maxTries)
	client := l.newClient(l.cfg.timeout, 0, 0, nil)
	defer client.CloseIdleConnections()
	// We fetch the four URLs at once, each with its own line of what
	// happened.
	const urls = 4
	lines := make([]string, urls)
	var wg sync.WaitGroup
	for n := range urls {
		wg.Go(func() {
			var b strings.Builder
			fmt.Fprintf(&b, "/flaky/%d: ", n)
			begin := time.Now()
			_, err := getWithRetry(ctx, client, fmt.Sprintf("%s/flaky/%d", l.base, n),
				maxTries, l.cfg.backoff,
				func(try int, err error, wait time.Duration) {
					fmt.Fprintf(&b, "try %d: %s; ", try, short(err))
					if wait >= 0 {
						fmt.Fprintf(&b, "wait %v; ", wait)
					}
				})
			took := l.round(time.Since(begin))
			if err != nil {
				fmt.Fprintf(&b, "gave up at %v", took)
			} else {
				fmt.Fprintf(&b, "done at %v", took)
			}
			lines[n] = b.String()
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, line := range lines {
		fmt.Fprintf(l.w, "  %s\n", line)
	}
	return nil
}

// short returns "200 OK" for nil, the bare code of a *statusError, or
// what went wrong.
func short(err error) string {
	var se *statusError
	switch {
	case err == nil:
		return "200 OK"
	case errors.As(err, &se):
		return fmt.Sprint(se.code)
	}
	return cause(err)
}

// getWithRetry GETs url with client, up to tries times. After a try that
// failed in a way worth another (see retryable), it waits backoff, and
// twice as long after each next one; any other error ends it at once. It
// returns the body, or the last try's error, or ctx.Err() if ctx is done
// while it waits. It calls note after each try, with the try's number,
// its error, and the wait before the next try, or -1 if there is none.
func getWithRetry(ctx context.Context, client *http.Client, url string,
	tries int, backoff time.Duration,
	note func(try int, err error, wait time.Duration)) (string, error) {
	// Note that real clients add jitter, a random part of each wait
	// (rand.N(wait), say), so that clients that failed together do not
	// all come back together. We leave it out so that the output is the
	// same on every run.
	wait := backoff
	for try := 1; ; try++ {
		body, err := get(ctx, client, url)
		if err == nil || try == tries || !retryable(ctx, err) {
			note(try, err, -1)
			return body, err
		}
		note(try, err, wait)
		if err := sleep(ctx, wait); err != nil {
			return "", err
		}
		wait *= 2
	}
}

// retryable reports whether a failed try is worth another: the server is
// failing or overloaded (a 5xx status), or the try alone timed out. A 4xx
// status would fail again; and once ctx is done, the caller has given up.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
