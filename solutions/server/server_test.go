package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childtest"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike, and they run under the race detector (go
// run ./cmd/workbook check server adds -race).
//
// Most tests run inside synctest.Test, on connections made with net.Pipe:
// time is fake, so "C got every line at once, while A did not read" is
// exact (no time passed), and a goroutine left blocked for good fails the
// test. A net.Pipe has no buffer: a Write waits until the other side
// reads, so a client that does not read blocks the first Write to it, as
// a socket would once its buffers are full. One test runs on real
// loopback sockets.
//
// A goroutine blocked on a sync.Mutex is not durably blocked: a lock that
// is never released would hang a bubble for good, with fake time stopped.
// So every bubble runs inside hangcheck.Within, which fails the test
// after a few seconds of real time instead.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestNewPanicsBelowOne checks that a queue that could hold no line is
// refused.
func TestNewPanicsBelowOne(t *testing.T) {
	for _, queue := range []int{0, -1} {
		assert.PanicsWithValue(t, "server: queue must be at least 1",
			func() { New(queue) }, "New(%d)", queue)
	}
}

// TestBroadcast checks that a line reaches every other client, whole and
// at once, and never its sender.
func TestBroadcast(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(4)
		defer closeServer(t, s)
		a, b, c := join(t, s, "A", true), join(t, s, "B", true), join(t, s, "C", true)
		defer leaveAll(a, b, c)

		start := time.Now()
		a.say(t, "hello")
		b.expect(t, "hello")
		c.expect(t, "hello")
		b.say(t, "one")
		b.say(t, "two")
		a.expect(t, "one", "two")
		c.expect(t, "one", "two")
		synctest.Wait()
		a.expectNothing(t, "A sent hello")
		b.expectNothing(t, "B sent one and two")
		assert.Zero(t, time.Since(start), "the lines took time to arrive")
	})
}

// TestLinesAreWhole checks that the server relays lines, not the pieces
// a Read returns: A sends "hel", then B sends a whole line, then A ends
// its line. C must get B's line, then A's, each whole.
func TestLinesAreWhole(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(4)
		defer closeServer(t, s)
		a, b, c := join(t, s, "A", true), join(t, s, "B", true), join(t, s, "C", true)
		defer leaveAll(a, b, c)

		a.write(t, "hel")
		synctest.Wait()
		b.say(t, "world")
		synctest.Wait()
		a.write(t, "lo\n")
		c.expect(t, "world", "hello")
		b.expect(t, "hello")
		a.expect(t, "world")
	})
}

// TestSlowClientDoesNotStallOthers has A, which never reads, B, which
// sends 20 lines, and C, which reads them. C must get each line at once:
// the server never waits for A. With a queue of 4, A may fall 5 lines
// behind (4 waiting, 1 being written) and is still connected; the 6th
// line disconnects it.
func TestSlowClientDoesNotStallOthers(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		const queue = 4
		s := New(queue)
		defer closeServer(t, s)
		a := join(t, s, "A", false) // never reads
		b, c := join(t, s, "B", true), join(t, s, "C", true)
		defer leaveAll(a, b, c)

		start := time.Now()
		for i := 1; i <= 20; i++ {
			line := fmt.Sprintf("line %d", i)
			b.say(t, line)
			c.expect(t, line)
			synctest.Wait()
			switch i {
			case queue + 1:
				require.False(t, a.serverClosed(), "A was disconnected after"+
					" %d lines; with a queue of %d, it may fall %d lines behind"+
					" (%d waiting, 1 being written) and stay connected",
					i, queue, queue+1, queue)
			case queue + 2:
				require.True(t, a.serverClosed(), "A, which never reads, is still"+
					" connected after %d lines with a queue of %d: its queue must be"+
					" bounded, and a line that finds it full must disconnect A",
					i, queue)
			}
		}
		assert.Zero(t, time.Since(start), "C waited for its lines while A"+
			" did not read; the others must never wait for a slow client")
		b.expectNothing(t, "B only sent")
	})
}

// TestClientLeaving checks that a client that leaves is removed: the
// server closes its connection, and the goroutines it ran for it end.
// Then the others go on talking, well past the queue's size, as if it had
// never been there. It runs in a child process: a line sent to a client
// that is gone can crash the server (send on closed channel).
func TestClientLeaving(t *testing.T) {
	childtest.Run(t, func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			const queue = 2
			s := New(queue)
			defer closeServer(t, s)
			a, c := join(t, s, "A", true), join(t, s, "C", true)
			defer leaveAll(a, c)
			synctest.Wait()
			before := serverGoroutines()

			b := join(t, s, "B", true)
			defer b.leave()
			a.say(t, "hi B")
			b.expect(t, "hi B")
			c.expect(t, "hi B")
			b.leave()
			synctest.Wait()
			assert.True(t, b.serverClosed(),
				"B left, and the server has not closed its connection")
			if after := serverGoroutines(); len(after) != len(before) {
				t.Errorf("%d goroutines run server.go's code after B joined"+
					" and left, and %d before B joined: every goroutine"+
					" started for B must end when B leaves. They are:\n%s",
					len(after), len(before), strings.Join(after, "\n\n"))
			}

			for i := range 3 * (queue + 2) {
				line := fmt.Sprintf("after B left %d", i)
				a.say(t, line)
				c.expect(t, line)
			}
		})
	})
}

// TestManyClientsAtOnce has 20 clients join at once, then send 20 lines
// each at once, while 10 of them leave. Every client must get every line
// the others sent while it was there, each sender's lines in order. It
// runs in a child process: two goroutines that write a map at once can
// crash it (concurrent map writes), and -race reports the data race.
func TestManyClientsAtOnce(t *testing.T) {
	childtest.Run(t, func(t *testing.T) {
		inBubble(t, func(t *testing.T) {
			const n, lines = 20, 20
			s := New(n * lines) // room for everything: nobody is dropped
			defer closeServer(t, s)
			peers := make([]*peer, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				peers[i] = newPeer(fmt.Sprint(i), true)
				wg.Go(func() { errs[i] = s.Join(peers[i].server) })
			}
			wg.Wait()
			defer leaveAll(peers...)
			require.NoError(t, errors.Join(errs...), "Join")

			for i, p := range peers {
				wg.Go(func() {
					for j := range lines {
						if !p.say(t, fmt.Sprintf("%d says %d", i, j)) {
							return
						}
					}
				})
			}
			wg.Wait()
			for i, p := range peers {
				var want []string
				for k := range n {
					if k == i {
						continue
					}
					for j := range lines {
						want = append(want, fmt.Sprintf("%d says %d", k, j))
					}
				}
				got := p.collect(t, len(want))
				assert.ElementsMatch(t, want, got, "what client %d got", i)
				assert.True(t, inOrder(got), "client %d got a sender's lines"+
					" out of order: %q", i, got)
			}

			// Half of them leave while the other half talk.
			for i, p := range peers {
				if i%2 == 0 {
					wg.Go(p.leave)
					continue
				}
				wg.Go(func() { p.say(t, fmt.Sprintf("%d says bye", i)) })
			}
			wg.Wait()
			for i, p := range peers {
				if i%2 == 1 {
					assert.Len(t, p.collect(t, n/2-1), n/2-1,
						"byes that client %d got from the other stayers", i)
				}
			}
		})
	})
}

// TestServeJoinsEveryConnection checks Serve: every connection it
// accepts joins, and a failing Accept ends Serve with its error, with the
// listener closed.
func TestServeJoinsEveryConnection(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(4)
		defer closeServer(t, s)
		l := newPipeListener()
		served := serve(s, l)
		a, b, c := l.connect(t, "A"), l.connect(t, "B"), l.connect(t, "C")
		defer leaveAll(a, b, c)
		synctest.Wait()
		a.say(t, "hello")
		b.expect(t, "hello")
		c.expect(t, "hello")

		l.fail(errBoom)
		err := returned(t, served, "Serve, after its Accept failed")
		assert.ErrorIs(t, err, errBoom, "Serve's error when Accept fails")
		assert.True(t, l.isClosed(), "Serve returned on an Accept error"+
			" without closing its listener")
	})
}

// TestCloseDisconnectsEveryClient checks Close: it closes the listener,
// so that Serve returns ErrClosed; it disconnects every client; and when
// it returns, no goroutine of the server is left.
func TestCloseDisconnectsEveryClient(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(4)
		l := newPipeListener()
		served := serve(s, l)
		a, b, c := l.connect(t, "A"), l.connect(t, "B"), l.connect(t, "C")
		defer leaveAll(a, b, c)
		defer l.Close() // for a Close that forgets it, so that Serve ends
		synctest.Wait()
		a.say(t, "hello")
		b.expect(t, "hello")
		c.expect(t, "hello")

		err := returned(t, call(s.Close), "Close, with 3 clients connected,")
		require.NoError(t, err, "Close's error")
		for _, p := range []*peer{a, b, c} {
			assert.True(t, p.serverClosed(), "client %s's connection is still"+
				" open after Close returned", p.name)
		}
		err = returned(t, served, "Serve, after Close,")
		assert.ErrorIs(t, err, ErrClosed, "Serve's error after Close")
		assert.True(t, l.isClosed(), "the listener is still open after Close")
		for _, p := range []*peer{a, b, c} {
			p.expectEOF(t)
		}
		synctest.Wait()
		if left := serverGoroutines(); len(left) > 0 {
			t.Errorf("%d goroutines still run server.go's code after Close"+
				" returned; want none:\n%s", len(left), strings.Join(left, "\n\n"))
		}
	})
}

// TestCloseWaitsForEverything checks that Close returns only once
// everything the server started has finished: the one client's
// connection takes 1s to close, so Close must return at 1s, not at once.
func TestCloseWaitsForEverything(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(4)
		p := newPeer("S", true)
		p.server.closeTakes = time.Second
		defer p.leave()
		require.NoError(t, returned(t, call(func() error {
			return s.Join(p.server)
		}), "Join"), "Join")
		synctest.Wait()

		start := time.Now()
		err := returned(t, call(s.Close), "Close")
		require.NoError(t, err, "Close's error")
		assert.Equal(t, time.Second, time.Since(start), "when Close returned;"+
			" the client's connection takes 1s to close, and Close must wait"+
			" until everything the server started has finished")
		assert.True(t, p.serverClosed(), "the client's connection was still"+
			" being closed when Close returned")
	})
}

// TestAfterClose checks that a closed server refuses new work: Join
// closes the connection and returns ErrClosed, Serve closes the listener
// and returns ErrClosed, and Close again returns nil.
func TestAfterClose(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		s := New(1)
		require.NoError(t, returned(t, call(s.Close), "Close"))
		p := newPeer("late", false)
		defer p.leave()
		err := returned(t, call(func() error { return s.Join(p.server) }),
			"Join on a closed server")
		assert.ErrorIs(t, err, ErrClosed, "Join on a closed server")
		assert.True(t, p.serverClosed(), "Join on a closed server left the"+
			" connection open")
		l := newPipeListener()
		err = returned(t, call(func() error { return s.Serve(l) }),
			"Serve on a closed server")
		assert.ErrorIs(t, err, ErrClosed, "Serve on a closed server")
		assert.True(t, l.isClosed(), "Serve on a closed server left the"+
			" listener open")
		assert.NoError(t, returned(t, call(s.Close), "a second Close"))
	})
}

// TestBroadcastOverLoopback runs the server on real TCP sockets on
// 127.0.0.1, outside any bubble: lines go around, a client that leaves
// is removed, Close closes every socket, Serve returns ErrClosed, and no
// goroutine is left. Real time bounds each wait, only to catch a hang.
func TestBroadcastOverLoopback(t *testing.T) {
	s := New(8)
	closed := false // Close has been called
	defer func() {
		if closed {
			return
		}
		select {
		case <-call(s.Close):
		case <-time.After(hangcheck.Bound): // a hang, only
			t.Errorf("Close did not return within %v", hangcheck.Bound)
		}
	}()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var peers []*peer
	for _, name := range []string{"A", "B", "C"} {
		conn, err := net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		sc, err := l.Accept()
		require.NoError(t, err)
		p := startPeer(name, conn, &watchedConn{Conn: sc, closed: make(chan struct{})}, true)
		defer p.leave()
		hangcheck.Within(t, "Join", func() { err = s.Join(p.server) })
		require.NoError(t, err, "Join")
		peers = append(peers, p)
	}
	a, b, c := peers[0], peers[1], peers[2]
	a.say(t, "hello")
	b.expect(t, "hello")
	c.expect(t, "hello")
	b.leave()
	c.say(t, "B has left")
	a.expect(t, "B has left")

	// Serve on a second listener, then Close: Serve returns ErrClosed.
	l2, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l2.Close()
	served := serve(s, l2)
	d, err := net.Dial("tcp", l2.Addr().String())
	require.NoError(t, err)
	defer d.Close()
	closed = true
	hangcheck.Within(t, "Close", func() { err = s.Close() })
	require.NoError(t, err, "Close")
	a.expectEOF(t)
	c.expectEOF(t)
	select {
	case err := <-served:
		assert.ErrorIs(t, err, ErrClosed, "Serve's error after Close")
	case <-time.After(hangcheck.Bound):
		t.Fatal("Serve has not returned after Close: does Close close the" +
			" listeners that Serve accepts on?")
	}
	_, err = net.Dial("tcp", l2.Addr().String())
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "a dial after Close")
	for _, p := range peers {
		p.leave()
	}
	goleak.VerifyNone(t)
}

// inBubble runs fn in a synctest bubble, bounded in real time by
// hangcheck: a lock never released would otherwise hang the bubble, with
// fake time stopped, for good.
//
// When the bubble ends in a deadlock (every goroutine in it blocked for
// good, or some still blocked after fn returned), synctest panics, which
// would end the whole test binary. We turn that into a failure of the
// test instead, showing where the server's goroutines are stuck; they
// stay stuck, and goleak reports them once the tests are done.
func inBubble(t *testing.T, fn func(t *testing.T)) {
	t.Helper()
	hangcheck.Within(t, t.Name()+" (in a synctest bubble, where fake time"+
		" cannot pass while a goroutine waits for a sync.Mutex: is a lock"+
		" held while waiting, or never released?)", func() {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			msg := fmt.Sprint(r)
			if !strings.HasPrefix(msg, "deadlock: ") {
				panic(r) // not synctest's: a real crash
			}
			t.Errorf("synctest: %s: goroutines that nothing will ever wake."+
				" Those running server.go's code:\n%s", msg,
				strings.Join(serverGoroutines(), "\n\n"))
		}()
		synctest.Test(t, fn)
	})
}

// wait is how long, in fake time, the tests wait for something that
// should happen at once, before they say it did not. Inside a bubble it
// passes at once when nothing else can happen; on real sockets it only
// bounds a hang.
const wait = hangcheck.Bound

// A peer is a client, as the tests drive it: the client's end of a
// connection, and the server's end, watched.
type peer struct {
	name   string
	conn   net.Conn      // the client's end
	server *watchedConn  // the server's end, as given to Join
	lines  chan string   // the lines read so far, in order; nil if the peer does not read
	done   chan struct{} // closed when the reader has seen the connection end
	once   sync.Once
}

// newPeer makes a connection with net.Pipe; if reads, a goroutine reads
// what the server sends. The caller must call leave.
func newPeer(name string, reads bool) *peer {
	client, server := net.Pipe()
	return startPeer(name, client, &watchedConn{Conn: server, closed: make(chan struct{})}, reads)
}

// maxLines is more lines than any test sends to one peer.
const maxLines = 1000

// startPeer starts the reader of a peer, if reads.
func startPeer(name string, client net.Conn, server *watchedConn, reads bool) *peer {
	p := &peer{name: name, conn: client, server: server, done: make(chan struct{})}
	if !reads {
		close(p.done)
		return p
	}
	p.lines = make(chan string, maxLines) // room for every line: never waits
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(client)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	return p
}

// join makes a peer and joins it to s.
func join(t *testing.T, s *Server, name string, reads bool) *peer {
	t.Helper()
	p := newPeer(name, reads)
	if err := s.Join(p.server); err != nil {
		p.leave()
		t.Fatalf("Join(%s): %v", name, err)
	}
	return p
}

// say sends line, with a newline, from p, and reports whether it could.
func (p *peer) say(t *testing.T, line string) bool {
	t.Helper()
	return p.write(t, line+"\n")
}

// write sends s from p as it is. A Write on a net.Pipe waits until the
// other side reads: if the server does not read p's connection, the
// Write gives up after wait.
func (p *peer) write(t *testing.T, s string) bool {
	t.Helper()
	p.conn.SetWriteDeadline(time.Now().Add(wait))
	defer p.conn.SetWriteDeadline(time.Time{})
	_, err := io.WriteString(p.conn, s)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Errorf("client %s could not send %q in %v: the server is not"+
			" reading its connection", p.name, s, wait)
	case err != nil:
		t.Errorf("client %s could not send %q: %v", p.name, s, err)
	}
	return err == nil
}

// expect checks that the next lines p receives are want, in order.
func (p *peer) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-p.lines:
			require.Equal(t, w, got, "the line client %s received", p.name)
		case <-p.done:
			// The reader sends every line before it closes done.
			select {
			case got := <-p.lines:
				require.Equal(t, w, got, "the line client %s received", p.name)
			default:
				t.Fatalf("client %s's connection ended; want the line %q",
					p.name, w)
			}
		case <-time.After(wait):
			t.Fatalf("client %s has not received %q after %v: the server"+
				" never sent it, or is stuck", p.name, w, wait)
		}
	}
}

// expectNothing checks that p has received no line.
func (p *peer) expectNothing(t *testing.T, why string) {
	t.Helper()
	select {
	case got := <-p.lines:
		t.Errorf("client %s received %q; want nothing (%s): a client must"+
			" never get its own lines back", p.name, got, why)
	default:
	}
}

// collect receives n lines.
func (p *peer) collect(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for range n {
		select {
		case line := <-p.lines:
			got = append(got, line)
		case <-time.After(wait):
			t.Errorf("client %s received %d lines; want %d", p.name, len(got), n)
			return got
		}
	}
	return got
}

// expectEOF checks that p's connection ends, with no more lines.
func (p *peer) expectEOF(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(wait):
		t.Fatalf("client %s's connection is still open; want it closed"+
			" by the server", p.name)
	}
}

// serverClosed reports whether the server has closed its end of p.
func (p *peer) serverClosed() bool {
	select {
	case <-p.server.closed:
		return true
	default:
		return false
	}
}

// leave closes the client's end and waits for the reader. It may be
// called more than once.
func (p *peer) leave() {
	p.once.Do(func() {
		p.conn.Close()
		<-p.done
	})
}

// leaveAll makes every peer leave.
func leaveAll(peers ...*peer) {
	for _, p := range peers {
		p.leave()
	}
}

// closeServer closes s at the end of a test.
func closeServer(t *testing.T, s *Server) {
	t.Helper()
	assert.NoError(t, returned(t, call(s.Close), "Close"), "Close's error")
}

// call runs fn in a goroutine of its own and returns its result, which
// arrives when fn returns.
func call(fn func() error) <-chan error {
	ch := make(chan error, 1) // fn's result; never waits to send
	go func() { ch <- fn() }()
	return ch
}

// serve runs s.Serve(l) in a goroutine of its own.
func serve(s *Server, l net.Listener) <-chan error {
	return call(func() error { return s.Serve(l) })
}

// returned waits for a call's result, and fails the test if it has not
// come after wait.
func returned(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(wait):
		t.Fatalf("%s has not returned after %v", what, wait)
		return nil
	}
}

// serverGoroutines returns the stacks of the goroutines that are running
// code of server.go, the file under test.
func serverGoroutines() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		// The frames, without the line that says who created it.
		frames, _, _ := strings.Cut(g, "\ncreated by ")
		if strings.Contains(frames, "/server/server.go:") {
			out = append(out, g)
		}
	}
	return out
}

// inOrder reports whether the lines "i says j" of each sender i come with
// j in increasing order.
func inOrder(lines []string) bool {
	last := map[string]int{}
	for _, l := range lines {
		var who string
		var j int
		if _, err := fmt.Sscanf(l, "%s says %d", &who, &j); err != nil {
			return false
		}
		if prev, ok := last[who]; ok && j <= prev {
			return false
		}
		last[who] = j
	}
	return true
}

// A watchedConn is the server's end of a connection: it records when it
// is first closed, and can make that Close take a while, as closing a
// socket with a lingering send can.
type watchedConn struct {
	net.Conn
	closeTakes time.Duration // how long the first Close takes
	closing    atomic.Bool   // set by the first Close
	closed     chan struct{} // closed once the first Close is over
}

func (c *watchedConn) Close() error {
	// The first Close waits before it closes the pipe, so that the other
	// goroutines stay blocked on it, in Read or Write, meanwhile; a later
	// Close returns at once, as on a socket.
	if c.closing.CompareAndSwap(false, true) {
		time.Sleep(c.closeTakes)
		defer close(c.closed)
	}
	return c.Conn.Close()
}

// errBoom is the error a failing pipeListener's Accept returns.
var errBoom = errors.New("accept: boom")

// A pipeListener is a net.Listener whose connections are net.Pipes, made
// by connect.
type pipeListener struct {
	conns chan net.Conn // the server's ends, waiting for Accept
	done  chan struct{} // closed by Close
	fails chan error    // an error for Accept to return
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn, maxLines),
		done: make(chan struct{}), fails: make(chan error, 1)}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns: // a client connected
		return c, nil
	case err := <-l.fails: // the test makes Accept fail
		return nil, err
	case <-l.done: // closed
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7000}
}

// isClosed reports whether l has been closed.
func (l *pipeListener) isClosed() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// fail makes the next Accept fail with err.
func (l *pipeListener) fail(err error) { l.fails <- err }

// connect makes a reading peer whose server end waits for Accept.
func (l *pipeListener) connect(t *testing.T, name string) *peer {
	t.Helper()
	p := newPeer(name, true)
	l.conns <- p.server
	return p
}
