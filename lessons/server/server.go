package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// maxLine is the longest request line the line server reads, newline
// excluded. A longer line ends its connection: without a bound, one client
// could make the server buffer gigabytes.
const maxLine = 64 << 10

// errServerClosed is what lineServer.serve returns once shutdown has
// begun: the Accept loop ended because we asked it to, not on an error.
var errServerClosed = errors.New("server closed")

// A lineServer serves a line protocol over any net.Listener: it reads one
// request line at a time from each connection and writes one answer line,
// in a goroutine per connection. It is the by-hand version of what
// http.Server does. Make one with newLineServer; its zero value is not
// usable. Its methods are safe for concurrent use.
type lineServer struct {
	answer func(ctx context.Context, line string) string // answers a request
	idle   time.Duration                                 // read deadline for the next request; 0 for none
	write  time.Duration                                 // write deadline for an answer; 0 for none
	sem    chan struct{}                                 // one token per open connection; nil for no limit
	limit  int                                           // the capacity of sem, for the busy message

	// ended, if not nil, is called with a connection's number and why it
	// ended, after its connection is closed and its token released.
	ended func(id int, why string)
	// onShutdown, if not nil, is called once, when the first shutdown has
	// closed the listeners and the idle connections: http.Server's
	// RegisterOnShutdown.
	onShutdown func()

	mu        sync.Mutex // guards the fields below
	shutting  bool       // shutdown has begun: accept no more, keep no idle conn
	listeners map[net.Listener]bool
	conns     map[*conn]bool
	accepted  int // connections accepted so far, to number them

	wg sync.WaitGroup // one count per connection goroutine
}

// A conn is one connection of a lineServer.
type conn struct {
	id     int
	nc     net.Conn
	cancel context.CancelFunc // cancels the ctx of its requests

	// The fields below are guarded by the server's mu.
	busy   bool   // a request is being answered: not idle
	closed string // why the server closed nc from outside, or ""
}

// newLineServer returns a server that answers each request line with
// answer, waits at most idle for a request and at most write for an
// answer to be taken (0 for no deadline), and holds at most limit
// connections at once (0 for no limit).
func newLineServer(answer func(ctx context.Context, line string) string,
	idle, write time.Duration, limit int) *lineServer {
	s := &lineServer{answer: answer, idle: idle, write: write, limit: limit,
		listeners: map[net.Listener]bool{}, conns: map[*conn]bool{}}
	if limit > 0 {
		s.sem = make(chan struct{}, limit) // one slot per connection allowed
	}
	return s
}

// serve accepts connections on l, and serves each in a goroutine of its
// own, until shutdown is called; then it returns errServerClosed. It
// returns any other error from Accept as it is. The goroutines it starts
// are joined by shutdown, not by serve.
func (s *lineServer) serve(l net.Listener) error {
	s.mu.Lock()
	if s.shutting {
		s.mu.Unlock()
		l.Close()
		return errServerClosed
	}
	s.listeners[l] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	// The Accept loop: each connection gets a goroutine, and Accept is
	// called again at once. A goroutine blocked in Read costs a few KiB
	// and no thread: the runtime's network poller (epoll on Linux) wakes
	// it when its socket has data, which is what Twisted's reactor does
	// by hand with callbacks.
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.isShutting() {
				return errServerClosed
			}
			return err
		}
		ctx, c, ok := s.track(nc)
		if !ok {
			continue // shutdown began while we accepted: nc is closed
		}
		// We take a token before we start serving. Note that over the
		// limit we still accept, to tell the client: leaving it in the
		// listen queue would make it wait, connected but unanswered.
		if !s.acquire() {
			go func() {
				defer s.wg.Done()
				s.reject(c)
			}()
			continue
		}
		go func() {
			defer s.wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

// track numbers nc, registers it, so that shutdown can find it, and counts
// its goroutine-to-be in s.wg. It returns the ctx of its requests, which
// shutdown cancels when its deadline passes. If shutdown has begun, it
// closes nc and reports false.
func (s *lineServer) track(nc net.Conn) (context.Context, *conn, bool) {
	// Note that we count the goroutine here, under the lock, and not in
	// a wg.Go after it: shutdown sets s.shutting under the same lock
	// before its wg.Wait, so every Add happens before that Wait, as
	// sync.WaitGroup requires.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shutting {
		nc.Close()
		return nil, nil, false
	}
	s.accepted++
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{id: s.accepted, nc: nc, cancel: cancel}
	s.conns[c] = true
	s.wg.Add(1)
	return ctx, c, true
}

// acquire takes a token for a connection, without waiting, and reports
// whether it got one.
func (s *lineServer) acquire() bool {
	if s.sem == nil {
		return true
	}
	select {
	case s.sem <- struct{}{}: // a slot was free: it is this connection's
		return true
	default: // every slot is taken
		return false
	}
}

// release gives back the token of a connection that acquire admitted.
func (s *lineServer) release() {
	if s.sem != nil {
		<-s.sem
	}
}

// reject tells a client over the limit that the server is busy, and
// closes its connection.
func (s *lineServer) reject(c *conn) {
	// Note that this write needs a deadline too: a client over the limit
	// that does not read would hold its goroutine forever.
	why := "over the limit: told busy"
	write := cmp.Or(s.write, time.Second)
	s.deadline(c.nc.SetWriteDeadline, write)
	_, err := fmt.Fprintf(c.nc, "ERR busy: at most %d connections at once,"+
		" try again later\n", s.limit)
	if err != nil {
		why = "over the limit: " + s.reason(c, err, "writing", write)
	}
	s.finish(c, false, why)
}

// serveConn answers c's requests one at a time until the client leaves,
// a deadline passes, or shutdown closes c.
//
// Its requests get ctx, which shutdown cancels when its deadline passes.
// Note that the ctx is an argument, never a field: the conn keeps only
// the cancel.
func (s *lineServer) serveConn(ctx context.Context, c *conn) {
	why := "client left"
	defer func() { s.finish(c, true, why) }()

	sc := bufio.NewScanner(c.nc)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	for {
		// We set the read deadline before each request: a client that
		// sends nothing, or half a line, for s.idle is dropped. Without
		// it, the goroutine and its buffers would wait forever.
		s.deadline(c.nc.SetReadDeadline, s.idle)
		more := sc.Scan()
		// Note that after a read error the Scanner still hands out the
		// partial line it holds, as it does at EOF: we look at Err
		// first, and drop that half request.
		if err := sc.Err(); err != nil {
			why = s.reason(c, err, "reading", s.idle)
			return
		}
		if !more { // EOF: the client closed its side
			if by := c.closedBy(s); by != "" {
				why = by
			}
			return
		}
		if !s.setBusy(c, true) {
			why = c.closedBy(s) // shutdown closed c as we read the line
			return
		}
		answer := s.answer(ctx, sc.Text())

		// The write deadline drops a client that sends requests but does
		// not read the answers: once the socket's buffers are full, the
		// Write would wait forever.
		s.deadline(c.nc.SetWriteDeadline, s.write)
		if _, err := io.WriteString(c.nc, answer+"\n"); err != nil {
			why = s.reason(c, err, "writing", s.write)
			return
		}
		if !s.setBusy(c, false) {
			why = "shut down after its request"
			return
		}
	}
}

// deadline sets a deadline d from now with set, or none if d is 0.
func (s *lineServer) deadline(set func(time.Time) error, d time.Duration) {
	var t time.Time // the zero time: no deadline
	if d > 0 {
		t = time.Now().Add(d)
	}
	_ = set(t) // fails only on a closed conn, which the Read or Write reports
}

// reason says why an error while doing ("reading" or "writing") with a
// deadline of d ended c.
func (s *lineServer) reason(c *conn, err error, doing string,
	d time.Duration) string {
	switch {
	case c.closedBy(s) != "":
		return c.closedBy(s)
	case errors.Is(err, os.ErrDeadlineExceeded) && doing == "reading":
		return fmt.Sprintf("idle for %v (read deadline)", d)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("not reading for %v (write deadline)", d)
	case errors.Is(err, bufio.ErrTooLong):
		return fmt.Sprintf("line longer than %d bytes", maxLine)
	}
	return fmt.Sprintf("error %s: %v", doing, err)
}

// closedBy returns why the server closed c from outside, or "".
func (c *conn) closedBy(s *lineServer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return c.closed
}

// setBusy marks c busy (answering a request) or idle. It reports false if
// c must end instead: shutdown closed it while it read a request, or
// shutdown has begun and c has finished its request.
func (s *lineServer) setBusy(c *conn, busy bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed != "" || (!busy && s.shutting) {
		return false
	}
	c.busy = busy
	return true
}

// finish closes c, releases its token if it had one, forgets it and
// reports why it ended.
func (s *lineServer) finish(c *conn, hadToken bool, why string) {
	c.nc.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.cancel()
	if hadToken {
		s.release()
	}
	if s.ended != nil {
		s.ended(c.id, why)
	}
}

// isShutting reports whether shutdown has begun.
func (s *lineServer) isShutting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutting
}

// shutdown stops the server gracefully: it closes the listeners, so that
// serve returns errServerClosed, closes the idle connections, and lets the
// requests in progress finish and their answers go out. If ctx is done
// first, it cancels the requests left and closes their connections, and
// returns ctx.Err(). Either way, every goroutine the server started has
// returned when shutdown returns. Calling it again waits again.
func (s *lineServer) shutdown(ctx context.Context) error {
	// We close what is idle at once. A connection busy with a request
	// closes itself after its answer (setBusy reports false).
	s.mu.Lock()
	first := !s.shutting
	s.shutting = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		if !c.busy {
			s.closeConn(c, "closed at once (idle)")
		}
	}
	s.mu.Unlock()
	if first && s.onShutdown != nil {
		s.onShutdown()
	}

	// We wait for the connection goroutines in a goroutine of our own, so
	// that we can stop waiting when ctx is done. It closes done when they
	// have all returned: the join point for both of us.
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done: // every request finished in time
		return nil
	case <-ctx.Done(): // the deadline passed: cut off the rest
	}
	s.mu.Lock()
	for c := range s.conns {
		s.closeConn(c, "cut off at the shutdown deadline")
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// closeConn closes c from outside, with the reason its goroutine will
// report, and cancels its requests. The caller holds s.mu.
func (s *lineServer) closeConn(c *conn, why string) {
	if c.closed == "" {
		c.closed = why
	}
	// We close before we cancel: a request that sees its ctx done then
	// finds its connection closed, and cannot write a last answer.
	c.nc.Close()
	c.cancel()
}

// A store is the key-value map the line server serves: the state the
// connection goroutines share. Its methods are safe for concurrent use.
type store struct {
	mu      sync.Mutex               // guards data and changed
	data    map[string]string        // the values
	changed map[string]chan struct{} // closed when its key is set
}

// newStore returns an empty store.
func newStore() *store {
	return &store{data: map[string]string{}, changed: map[string]chan struct{}{}}
}

// do answers one request line: SET key value, GET key, or WAIT key, which
// waits until key has a value (or ctx is done). Answers start with OK or
// ERR.
func (st *store) do(ctx context.Context, line string) string {
	cmd, args, _ := strings.Cut(line, " ")
	switch key, value, _ := strings.Cut(args, " "); {
	case cmd == "SET" && key != "" && value != "":
		st.set(key, value)
		return "OK"
	case cmd == "GET" && key != "" && value == "":
		if v, ok := st.get(key); ok {
			return "OK " + v
		}
		return "ERR no such key: " + key
	case cmd == "WAIT" && key != "" && value == "":
		v, err := st.wait(ctx, key)
		if err != nil {
			return "ERR " + err.Error()
		}
		return "OK " + v
	}
	return fmt.Sprintf("ERR bad request %q: want SET key value, GET key or WAIT key", line)
}

// set sets key to value and wakes every wait for key.
func (st *store) set(key, value string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.data[key] = value
	if ch, ok := st.changed[key]; ok {
		close(ch)
		delete(st.changed, key)
	}
}

// get returns key's value, and whether it has one.
func (st *store) get(key string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	v, ok := st.data[key]
	return v, ok
}

// wait returns key's value as soon as it has one, or ctx.Err() if ctx is
// done first.
func (st *store) wait(ctx context.Context, key string) (string, error) {
	for {
		// We wait on a channel, never while holding the lock: set closes
		// the channel, which wakes every waiter at once.
		st.mu.Lock()
		v, ok := st.data[key]
		ch, waiting := st.changed[key]
		if !ok && !waiting {
			ch = make(chan struct{})
			st.changed[key] = ch
		}
		st.mu.Unlock()
		if ok {
			return v, nil
		}
		select {
		case <-ch: // key was set: read it again
		case <-ctx.Done(): // shutdown cut the request off
			return "", ctx.Err()
		}
	}
}
