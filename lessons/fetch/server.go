package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A network is where the lesson's server listens and its clients connect:
// TCP on loopback when the lesson runs, and an in-memory network of
// net.Pipe connections in its tests, where time is fake
// (testing/synctest) and a request of 100ms takes exactly 100ms.
type network interface {
	// listen returns a listener for the server.
	listen() (net.Listener, error)
	// dial connects to the listener; it is an http.Transport's
	// DialContext.
	dial(ctx context.Context, network, addr string) (net.Conn, error)
}

// loopback is the real network: TCP on 127.0.0.1, with a port the system
// picks. Nothing leaves the machine.
type loopback struct{}

func (loopback) listen() (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:0")
}

func (loopback) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// A server is the lesson's web server, standing in for a real web service
// that takes a while to answer. Its handler answers
//
//	GET /item/{n}   "item n", after delay (simulated work)
//	GET /hang       nothing, ever: it waits until the client gives up
//	GET /stall      its headers at once, then nothing more
//	GET /flaky/{n}  503 Service Unavailable, at once, to the first n
//	                requests for this path; then as /item/{n}
//
// Every handler returns as soon as its client goes away. A server counts
// the requests it receives and the most it serves at once; it is safe for
// concurrent use.
type server struct {
	delay time.Duration

	received atomic.Int64 // requests received since the last reset
	inFlight atomic.Int64 // requests being served now
	peak     atomic.Int64 // the most inFlight has been since the last reset

	mu    sync.Mutex     // guards tries
	tries map[string]int // requests received for each /flaky/ path
}

func newServer(delay time.Duration) *server {
	return &server{delay: delay, tries: map[string]int{}}
}

// reset zeroes the counts of requests received and the peak, for the next
// batch. Call it when no request is in flight.
func (s *server) reset() {
	s.received.Store(0)
	s.peak.Store(0)
}

// handler returns the server's http.Handler.
func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /item/{n}", s.item)
	mux.HandleFunc("GET /hang", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // the client gave up, or the server stopped
	})
	mux.HandleFunc("GET /stall", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_ = http.NewResponseController(w).Flush() // the headers go now
		<-r.Context().Done()
	})
	mux.HandleFunc("GET /flaky/{n}", s.flaky)
	// We count every request, whatever its path, as it arrives and as it
	// ends.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.received.Add(1)
		now := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		for peak := s.peak.Load(); now > peak && !s.peak.CompareAndSwap(peak, now); {
			peak = s.peak.Load()
		}
		mux.ServeHTTP(w, r)
	})
}

// item answers "item n" after the server's delay, or nothing if the
// client goes away first.
func (s *server) item(w http.ResponseWriter, r *http.Request) {
	// r.Context() is done when the client closes the connection (a
	// timeout, a cancel), or when the server stops: we stop working then,
	// as there is no one left to answer.
	if err := sleep(r.Context(), s.delay); err != nil {
		return
	}
	fmt.Fprintf(w, "item %s\n", r.PathValue("n"))
}

// flaky fails the first n requests for its path with 503 Service
// Unavailable, at once, as an overloaded service does; then it answers
// as item does.
func (s *server) flaky(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		http.Error(w, "bad number", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.tries[r.URL.Path]++
	try := s.tries[r.URL.Path]
	s.mu.Unlock()
	if try <= n {
		http.Error(w, "overloaded, try again later", http.StatusServiceUnavailable)
		return
	}
	s.item(w, r)
}

// serve serves s on ln until the returned stop function is called, and
// returns the server's URL ("http://127.0.0.1:port"). The server is an
// httptest.Server, the test server of Go's own tests, on our listener.
// stop closes ln and the idle connections, then waits for the requests in
// progress to end (ours end as soon as their client has gone) and for
// the server's goroutines to return. Call stop once, after the clients.
func (s *server) serve(ln net.Listener) (url string, stop func()) {
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s.handler()}}
	ts.Start()
	return ts.URL, ts.Close
}
