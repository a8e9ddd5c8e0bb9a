// The server command shows how Go serves many network clients at once: an
// Accept loop that starts a goroutine per connection, each one doing plain
// blocking reads and writes, while the runtime's network poller does what
// Twisted's reactor or asyncio's event loop does by hand.
//
// It runs a tiny key-value server over TCP lines on 127.0.0.1 (SET, GET,
// and WAIT, which waits for a key to be set), written by hand, and shows:
// a goroutine per connection; read and write deadlines that drop a stalled
// client; a limit on connections at once, and what a client over it sees;
// a graceful shutdown. Then the same with net/http: a per-request context
// that a client's disconnect cancels, a hit counter that every handler
// shares (racy on purpose with -racy), and http.Server.Shutdown.
//
// Usage:
//
//	go run ./lessons/server [-clients n] [-limit n] [-idle d] [-work d]
//	    [-grace d] [-racy]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// A network listens and dials. The lesson runs on loopback, the real TCP
// network of 127.0.0.1; its tests run it on an in-memory network of
// net.Pipe connections, whose deadlines synctest can fake.
type network interface {
	listen() (net.Listener, error)
	dial(ctx context.Context, addr string) (net.Conn, error)
}

// loopback is the TCP network on 127.0.0.1, and nothing else.
type loopback struct{}

func (loopback) listen() (net.Listener, error) {
	return net.Listen("tcp", "127.0.0.1:0") // port 0: any free port
}

func (loopback) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// run runs the lesson on loopback. It returns ctx.Err() as soon as ctx is
// done (Ctrl-C). Every goroutine it starts has returned, and every
// connection it opened is closed, when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	return demo(ctx, w, cfg, loopback{})
}

// A lesson holds what the lesson's parts share: where they print, the
// flags, the network, and the key-value store that every line server of
// the lesson serves.
type lesson struct {
	out  *log.Logger
	cfg  config
	netw network
	st   *store
}

// demo runs the lesson's five parts on netw, printing to w.
func demo(ctx context.Context, w io.Writer, cfg config, netw network) error {
	// We print through one Logger: it writes each line in one call, so
	// lines from different goroutines never tear.
	l := &lesson{out: log.New(w, "", 0), cfg: cfg, netw: netw, st: newStore()}
	parts := []func(context.Context) error{
		l.perConnection, l.deadlines, l.limit, l.shutdownByHand, l.httpServer,
	}
	for _, part := range parts {
		err := part(ctx)
		// Note that a part cut short by Ctrl-C may fail in many ways (a
		// closed connection, a refused dial), or not at all: we say
		// what happened, which is ctx.Err().
		if ctx.Err() != nil {
			return ctx.Err() // the part has stopped everything it started
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// perConnection serves clients that each hold a request open at once: one
// goroutine per connection, and no thread per connection.
func (l *lesson) perConnection(ctx context.Context) (err error) {
	n := l.cfg.clients
	l.out.Print("1. One goroutine per connection: a key-value server over TCP lines")

	// We answer each request from the store, after the simulated work,
	// and note each WAIT as it begins, so that we know when all of them
	// are in progress. The channels have room for every send, so that a
	// connection goroutine never waits for us.
	waiting := make(chan struct{}, n) // one per WAIT begun
	ended := make(chan event, n+2)    // one per connection
	answer := func(ctx context.Context, line string) string {
		if strings.HasPrefix(line, "WAIT ") {
			waiting <- struct{}{}
		}
		if err := sleep(ctx, l.cfg.work); err != nil {
			return "ERR " + err.Error()
		}
		return l.st.do(ctx, line)
	}
	srv := newLineServer(answer, 0, 0, 0)
	srv.ended = func(id int, why string) { ended <- event{id, why} }
	r, err := l.start(srv)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()

	// Two clients set and get a key, one request at a time.
	c1, c2, err := l.dial2(ctx, r.addr)
	if err != nil {
		return err
	}
	defer c1.close()
	defer c2.close()
	for _, step := range []struct {
		c       *client
		name    string
		request string
	}{
		{c1, "client 1", "SET color blue"},
		{c2, "client 2", "GET color"},
		{c2, "client 2", "GET shape"},
	} {
		got, err := step.c.do(step.request)
		if err != nil {
			return err
		}
		l.out.Printf("  %s: %s -> %s", step.name, step.request, got)
	}

	// Then n clients each send WAIT go, and wait. Each request is held
	// by its own goroutine, blocked in the store; the goroutine that
	// Accepts is free, and so are the other clients' goroutines.
	waiters := make([]*client, n)
	for i := range waiters {
		c, err := dial(ctx, l.netw, r.addr)
		if err != nil {
			return err
		}
		defer c.close()
		if err := c.send("WAIT go"); err != nil {
			return err
		}
		waiters[i] = c
	}
	for range n {
		if _, err := next(ctx, waiting); err != nil {
			return err
		}
	}
	l.out.Printf("  %s: WAIT go: %d requests in progress at once,"+
		" each in its own goroutine", clientRange(3, n+2), n)

	// One SET wakes them all.
	got, err := c1.do("SET go now")
	if err != nil {
		return err
	}
	l.out.Printf("  client 1: SET go now -> %s", got)
	answers := map[string]int{}
	for _, c := range waiters {
		got, err := c.receive()
		if err != nil {
			return err
		}
		answers[got]++
	}
	for _, a := range slices.Sorted(maps.Keys(answers)) {
		l.out.Printf("  %s: WAIT go -> %s (%d of %d)",
			clientRange(3, n+2), a, answers[a], n)
	}

	// Every client leaves; each connection's goroutine sees EOF and ends.
	c1.close()
	c2.close()
	for _, c := range waiters {
		c.close()
	}
	evs, err := collect(ctx, ended, n+2)
	if err != nil {
		return err
	}
	l.out.Printf("  %d connections, one goroutine each; %s", n+2, summary(evs))
	return nil
}

// bigValue is the size of the value of key "big", which a client asks
// for again and again without reading the answers, until the socket's
// buffers are full.
const bigValue = 60_000

// deadlines shows the read and write deadlines dropping clients that
// stall: one sends nothing, one sends half a line, one does not read.
func (l *lesson) deadlines(ctx context.Context) (err error) {
	l.out.Printf("\n2. Deadlines: the server drops a client that stalls for %v",
		l.cfg.idle)
	ended := make(chan event, 3) // one per connection
	srv := newLineServer(l.st.do, l.cfg.idle, l.cfg.idle, 0)
	srv.ended = func(id int, why string) { ended <- event{id, why} }
	l.st.set("big", strings.Repeat("x", bigValue))
	r, err := l.start(srv)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()

	// Clients 1 and 2 stall at once: the first sends nothing, the second
	// half a line. The read deadline drops both.
	c1, c2, err := l.dial2(ctx, r.addr)
	if err != nil {
		return err
	}
	defer c1.close()
	defer c2.close()
	if _, err := io.WriteString(c2.nc, "GET col"); err != nil {
		return err
	}
	evs, err := collect(ctx, ended, 2)
	if err != nil {
		return err
	}
	for i, what := range []string{
		"sends nothing", `sends "GET col" and no newline`,
	} {
		c := []*client{c1, c2}[i]
		l.out.Printf("  client %d %s: %s; %s", i+1, what, c.sees(), evs[i].why)
	}

	// Client 3 sends its requests and never reads an answer. The server
	// writes answers until the socket's buffers are full, and its Write
	// blocks; the write deadline drops the client. (On a real socket the
	// buffers hold megabytes, hence the many big answers.)
	c3, err := dial(ctx, l.netw, r.addr)
	if err != nil {
		return err
	}
	defer c3.close()
	const requests = 1000
	// The Write fails if the server drops us before it has read them all.
	_, _ = c3.nc.Write([]byte(strings.Repeat("GET big\n", requests)))
	ev, err := next(ctx, ended)
	if err != nil {
		return err
	}
	l.out.Printf("  client 3 sends %d GET big and reads no answer: %s; %s",
		requests, c3.sees(), ev.why)
	return nil
}

// limit shows a server that holds at most l.cfg.limit connections at
// once, and what a client over the limit sees.
func (l *lesson) limit(ctx context.Context) (err error) {
	n := l.cfg.limit
	l.out.Printf("\n3. At most %d connections at once: a semaphore of %d tokens",
		n, n)
	ended := make(chan event, n+2) // one per connection
	srv := newLineServer(l.st.do, 0, 0, n)
	srv.ended = func(id int, why string) { ended <- event{id, why} }
	r, err := l.start(srv)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()

	// n clients take every token. Each asks something, so that we know
	// the server has admitted it.
	holders := make([]*client, n)
	for i := range holders {
		c, err := dial(ctx, l.netw, r.addr)
		if err != nil {
			return err
		}
		defer c.close()
		if _, err := c.do("GET color"); err != nil {
			return err
		}
		holders[i] = c
	}
	l.out.Printf("  %s: GET color -> OK blue; every token is taken",
		clientRange(1, n))

	// The next client is accepted, told, and closed.
	over, err := dial(ctx, l.netw, r.addr)
	if err != nil {
		return err
	}
	defer over.close()
	got, err := over.receive()
	if err != nil {
		return err
	}
	l.out.Printf("  client %d: %s; then %s", n+1, got, over.sees())

	// Client 1 leaves. Its goroutine releases its token before the
	// server reports the end, so the next client gets in.
	holders[0].close()
	for {
		ev, err := next(ctx, ended)
		if err != nil {
			return err
		}
		if ev.id == 1 {
			l.out.Printf("  client 1 leaves (%s): its token is free again", ev.why)
			break
		}
	}
	late, err := dial(ctx, l.netw, r.addr)
	if err != nil {
		return err
	}
	defer late.close()
	got, err = late.do("GET color")
	if err != nil {
		return err
	}
	l.out.Printf("  client %d: GET color -> %s", n+2, got)
	return nil
}

// shutdownByHand shows a graceful shutdown of the line server: an idle
// client, a request that finishes in time, and one that never would.
func (l *lesson) shutdownByHand(ctx context.Context) (err error) {
	l.out.Printf("\n4. Graceful shutdown by hand, with a %v deadline", l.cfg.grace)

	// We note each request as it begins, so that we know when the two we
	// shut down on are in progress. Then we hold it until shutdown has
	// begun, so that it is still in progress then on every run, however
	// short -work is; then it does its work.
	begun := make(chan struct{}, 2) // one per request
	ended := make(chan event, 3)    // one per connection
	shutting := make(chan struct{}) // closed when shutdown begins
	answer := func(ctx context.Context, line string) string {
		begun <- struct{}{}
		select {
		case <-shutting: // shutdown has begun: now do the work
		case <-ctx.Done(): // cut off, or Ctrl-C
			return "ERR " + ctx.Err().Error()
		}
		if err := sleep(ctx, l.cfg.work); err != nil {
			return "ERR " + err.Error()
		}
		return l.st.do(ctx, line)
	}
	srv := newLineServer(answer, 0, 0, 0)
	srv.ended = func(id int, why string) { ended <- event{id, why} }
	srv.onShutdown = func() { close(shutting) }
	r, err := l.start(srv)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, r.stop()) }()

	// Client 1 connects and sends nothing: it is idle. Client 2 asks for
	// something that takes l.cfg.work; client 3 waits for a key that
	// nobody sets. Note that client 1 was accepted before the others
	// (the listen queue is first in, first out), so it is known to the
	// server once their requests have begun.
	clients := make([]*client, 3)
	for i := range clients {
		c, err := dial(ctx, l.netw, r.addr)
		if err != nil {
			return err
		}
		defer c.close()
		clients[i] = c
	}
	requests := []string{"", "GET color", "WAIT never"}
	for i := 1; i < 3; i++ {
		if err := clients[i].send(requests[i]); err != nil {
			return err
		}
	}
	for range 2 {
		if _, err := next(ctx, begun); err != nil {
			return err
		}
	}
	l.out.Printf("  client 1 is idle; client 2's GET color is in progress (%v"+
		" of work); client 3 waits in WAIT never", l.cfg.work)

	// We read what each client gets, in a goroutine each, while shutdown
	// runs, and print it once they have all seen their connection end.
	got := make([][]string, 3)
	var readers sync.WaitGroup
	for i, c := range clients {
		readers.Go(func() {
			for {
				line, err := c.receive()
				if err != nil {
					return // the server closed the connection
				}
				got[i] = append(got[i], line)
			}
		})
	}
	l.out.Print("  shutdown: close the listener and the idle connections;" +
		" let the requests in progress finish")
	gctx, cancel := context.WithTimeout(ctx, l.cfg.grace)
	shutErr := srv.shutdown(gctx)
	cancel()
	readers.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	evs, err := collect(ctx, ended, 3)
	if err != nil {
		return err
	}
	for i, ev := range evs {
		label, answer := requests[i], "no answer"
		if i == 0 {
			label = "idle"
		}
		if len(got[i]) > 0 {
			answer = strings.Join(got[i], ", ")
		}
		l.out.Printf("  client %d (%s): %s; %s", i+1, label, answer, ev.why)
	}
	serveErr := r.join()
	l.out.Printf("  shutdown returned %v; serve returned %q;"+
		" every connection goroutine has returned", shutErr, serveErr)

	// The listener is closed: the kernel refuses a new connection.
	c, err := dial(ctx, l.netw, r.addr)
	if err == nil {
		c.close()
	}
	l.out.Printf("  a new client: %s", refused(err))
	return nil
}

// hitClients and hitsEach are how many clients send requests to the hit
// counter at once, and how many requests each sends.
const hitClients, hitsEach = 10, 10

// httpServer shows the same with net/http: the per-request context, a
// hit counter every handler shares, and http.Server.Shutdown.
func (l *lesson) httpServer(ctx context.Context) (err error) {
	l.out.Print("\n5. The same with net/http: http.Server runs the Accept loop" +
		" and a goroutine per connection")
	begun := make(chan struct{}, 2)       // one per /wait or /work request
	stopped := make(chan error, 1)        // what /wait's r.Context() said
	hits := &hitCounter{racy: l.cfg.racy} // shared by every handler

	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	})
	mux.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) {
		// r.Context() is done when the client goes away: net/http reads
		// the connection in the background and notices the close. We
		// wait for that, and say what the context said.
		begun <- struct{}{}
		<-r.Context().Done()
		stopped <- r.Context().Err()
	})
	// Each client's first hit waits, once counted, for every client's
	// first hit: so hitClients handlers surely run at once, on any
	// machine, and with -racy the race detector always sees the race.
	firstHits := make(chan struct{}, hitClients) // one per first hit; never full
	allFirsts := make(chan struct{})             // closed when all have come, or we stop
	fctx, stopFirsts := context.WithCancel(ctx)
	go func() { // ends when every first hit has come, or fctx is done
		defer close(allFirsts)
		for range hitClients {
			select {
			case <-firstHits:
			case <-fctx.Done(): // an error or Ctrl-C before they all came
				return
			}
		}
	}()
	defer func() { stopFirsts(); <-allFirsts }()
	mux.HandleFunc("GET /hit", func(w http.ResponseWriter, r *http.Request) {
		hits.add()
		if r.URL.Query().Has("first") {
			firstHits <- struct{}{}
			select {
			case <-allFirsts: // every client's first hit has counted
			case <-r.Context().Done(): // cut off, or Ctrl-C
			}
		}
	})
	shutting := make(chan struct{}) // closed when Shutdown begins
	mux.HandleFunc("GET /work", func(w http.ResponseWriter, r *http.Request) {
		// As in part 4, we hold the request until shutdown has begun, so
		// that it is still in progress then on every run.
		begun <- struct{}{}
		select {
		case <-shutting: // Shutdown has begun: now do the work
		case <-r.Context().Done(): // cut off, or Ctrl-C
			return
		}
		if err := sleep(r.Context(), l.cfg.work); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "done\n")
	})

	// We count the server's connections with its ConnState hook: the
	// count goes up in Serve's own goroutine, before the connection's
	// goroutine starts, and down when that goroutine is done with the
	// connection. So once Serve has returned, conns.Wait is the join
	// point for every connection goroutine, whatever Shutdown did.
	var conns sync.WaitGroup
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: l.cfg.idle, // a client that stalls mid-request
		IdleTimeout:       l.cfg.idle, // a kept-alive client that stays silent
		ConnState: func(_ net.Conn, state http.ConnState) {
			switch state {
			case http.StateNew:
				conns.Add(1)
			case http.StateClosed, http.StateHijacked:
				conns.Done()
			}
		},
	}
	// Shutdown calls each function registered here in a goroutine of its
	// own, once it has closed the listeners and the idle connections.
	srv.RegisterOnShutdown(func() { close(shutting) })
	ln, err := l.netw.listen()
	if err != nil {
		return err
	}
	// Our client goroutines are joined last, on every path: on an error
	// or Ctrl-C their requests fail once ctx is done or the server is
	// closed, by the deferred calls below, which run first.
	var requests sync.WaitGroup
	defer requests.Wait()
	served := make(chan error, 1) // Serve's result; never waits to send
	go func() { served <- srv.Serve(ln) }()
	serving := true
	defer func() {
		if serving { // an error or Ctrl-C: close everything at once
			srv.Close()
			<-served
		}
		conns.Wait()
	}()

	// The client side: the Transport dials on our network and keeps a
	// connection open for reuse.
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		return l.netw.dial(ctx, addr)
	}
	tr := &http.Transport{DialContext: dial}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	base := "http://" + ln.Addr().String()

	got, err := get(ctx, hc, base+"/hello")
	if err != nil {
		return err
	}
	l.out.Printf("  GET /hello -> %s", got)

	// A client that gives up: we cancel its request once the handler has
	// begun. The handler's r.Context() is done at once.
	wctx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	gave := make(chan error, 1) // the client's result; never waits to send
	requests.Go(func() {
		_, err := get(wctx, hc, base+"/wait")
		gave <- err
	})
	if _, err := next(ctx, begun); err != nil {
		return err
	}
	cancelWait()
	clientErr, err := next(ctx, gave)
	if err != nil {
		return err
	}
	handlerErr, err := next(ctx, stopped)
	if err != nil {
		return err
	}
	l.out.Printf("  GET /wait, then the client gives up (%v):"+
		" the handler's r.Context() says %v", errors.Unwrap(clientErr), handlerErr)

	// Many clients at once, on many connections: many handler goroutines
	// add to one counter.
	// Note that the burst's client keeps no connection open: a Transport
	// that reuses them may dial one more than it needs in a burst, and
	// Shutdown counts a connection that has sent no request as busy for
	// its first 5 s, so it would wait out its deadline.
	burst := &http.Client{Transport: &http.Transport{DialContext: dial, DisableKeepAlives: true}}
	errs := make([]error, hitClients)
	var senders sync.WaitGroup
	for i := range hitClients {
		senders.Go(func() { // ends after hitsEach requests, or an error
			for k := range hitsEach {
				url := base + "/hit"
				if k == 0 {
					url += "?first"
				}
				if _, err := get(ctx, burst, url); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	senders.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	l.out.Printf("  %d clients send %d requests at once to GET /hit:"+
		" the counter says %d", hitClients, hitClients*hitsEach, hits.count())

	// Shutdown with a request in progress: it stops accepting, closes
	// the idle connections, and waits for the request to finish.
	type result struct {
		got string
		err error
	}
	working := make(chan result, 1) // the request's result; never waits to send
	requests.Go(func() {
		got, err := get(ctx, hc, base+"/work")
		working <- result{got, err}
	})
	if _, err := next(ctx, begun); err != nil {
		return err
	}
	l.out.Printf("  GET /work in progress (%v of work); Shutdown with a %v"+
		" deadline", l.cfg.work, l.cfg.grace)
	gctx, cancel := context.WithTimeout(ctx, l.cfg.grace)
	shutErr := srv.Shutdown(gctx)
	cancel()
	if shutErr != nil {
		// The deadline passed first: Shutdown leaves the requests in
		// progress running. Close cuts them off.
		srv.Close()
	}
	res, err := next(ctx, working)
	if err != nil {
		return err
	}
	if res.err != nil {
		res.got = res.err.Error()
	}
	serveErr := <-served
	serving = false
	l.out.Printf("  GET /work -> %s; Shutdown: %v; Serve: %v",
		res.got, shutErr, serveErr)

	// A new request needs a new connection: the pool's idle ones are
	// closed, and the listener refuses.
	tr.CloseIdleConnections()
	_, err = get(ctx, hc, base+"/hello")
	l.out.Printf("  a new request: %s", refused(err))
	return nil
}

// get sends a GET request for url with ctx and returns the status and the
// body in one line.
func get(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(resp.Status + ": " + string(body)), nil
}

// A hitCounter counts requests, for every handler at once. It is safe for
// concurrent use, unless racy is set.
type hitCounter struct {
	racy bool // -racy: count without the lock, the lesson's data race

	mu sync.Mutex // guards n
	n  int
}

// add counts one hit.
func (h *hitCounter) add() {
	// Note that every request runs in a goroutine of its own: two
	// handlers can run h.n++ at the same moment, on two cores. Without
	// the lock that is a data race, and hits are lost.
	if h.racy {
		h.n++ // the data race, on purpose: go run -race reports it
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
}

// count returns the hits counted so far.
func (h *hitCounter) count() int {
	if h.racy {
		return h.n
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// A running is a lineServer serving a listener in a goroutine of its own.
type running struct {
	srv    *lineServer
	addr   string
	served chan error // serve's result; buffered, so serve never waits to send
	joined bool       // serve's result has been received, into serveErr
	err    error
}

// start listens on l's network and serves srv in a goroutine of its own.
// The caller must call stop, which joins that goroutine.
func (l *lesson) start(srv *lineServer) (*running, error) {
	ln, err := l.netw.listen()
	if err != nil {
		return nil, err
	}
	r := &running{srv: srv, addr: ln.Addr().String(), served: make(chan error, 1)}
	go func() { r.served <- srv.serve(ln) }()
	return r, nil
}

// join waits for serve to return, the first time, and returns its error.
func (r *running) join() error {
	if !r.joined {
		r.err, r.joined = <-r.served, true
	}
	return r.err
}

// stop shuts the server down at once, cutting off any request left, and
// waits for serve to return. It returns serve's error, if it is not
// errServerClosed.
func (r *running) stop() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()                // no grace: cut off whatever is left
	_ = r.srv.shutdown(ctx) // context.Canceled if something was cut off
	if err := r.join(); !errors.Is(err, errServerClosed) {
		return err
	}
	return nil
}

// An event says why the server's connection number id ended.
type event struct {
	id  int
	why string
}

// collect receives n events from ch and returns them by connection number.
func collect(ctx context.Context, ch <-chan event, n int) ([]event, error) {
	evs := make([]event, 0, n)
	for range n {
		ev, err := next(ctx, ch)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	slices.SortFunc(evs, func(a, b event) int { return a.id - b.id })
	return evs, nil
}

// summary says how many events give each reason.
func summary(evs []event) string {
	count := map[string]int{}
	for _, ev := range evs {
		count[ev.why]++
	}
	var parts []string
	for _, why := range slices.Sorted(maps.Keys(count)) {
		parts = append(parts, fmt.Sprintf("%d ended: %s", count[why], why))
	}
	return strings.Join(parts, "; ")
}

// A client is one connection to the line server.
type client struct {
	nc     net.Conn
	r      *bufio.Reader
	stop   func() bool   // stops the close on ctx done; false if it began
	closed chan struct{} // closed once the close on ctx done is over
	once   sync.Once     // close's work is done once
}

// dial connects to the line server at addr. The connection is closed when
// ctx is done (Ctrl-C), so that no Read or Write of ours outlives it; the
// caller must call close.
func dial(ctx context.Context, netw network, addr string) (*client, error) {
	nc, err := netw.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &client{nc: nc, r: bufio.NewReader(nc), closed: make(chan struct{})}
	// context.AfterFunc runs its function in a goroutine of its own once
	// ctx is done; close waits for it.
	c.stop = context.AfterFunc(ctx, func() {
		defer close(c.closed)
		nc.Close()
	})
	return c, nil
}

// dial2 dials two clients, one after the other.
func (l *lesson) dial2(ctx context.Context, addr string) (*client, *client, error) {
	c1, err := dial(ctx, l.netw, addr)
	if err != nil {
		return nil, nil, err
	}
	c2, err := dial(ctx, l.netw, addr)
	if err != nil {
		c1.close()
		return nil, nil, err
	}
	return c1, c2, nil
}

// send sends one request line.
func (c *client) send(line string) error {
	_, err := io.WriteString(c.nc, line+"\n")
	return err
}

// receive reads one answer line.
func (c *client) receive() (string, error) {
	line, err := c.r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// do sends a request line and reads its answer.
func (c *client) do(line string) (string, error) {
	if err := c.send(line); err != nil {
		return "", err
	}
	return c.receive()
}

// sees reads what is left on the connection until it ends, and says so.
func (c *client) sees() string {
	// Note that the end is an EOF, or an error when the server closed a
	// socket that still held data it had not read: the kernel then
	// resets the connection. Either way, the server closed it.
	_, _ = io.Copy(io.Discard, c.r)
	return "the server closed it"
}

// close closes the connection. It may be called more than once.
func (c *client) close() {
	c.once.Do(func() {
		if !c.stop() {
			<-c.closed // ctx is done: the AfterFunc is closing nc
		}
		c.nc.Close()
	})
}

// clientRange names the clients from to to: "client 3" or "clients 3 to 5".
func clientRange(from, to int) string {
	if from == to {
		return fmt.Sprintf("client %d", from)
	}
	return fmt.Sprintf("clients %d to %d", from, to)
}

// refused says how a dial failed: "connection refused", or the error.
func refused(err error) string {
	switch {
	case err == nil:
		return "connected (want connection refused)"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	}
	return err.Error()
}

// next receives from ch, or returns ctx.Err() if ctx is done first.
func next[T any](ctx context.Context, ch <-chan T) (T, error) {
	select {
	case v := <-ch: // it came
		return v, nil
	case <-ctx.Done(): // Ctrl-C
		var zero T
		return zero, ctx.Err()
	}
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
