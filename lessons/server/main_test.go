package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/lessonchild"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Most tests run the lesson, or its line server, on a pipeNet inside
// synctest.Test: time is fake, so deadlines and shutdowns are checked to
// the exact moment, and a goroutine left blocked fails the test. The
// Example and TestLoopbackLeavesNothingOpen run on real loopback sockets.

func TestMain(m *testing.M) {
	if lessonchild.IsChild() {
		main()     // exits 1 by itself on an error
		os.Exit(0) // under -race, exit status 66 if a race was reported
	}
	if dialerChild() || serveChild() {
		os.Exit(0) // the benchmarks' dialer or server, in bench_test.go
	}
	childcheck.VerifyTestMain(m)
}

// fast are flags that make a real run short: its deadlines are waited
// for in real time, and are long enough for the busiest machine.
var fast = []string{"-clients", "2", "-idle", "1s", "-work", "0",
	"-grace", "1s"}

// Example runs the lesson on real loopback sockets with no work and
// deadlines of a second, long enough that a busy machine cannot make a
// client miss one: about 3 s. Every line is always the
// same: each is printed once what it reports has happened.
func Example() {
	err := run(context.Background(), os.Stdout, fast)
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1. One goroutine per connection: a key-value server over TCP lines
	//   client 1: SET color blue -> OK
	//   client 2: GET color -> OK blue
	//   client 2: GET shape -> ERR no such key: shape
	//   clients 3 to 4: WAIT go: 2 requests in progress at once, each in its own goroutine
	//   client 1: SET go now -> OK
	//   clients 3 to 4: WAIT go -> OK now (2 of 2)
	//   4 connections, one goroutine each; 4 ended: client left
	//
	// 2. Deadlines: the server drops a client that stalls for 1s
	//   client 1 sends nothing: the server closed it; idle for 1s (read deadline)
	//   client 2 sends "GET col" and no newline: the server closed it; idle for 1s (read deadline)
	//   client 3 sends 1000 GET big and reads no answer: the server closed it; not reading for 1s (write deadline)
	//
	// 3. At most 2 connections at once: a semaphore of 2 tokens
	//   clients 1 to 2: GET color -> OK blue; every token is taken
	//   client 3: ERR busy: at most 2 connections at once, try again later; then the server closed it
	//   client 1 leaves (client left): its token is free again
	//   client 4: GET color -> OK blue
	//
	// 4. Graceful shutdown by hand, with a 1s deadline
	//   client 1 is idle; client 2's GET color is in progress (0s of work); client 3 waits in WAIT never
	//   shutdown: close the listener and the idle connections; let the requests in progress finish
	//   client 1 (idle): no answer; closed at once (idle)
	//   client 2 (GET color): OK blue; shut down after its request
	//   client 3 (WAIT never): no answer; cut off at the shutdown deadline
	//   shutdown returned context deadline exceeded; serve returned "server closed"; every connection goroutine has returned
	//   a new client: connection refused
	//
	// 5. The same with net/http: http.Server runs the Accept loop and a goroutine per connection
	//   GET /hello -> 200 OK: hello
	//   GET /wait, then the client gives up (context canceled): the handler's r.Context() says context canceled
	//   10 clients send 100 requests at once to GET /hit: the counter says 100
	//   GET /work in progress (0s of work); Shutdown with a 1s deadline
	//   GET /work -> 200 OK: done; Shutdown: <nil>; Serve: http: Server closed
	//   a new request: connection refused
}

// TestOutputMatchesREADME runs the lesson with its default flags on a
// pipeNet in fake time, and checks that it prints the README's "Expected
// output", line for line, and leaves no connection open.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		cfg, err := parseFlags(io.Discard, nil)
		require.NoError(t, err)
		netw := newPipeNet()
		var out bytes.Buffer
		require.NoError(t, demo(t.Context(), &out, cfg, netw))
		assert.Equal(t, readme.Lines(want), readme.Lines(out.String()))
		assert.Zero(t, netw.serverOpen.Load()+netw.clientOpen.Load(), netw)
	})
}

// TestLoopbackLeavesNothingOpen runs the lesson on real loopback sockets
// and checks that, when run returns, no goroutine is left and the process
// has as many sockets open as before.
func TestLoopbackLeavesNothingOpen(t *testing.T) {
	before := openSockets(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, fast))
	goleak.VerifyNone(t)
	assert.Equal(t, before, openSockets(t), "sockets open after run;"+
		" want as many as before")
}

// openSockets counts this process's open sockets: the file descriptors
// that /proc/self/fd shows as socket:[inode].
func openSockets(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("needs Linux /proc to count open sockets")
	}
	n := 0
	for _, e := range entries {
		// A descriptor may close between ReadDir and Readlink: skip it.
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n
}

// serveOnPipes serves srv on a new pipeNet, in a goroutine of its own,
// and returns the network, the server's address, and serve's result.
func serveOnPipes(t *testing.T, srv *lineServer) (*pipeNet, string, <-chan error) {
	t.Helper()
	netw := newPipeNet()
	ln, err := netw.listen()
	require.NoError(t, err)
	served := make(chan error, 1) // serve's result; never waits to send
	go func() { served <- srv.serve(ln) }()
	return netw, ln.Addr().String(), served
}

// stopServer shuts srv down at once and checks that serve returned
// errServerClosed.
func stopServer(t *testing.T, srv *lineServer, served <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = srv.shutdown(ctx)
	assert.ErrorIs(t, <-served, errServerClosed)
}

// endings records, with the moment of fake time, why each connection
// ended. Its methods are safe for concurrent use.
type endings struct {
	start time.Time
	mu    sync.Mutex // guards at and why
	at    map[int]time.Duration
	why   map[int]string
}

func newEndings() *endings {
	return &endings{start: time.Now(), at: map[int]time.Duration{},
		why: map[int]string{}}
}

func (e *endings) record(id int, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.at[id], e.why[id] = time.Since(e.start), why
}

// of returns when connection id ended and why, and whether it has.
func (e *endings) of(id int) (time.Duration, string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	why, ok := e.why[id]
	return e.at[id], why, ok
}

// TestGoroutinePerConnection holds 100 requests open at once: each
// connection has a goroutine of its own (and only one), and the 100
// requests and the SET that wakes them, each with 1s of work, are all
// answered after 1s: they work at the same time, not 101s in a row.
func TestGoroutinePerConnection(t *testing.T) {
	// We wait for the goroutines of the tests before to end, so that
	// the count below sees only ours.
	require.NoError(t, goleak.Find())
	synctest.Test(t, func(t *testing.T) {
		const n = 100
		st := newStore()
		answer := func(ctx context.Context, line string) string {
			if err := sleep(ctx, time.Second); err != nil {
				return "ERR " + err.Error()
			}
			return st.do(ctx, line)
		}
		srv := newLineServer(answer, 0, 0, 0)
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)
		synctest.Wait()
		before := runtime.NumGoroutine()
		start := time.Now()

		waiters := make([]*client, n)
		for i := range waiters {
			c, err := dial(t.Context(), netw, addr)
			require.NoError(t, err)
			defer c.close()
			require.NoError(t, c.send("WAIT go"))
			waiters[i] = c
		}
		synctest.Wait()
		assert.Equal(t, n, runtime.NumGoroutine()-before,
			"goroutines for %d connections, each with a request in progress", n)

		setter, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer setter.close()
		got, err := setter.do("SET go now")
		require.NoError(t, err)
		require.Equal(t, "OK", got)
		for i, c := range waiters {
			got, err := c.receive()
			require.NoError(t, err)
			require.Equal(t, "OK now", got, "client %d's WAIT", i)
		}
		assert.Equal(t, time.Second, time.Since(start),
			"100 WAITs and a SET, each with 1s of work, at once")
	})
}

// TestReadDeadlineDropsAnIdleClient checks the idle timeout to the exact
// moment: a client that sends nothing, or half a line, is dropped 1s
// after the server began waiting for its request; one that keeps asking
// every 900ms is not, until it stops.
func TestReadDeadlineDropsAnIdleClient(t *testing.T) {
	tests := []struct {
		name     string
		client   func(c *client) error // what the client does, from 0s
		wantDrop time.Duration
	}{
		{"sends nothing", func(*client) error { return nil }, time.Second},
		{"sends half a line at 500ms", func(c *client) error {
			time.Sleep(500 * time.Millisecond)
			_, err := io.WriteString(c.nc, "GET co")
			return err
		}, time.Second},
		{"asks every 900ms, 5 times", func(c *client) error {
			for range 5 {
				time.Sleep(900 * time.Millisecond)
				if _, err := c.do("GET color"); err != nil {
					return err
				}
			}
			return nil
		}, 4500*time.Millisecond + time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := newStore()
				st.set("color", "blue")
				srv := newLineServer(st.do, time.Second, time.Second, 0)
				ends := newEndings()
				srv.ended = ends.record
				netw, addr, served := serveOnPipes(t, srv)
				defer stopServer(t, srv, served)

				c, err := dial(t.Context(), netw, addr)
				require.NoError(t, err)
				defer c.close()
				require.NoError(t, tt.client(c))
				_, err = c.receive()
				assert.ErrorIs(t, err, io.EOF, "what the client reads once dropped")
				// The server records why it dropped the client after it
				// has closed the connection: we let it finish.
				synctest.Wait()
				at, why, ok := ends.of(1)
				require.True(t, ok, "the connection has not ended")
				assert.Equal(t, tt.wantDrop, at, "when the client was dropped")
				assert.Equal(t, "idle for 1s (read deadline)", why)
			})
		})
	}
}

// TestWriteDeadlineDropsAClientThatDoesNotRead checks that a client that
// asks and never reads the answer is dropped exactly when the write
// deadline passes, and that meanwhile another client is served at once.
func TestWriteDeadlineDropsAClientThatDoesNotRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStore()
		st.set("color", "blue")
		srv := newLineServer(st.do, 0, time.Second, 0)
		ends := newEndings()
		srv.ended = ends.record
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)

		deaf, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer deaf.close()
		require.NoError(t, deaf.send("GET color"))
		synctest.Wait()

		other, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer other.close()
		got, err := other.do("GET color")
		require.NoError(t, err)
		assert.Equal(t, "OK blue", got)
		assert.Zero(t, time.Since(ends.start),
			"another client waited for the one that does not read")

		time.Sleep(time.Second)
		synctest.Wait()
		at, why, ok := ends.of(1)
		require.True(t, ok, "the client that does not read is still connected after 1s")
		assert.Equal(t, time.Second, at)
		assert.Equal(t, "not reading for 1s (write deadline)", why)
		_, _, ok = ends.of(2)
		assert.False(t, ok, "the client that reads was dropped")
	})
}

// TestLimit checks the connection limit: with a limit of 2, a third
// client is told it is busy and closed, and the server never serves more
// than 2 at once; when one leaves, the next client is served.
func TestLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStore()
		srv := newLineServer(st.do, 0, 0, 2)
		ends := newEndings()
		srv.ended = ends.record
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)

		// Two clients are served; they hold both tokens.
		var holders []*client
		for range 2 {
			c, err := dial(t.Context(), netw, addr)
			require.NoError(t, err)
			defer c.close()
			_, err = c.do("SET color blue")
			require.NoError(t, err)
			holders = append(holders, c)
		}

		over, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer over.close()
		got, err := over.receive()
		require.NoError(t, err)
		assert.Equal(t, "ERR busy: at most 2 connections at once, try again later", got)
		_, err = over.receive()
		assert.ErrorIs(t, err, io.EOF, "after the busy line, the connection ends")
		synctest.Wait()
		_, why, _ := ends.of(3)
		assert.Equal(t, "over the limit: told busy", why)

		// One leaves; the next client is served.
		holders[0].close()
		synctest.Wait()
		late, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer late.close()
		got, err = late.do("GET color")
		require.NoError(t, err)
		assert.Equal(t, "OK blue", got, "the client after one left")
		got, err = holders[1].do("GET color")
		require.NoError(t, err)
		assert.Equal(t, "OK blue", got, "the client that stayed")
	})
}

// TestLeavingMidRequestIsNoticedLate checks a pitfall of the server
// written by hand: its goroutine does not read while it answers, so a
// client that leaves during a WAIT holds its goroutine (and its token)
// until the WAIT ends and the answer cannot be written. (net/http reads
// in the background, and cancels r.Context() at once.)
func TestLeavingMidRequestIsNoticedLate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStore()
		srv := newLineServer(st.do, 0, 0, 1)
		ends := newEndings()
		srv.ended = ends.record
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)

		c, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		require.NoError(t, c.send("WAIT go"))
		c.close()
		time.Sleep(time.Hour)
		synctest.Wait()
		_, _, ok := ends.of(1)
		assert.False(t, ok, "the server noticed at once; want it not to")

		st.set("go", "now")
		synctest.Wait()
		at, why, ok := ends.of(1)
		require.True(t, ok, "the connection has not ended after the WAIT")
		assert.Equal(t, time.Hour, at)
		assert.Equal(t, "error writing: io: read/write on closed pipe", why)
	})
}

// TestClientOverTheLimitThatDoesNotRead checks that the busy message has
// a deadline too: a client over the limit that does not read is dropped
// after 1s, and its goroutine ends.
func TestClientOverTheLimitThatDoesNotRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newLineServer(newStore().do, 0, 0, 1)
		ends := newEndings()
		srv.ended = ends.record
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)
		holder, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer holder.close()
		_, err = holder.do("GET x")
		require.NoError(t, err)

		deaf, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer deaf.close()
		time.Sleep(time.Second)
		synctest.Wait()
		at, why, ok := ends.of(2)
		require.True(t, ok, "the client over the limit is still connected")
		assert.Equal(t, time.Second, at)
		assert.Equal(t, "over the limit: not reading for 1s (write deadline)", why)
	})
}

// TestShutdown checks the graceful shutdown to the exact moment. With a
// request of 1s in progress, an idle client, and a WAIT that nothing will
// end: the idle client is closed at once, the request is answered at 1s
// and its connection closed, the WAIT is cut off at the deadline, 3s, and
// shutdown returns then, with every goroutine and connection gone. With
// no WAIT, shutdown returns nil at 1s, as soon as the request is done.
// With a deadline of 500ms, the request is cut off too, and its ctx is
// cancelled.
func TestShutdown(t *testing.T) {
	tests := []struct {
		name      string
		grace     time.Duration
		withWait  bool
		wantErr   error
		wantAt    time.Duration
		want2     string // what client 2, with the request, reads
		wantWhy   []string
		wantCtx2  error // the ctx error its request saw
		wantAfter []time.Duration
	}{
		{"a WAIT that never ends", 3 * time.Second, true,
			context.DeadlineExceeded, 3 * time.Second, "OK blue",
			[]string{"closed at once (idle)", "shut down after its request",
				"cut off at the shutdown deadline"}, nil,
			[]time.Duration{0, time.Second, 3 * time.Second}},
		{"no WAIT", 3 * time.Second, false, nil, time.Second, "OK blue",
			[]string{"closed at once (idle)", "shut down after its request"}, nil,
			[]time.Duration{0, time.Second}},
		{"a deadline shorter than the request", 500 * time.Millisecond, false,
			context.DeadlineExceeded, 500 * time.Millisecond, "",
			[]string{"closed at once (idle)", "cut off at the shutdown deadline"},
			context.Canceled,
			[]time.Duration{0, 500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st := newStore()
				st.set("color", "blue")
				ctxErr := make(chan error, 1) // client 2's request's ctx; never waits
				answer := func(ctx context.Context, line string) string {
					if line == "GET color" {
						err := sleep(ctx, time.Second)
						ctxErr <- err
						if err != nil {
							return "ERR " + err.Error()
						}
					}
					return st.do(ctx, line)
				}
				srv := newLineServer(answer, 0, 0, 0)
				ends := newEndings()
				srv.ended = ends.record
				netw, addr, served := serveOnPipes(t, srv)

				requests := []string{"", "GET color"}
				if tt.withWait {
					requests = append(requests, "WAIT never")
				}
				clients := make([]*client, len(requests))
				for i, r := range requests {
					c, err := dial(t.Context(), netw, addr)
					require.NoError(t, err)
					defer c.close()
					if r != "" {
						require.NoError(t, c.send(r))
					}
					clients[i] = c
				}
				synctest.Wait()

				// Each client reads until its connection ends.
				got := make([]string, len(clients))
				var wg sync.WaitGroup
				for i, c := range clients {
					wg.Go(func() {
						b, _ := io.ReadAll(c.r)
						got[i] = strings.TrimSpace(string(b))
					})
				}
				ctx, cancel := context.WithTimeout(t.Context(), tt.grace)
				defer cancel()
				err := srv.shutdown(ctx)
				assert.Equal(t, tt.wantAt, time.Since(ends.start), "when shutdown returned")
				if tt.wantErr == nil {
					assert.NoError(t, err)
				} else {
					assert.ErrorIs(t, err, tt.wantErr)
				}
				assert.ErrorIs(t, <-served, errServerClosed, "serve's error")
				assert.Zero(t, netw.serverOpen.Load(),
					"server-side connections open after shutdown returned")
				wg.Wait()
				assert.Equal(t, tt.want2, got[1], "what client 2 read")
				if tt.withWait {
					assert.Empty(t, got[2], "what the WAIT client read")
				}
				for i, want := range tt.wantWhy {
					at, why, ok := ends.of(i + 1)
					require.True(t, ok, "client %d's connection has not ended", i+1)
					assert.Equal(t, want, why, "why client %d's connection ended", i+1)
					assert.Equal(t, tt.wantAfter[i], at, "when client %d's connection ended", i+1)
				}
				assert.Equal(t, tt.wantCtx2, <-ctxErr, "the request's ctx")

				// The listener is closed: a new client is refused.
				_, err = dial(t.Context(), netw, addr)
				assert.ErrorIs(t, err, syscall.ECONNREFUSED, "a dial after shutdown")
			})
		})
	}
}

// TestLongLineEndsTheConnection checks that a request line longer than
// maxLine ends its connection, instead of growing the server's buffer.
func TestLongLineEndsTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newLineServer(newStore().do, 0, 0, 0)
		ends := newEndings()
		srv.ended = ends.record
		netw, addr, served := serveOnPipes(t, srv)
		defer stopServer(t, srv, served)
		c, err := dial(t.Context(), netw, addr)
		require.NoError(t, err)
		defer c.close()
		// The Write fails once the server has closed the connection.
		_, _ = c.nc.Write([]byte("SET k " + strings.Repeat("x", maxLine) + "\n"))
		synctest.Wait()
		_, why, ok := ends.of(1)
		require.True(t, ok, "the connection has not ended")
		assert.Equal(t, "line longer than 65536 bytes", why)
	})
}

// TestStore checks the protocol's answers.
func TestStore(t *testing.T) {
	st := newStore()
	for _, tt := range []struct{ request, want string }{
		{"GET color", "ERR no such key: color"},
		{"SET color blue", "OK"},
		{"GET color", "OK blue"},
		{"SET color dark blue", "OK"},
		{"GET color", "OK dark blue"},
		{"WAIT color", "OK dark blue"},
		{"GET", `ERR bad request "GET": want SET key value, GET key or WAIT key`},
		{"SET color", `ERR bad request "SET color": want SET key value, GET key or WAIT key`},
		{"GET a b", `ERR bad request "GET a b": want SET key value, GET key or WAIT key`},
		{"PUT a b", `ERR bad request "PUT a b": want SET key value, GET key or WAIT key`},
	} {
		assert.Equal(t, tt.want, st.do(t.Context(), tt.request), tt.request)
	}
}

// TestWaitWakesOnSetOrCtx checks that WAIT waits until its key is set,
// whoever sets it, and gives up the moment its ctx is done.
func TestWaitWakesOnSetOrCtx(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newStore()
		time.AfterFunc(time.Second, func() { st.set("go", "now") })
		start := time.Now()
		assert.Equal(t, "OK now", st.do(t.Context(), "WAIT go"))
		assert.Equal(t, time.Second, time.Since(start))

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		assert.Equal(t, "ERR context deadline exceeded", st.do(ctx, "WAIT never"))
		assert.Equal(t, 2*time.Second, time.Since(start))
	})
}

// TestCtrlC cancels the run in the middle of each part, and checks that
// it returns context.Canceled at that very moment of fake time, with no
// goroutine left (synctest would fail the test) and no connection open.
func TestCtrlC(t *testing.T) {
	for _, at := range []time.Duration{
		50 * time.Millisecond,   // part 1: a SET's work
		1500 * time.Millisecond, // part 2: the idle clients
		2100 * time.Millisecond, // part 2: the client that does not read
		3 * time.Second,         // part 4: the WAIT before the deadline
		4450 * time.Millisecond, // part 5: GET /work in a Shutdown
	} {
		t.Run(at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg, err := parseFlags(io.Discard, nil)
				require.NoError(t, err)
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(at, cancel)
				netw := newPipeNet()
				start := time.Now()
				err = demo(ctx, io.Discard, cfg, netw)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, at, time.Since(start), "when run returned")
				synctest.Wait()
				assert.Zero(t, netw.serverOpen.Load()+netw.clientOpen.Load(), netw)
			})
		})
	}
}

// TestRacyHitCounterIsFoundByTheRaceDetector runs the lesson in a child
// process built with -race, once with -racy, whose HTTP handlers count
// hits without the lock, and once without. The first must end with a
// data race report on the counter (exit status 66); the second, the
// lesson's default, must be clean.
func TestRacyHitCounterIsFoundByTheRaceDetector(t *testing.T) {
	racy := lessonchild.Race(t, append([]string{"-racy"}, fast...)...)
	var stdout, stderr bytes.Buffer
	racy.Stdout, racy.Stderr = &stdout, &stderr
	err := racy.Run() // starts the child and waits for it to exit
	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr, "want exit status 66 from the race"+
		" detector\nstderr:\n%s", &stderr)
	assert.Equal(t, 66, exitErr.ExitCode(), "stderr:\n%s", &stderr)
	assert.Contains(t, stderr.String(), "WARNING: DATA RACE")
	assert.Contains(t, stderr.String(), "(*hitCounter).add()",
		"the report should name the counter's add")

	// The same binary, without -racy.
	clean := exec.CommandContext(t.Context(), racy.Path, fast...)
	clean.Env = racy.Env
	stdout.Reset()
	stderr.Reset()
	clean.Stdout, clean.Stderr = &stdout, &stderr
	require.NoError(t, clean.Run(), "the lesson's default run under -race\nstderr:\n%s", &stderr)
	assert.NotContains(t, stderr.String(), "DATA RACE")
	assert.Contains(t, stdout.String(), "the counter says 100")
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-clients", "0"}, "-clients must be from 1 to 100, got 0"},
		{[]string{"-clients", "101"}, "-clients must be from 1 to 100, got 101"},
		{[]string{"-limit", "0"}, "-limit must be from 1 to 100, got 0"},
		{[]string{"-limit", "101"}, "-limit must be from 1 to 100, got 101"},
		{[]string{"-idle", "0"}, "-idle must be positive, got 0s"},
		{[]string{"-idle", "-1s"}, "-idle must be positive, got -1s"},
		{[]string{"-work", "-1s"}, "-work must not be negative, got -1s"},
		{[]string{"-grace", "-1s"}, "-grace must not be negative, got -1s"},
		{[]string{"-grace", "3"}, `invalid value "3" for flag -grace`},
		{[]string{"-racy=maybe"}, `invalid boolean value "maybe" for -racy`},
		{[]string{"-port", "80"}, "flag provided but not defined: -port"},
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
	for _, name := range []string{"-clients", "-limit", "-idle", "-work", "-grace", "-racy"} {
		assert.Contains(t, out.String(), name)
	}
}

// Compile-time checks that the test network fits.
var (
	_ network      = (*pipeNet)(nil)
	_ net.Listener = (*pipeListener)(nil)
)
