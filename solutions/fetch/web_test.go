package fetch

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A web is the tests' web server and a client of it, on an in-memory
// network: each connection is a net.Pipe, whose reads and writes wait on
// channels, so that the server, the client and Fetch all run inside a
// testing/synctest bubble, in fake time. A page the server sends after 1s
// comes at exactly 1s. (Real sockets would not do: a goroutine blocked
// on one is not durably blocked, and fake time would not advance.)
//
// The server answers:
//
//	GET /page/{n}?after=d  "page n", after d (at once without after)
//	GET /status/{code}     that status, with a short body, at once
//	GET /hang              nothing, ever: it waits until the client goes
//	GET /stall?after=d     its headers at once, then "late page" after d
//
// A web counts what the tests check: the requests the server receives
// (for each URL too) and the most it serves at once, the connections
// open, and the response bodies handed to the client and closed. Make one
// with newWeb, inside the bubble; it shuts down when the test ends.
type web struct {
	client *http.Client // a client with no Timeout of its own

	received atomic.Int64 // requests received
	inFlight atomic.Int64 // requests being served now
	peak     atomic.Int64 // the most inFlight has been
	open     atomic.Int64 // connections dialled and not yet closed by the client
	bodies   atomic.Int64 // response bodies handed to the client
	closed   atomic.Int64 // response bodies the client closed

	mu     sync.Mutex     // guards perURL and handed
	perURL map[string]int // requests received for each path and query
	handed []*trackedBody // every body handed out, to close at the end

	conns   chan net.Conn   // the server's ends, from dial to Accept
	stopped chan struct{}   // closed when the listener is closed
	stop    sync.Once       // closes stopped
	srv     *http.Server    // the server
	served  chan struct{}   // closed when Serve has returned
	tr      *http.Transport // the client's transport
}

// webBase is the URL of the tests' server. Its host is never looked up: the
// client's transport dials the in-memory network whatever the address.
const webBase = "http://web.test"

// newWeb starts the server and makes its client. It must be called inside
// a synctest bubble; the server is shut down, and every connection and
// body left open is closed, when the test ends.
func newWeb(t *testing.T) *web {
	w := &web{
		perURL:  map[string]int{},
		conns:   make(chan net.Conn),
		stopped: make(chan struct{}),
		served:  make(chan struct{}),
	}
	w.srv = &http.Server{Handler: http.HandlerFunc(w.serve)}
	go func() {
		defer close(w.served)
		_ = w.srv.Serve(w) // http.ErrServerClosed once t ends
	}()
	w.tr = &http.Transport{DialContext: w.dial, MaxIdleConnsPerHost: 1000}
	w.client = &http.Client{Transport: w}
	t.Cleanup(w.shutdown)
	return w
}

// shutdown closes what a wrong Fetch may have left open (the bodies not
// closed hold their connections), then the client's idle connections and
// the server, and waits for the server's goroutines.
func (w *web) shutdown() {
	w.mu.Lock()
	handed := w.handed
	w.mu.Unlock()
	for _, b := range handed {
		_ = b.Close()
	}
	w.tr.CloseIdleConnections()
	_ = w.srv.Close()
	<-w.served
}

// webURL returns the URL of path on the tests' server.
func webURL(path string) string { return webBase + path }

// pageURL returns the URL of page n, which comes after d.
func pageURL(n int, d time.Duration) string {
	return webURL(fmt.Sprintf("/page/%d?after=%v", n, d))
}

// pageBody is the body of page n.
func pageBody(n int) []byte { return fmt.Appendf(nil, "page %d\n", n) }

// requests returns how many requests the server received for u.
func (w *web) requests(u string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.perURL[u]
}

// serve is the server's handler.
func (w *web) serve(rw http.ResponseWriter, r *http.Request) {
	w.received.Add(1)
	now := w.inFlight.Add(1)
	defer w.inFlight.Add(-1)
	for peak := w.peak.Load(); now > peak && !w.peak.CompareAndSwap(peak, now); {
		peak = w.peak.Load()
	}
	w.mu.Lock()
	w.perURL[webBase+r.URL.RequestURI()]++
	w.mu.Unlock()

	after, _ := time.ParseDuration(r.URL.Query().Get("after"))
	var n int
	var code int
	switch {
	case r.URL.Path == "/hang":
		<-r.Context().Done()
	case r.URL.Path == "/stall":
		rw.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(rw).Flush() // the headers go now
		if serverWait(r.Context(), after) {
			io.WriteString(rw, "late page\n")
		}
	case scanPath(r.URL.Path, "/page/%d", &n):
		if serverWait(r.Context(), after) {
			rw.Write(pageBody(n))
		}
	case scanPath(r.URL.Path, "/status/%d", &code):
		http.Error(rw, http.StatusText(code), code)
	default:
		http.NotFound(rw, r)
	}
}

// scanPath reports whether path is format with one number, stored in n.
func scanPath(path, format string, n *int) bool {
	_, err := fmt.Sscanf(path, format, n)
	return err == nil
}

// serverWait waits d, or until ctx is done (the client went away), and
// reports whether d passed. With d zero it returns true at once.
func serverWait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C: // time to answer
		return true
	case <-ctx.Done(): // the client went away
		return false
	}
}

// RoundTrip makes web the client's transport: it counts the response
// bodies it hands out and those closed.
func (w *web) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	w.bodies.Add(1)
	b := &trackedBody{ReadCloser: resp.Body, closed: &w.closed}
	w.mu.Lock()
	w.handed = append(w.handed, b)
	w.mu.Unlock()
	resp.Body = b
	return resp, nil
}

// CloseIdleConnections closes the client's idle connections: web is its
// transport, so this is what client.CloseIdleConnections calls.
func (w *web) CloseIdleConnections() { w.tr.CloseIdleConnections() }

// A trackedBody adds one to closed when it is first closed.
type trackedBody struct {
	io.ReadCloser
	closed *atomic.Int64
	once   sync.Once
}

func (b *trackedBody) Close() error {
	b.once.Do(func() { b.closed.Add(1) })
	return b.ReadCloser.Close()
}

// dial is the transport's DialContext: it makes a pipe, hands one end to
// the server's Accept and returns the other, which counts as open until
// the client closes it.
func (w *web) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case w.conns <- server: // the server accepted it
		w.open.Add(1)
		return &countedConn{Conn: client, open: &w.open}, nil
	case <-w.stopped: // the server is shut down: connection refused
	case <-ctx.Done(): // the request gave up first
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, net.ErrClosed
}

// A countedConn takes one from open when it is first closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// Accept makes web the server's listener: it waits for a dial, or for
// Close.
func (w *web) Accept() (net.Conn, error) {
	select {
	case c := <-w.conns: // a client dialled
		return c, nil
	case <-w.stopped: // the server is shut down
		return nil, net.ErrClosed
	}
}

// Close closes the listener: Accept and dial fail from now on.
func (w *web) Close() error {
	w.stop.Do(func() { close(w.stopped) })
	return nil
}

// Addr returns a loopback address, as a real listener's would be.
func (w *web) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}
}
