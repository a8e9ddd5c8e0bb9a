package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The benchmarks back the README's figures:
//
//	go test -run '^$' -bench IdleConnections -benchtime 1x ./lessons/server
//	go test -run '^$' -bench Requests -benchtime 2s ./lessons/server
//
// With SERVER_BENCH_ADDR=host:port they measure another server that
// speaks the line protocol (GET, SET, and STATS for its memory), such as
// the Python servers in python/, instead of the lesson's own.

// benchAddrEnv names a server to benchmark instead of the lesson's.
const benchAddrEnv = "SERVER_BENCH_ADDR"

// BenchmarkIdleConnections holds n idle connections open at once to the
// line server, each served once, and reports what they cost the server:
// memory in use per connection (heap and goroutine stacks, as
// runtime.MemStats counts them), resident memory (RSS) per connection,
// and goroutines per connection. The clients are in a child
// process (see dialer), so that this process holds only the server's
// side: 10,000 connections are 20,000 file descriptors on one machine.
func BenchmarkIdleConnections(b *testing.B) {
	for _, n := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			benchmarkIdle(b, n)
		})
	}
}

func benchmarkIdle(b *testing.B, n int) {
	if limit, ok := fdLimit(); ok && limit < uint64(n)+100 {
		b.Skipf("ulimit -n is %d: too few file descriptors for %d connections",
			limit, n)
	}
	d := startDialer(b)
	defer d.stop(b)
	external := os.Getenv(benchAddrEnv)

	var heap, stack, rss, goroutines float64
	for b.Loop() {
		if external != "" {
			rss += d.external(b, external, n)
			continue
		}
		st := newStore()
		st.set("color", "blue")
		srv := newLineServer(st.do, time.Minute, time.Minute, 0)
		ln, err := loopback{}.listen()
		if err != nil {
			b.Fatal(err)
		}
		served := make(chan error, 1) // serve's result; never waits to send
		go func() { served <- srv.serve(ln) }()

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		g0, rss0 := runtime.NumGoroutine(), residentKiB(b)
		d.command(b, fmt.Sprintf("dial %s %d", ln.Addr(), n), "ok")
		runtime.GC()
		runtime.ReadMemStats(&after)
		g1, rss1 := runtime.NumGoroutine(), residentKiB(b)
		heap += float64(int64(after.HeapInuse) - int64(before.HeapInuse))
		stack += float64(int64(after.StackInuse) - int64(before.StackInuse))
		rss += float64(rss1-rss0) * 1024
		goroutines += float64(g1 - g0)

		if err := srv.shutdown(context.Background()); err != nil {
			b.Fatal(err)
		}
		if err := <-served; !errors.Is(err, errServerClosed) {
			b.Fatal(err)
		}
		d.command(b, "close", "closed")
	}
	per := float64(b.N) * float64(n)
	if external == "" {
		b.ReportMetric((heap+stack)/per, "B/conn")
		b.ReportMetric(heap/per, "heap-B/conn")
		b.ReportMetric(stack/per, "stack-B/conn")
		b.ReportMetric(goroutines/per, "goroutines/conn")
	}
	// Note that RSS only grows: a second op reuses the memory of the
	// first, so this is meaningful for one op of one sub-benchmark in a
	// fresh process (-benchtime 1x, -bench IdleConnections/conns=10000).
	b.ReportMetric(rss/per, "RSS-B/conn")
}

// residentKiB returns this process's resident memory (VmRSS), in KiB.
func residentKiB(b *testing.B) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Skip("needs Linux /proc to read the resident memory")
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// A dialerProc is the dialer child process, and the pipes to it.
type dialerProc struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startDialer starts this test binary as the dialer. The caller must call
// stop, which waits for it.
func startDialer(b *testing.B) *dialerProc {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.CommandContext(b.Context(), exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), dialerEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	return &dialerProc{cmd: cmd, in: in, out: bufio.NewScanner(out)}
}

// command sends one command to the dialer and checks its answer.
func (d *dialerProc) command(b *testing.B, cmd, want string) string {
	if _, err := fmt.Fprintln(d.in, cmd); err != nil {
		b.Fatal(err)
	}
	if !d.out.Scan() {
		b.Fatalf("dialer: no answer to %q: %v", cmd, d.out.Err())
	}
	got := d.out.Text()
	if !strings.HasPrefix(got, want) {
		b.Fatalf("dialer: %q answered %q; want %q", cmd, got, want)
	}
	return got
}

// external holds n idle connections to the server at addr, and returns
// how much its resident memory grew, in bytes, as its STATS says.
func (d *dialerProc) external(b *testing.B, addr string, n int) float64 {
	before := d.command(b, "stats "+addr, "OK")
	d.command(b, fmt.Sprintf("dial %s %d", addr, n), "ok")
	after := d.command(b, "stats "+addr, "OK")
	d.command(b, "close", "closed")
	b.Logf("%s: before: %s; with %d connections: %s", addr, before, n, after)
	return float64(statsKiB(b, after)-statsKiB(b, before)) * 1024
}

// statsKiB reads rss_kib=N from a STATS answer.
func statsKiB(b *testing.B, stats string) int64 {
	for f := range strings.FieldsSeq(stats) {
		if v, ok := strings.CutPrefix(f, "rss_kib="); ok {
			kib, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatalf("no rss_kib= in %q", stats)
	return 0
}

// stop ends the dialer and waits for it.
func (d *dialerProc) stop(b *testing.B) {
	d.in.Close() // EOF: the dialer closes everything and exits
	if err := d.cmd.Wait(); err != nil {
		b.Errorf("dialer: %v", err)
	}
}

// dialerEnv, set to 1 in a child's environment, makes this test binary
// the benchmarks' dialer instead of running the tests.
const dialerEnv = "WORKBOOK_SERVER_DIALER"

// dialerChild runs the dialer, and reports true, if this process is one.
func dialerChild() bool {
	if os.Getenv(dialerEnv) != "1" {
		return false
	}
	if err := dialer(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dialer:", err)
		os.Exit(1)
	}
	return true
}

// dialer reads commands from in, one a line, and answers each on out:
//
//	dial ADDR N   opens N connections to ADDR, asks GET color on each and
//	              reads the answer, then answers "ok N"
//	stats ADDR    asks STATS on a new connection, and answers with it
//	close         closes every connection, then answers "closed"
//
// At EOF it closes every connection and returns.
func dialer(in io.Reader, out io.Writer) error {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "dial":
			n, err := strconv.Atoi(f[2])
			if err != nil {
				return err
			}
			for range n {
				c, err := net.Dial("tcp", f[1])
				if err != nil {
					return err
				}
				conns = append(conns, c)
				if _, err := askOnce(c, "GET color"); err != nil {
					return err
				}
			}
			fmt.Fprintf(out, "ok %d\n", len(conns))
		case len(f) == 2 && f[0] == "stats":
			c, err := net.Dial("tcp", f[1])
			if err != nil {
				return err
			}
			stats, err := askOnce(c, "STATS")
			c.Close()
			if err != nil {
				return err
			}
			fmt.Fprintln(out, stats)
		case len(f) == 1 && f[0] == "close":
			for _, c := range conns {
				c.Close()
			}
			conns = nil
			fmt.Fprintln(out, "closed")
		default:
			return fmt.Errorf("bad command %q", sc.Text())
		}
	}
	return sc.Err()
}

// askOnce sends a request on c and reads one answer line, byte by byte,
// so that nothing is left buffered.
func askOnce(c net.Conn, request string) (string, error) {
	if _, err := io.WriteString(c, request+"\n"); err != nil {
		return "", err
	}
	var line []byte
	b := make([]byte, 1)
	for {
		if _, err := c.Read(b); err != nil {
			return "", err
		}
		if b[0] == '\n' {
			return string(line), nil
		}
		line = append(line, b[0])
	}
}

// serveEnv, set to 1 in the environment, makes this test binary run the
// line server on 127.0.0.1 until its stdin is closed, instead of the
// tests: a server in a process of its own, as the Python servers are,
// for SERVER_BENCH_ADDR. It prints its address first:
//
//	go test -c -o /tmp/server.test ./lessons/server
//	SERVER_BENCH_SERVE=1 /tmp/server.test
const serveEnv = "SERVER_BENCH_SERVE"

// serveChild runs the line server, and reports true, if this process is
// to be one. Besides SET and GET, it answers STATS with its resident
// memory and its goroutines, as the Python servers do.
func serveChild() bool {
	if os.Getenv(serveEnv) != "1" {
		return false
	}
	st := newStore()
	answer := func(ctx context.Context, line string) string {
		if line != "STATS" {
			return st.do(ctx, line)
		}
		data, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return "ERR " + err.Error()
		}
		for l := range strings.Lines(string(data)) {
			if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
				return fmt.Sprintf("OK rss_kib=%s goroutines=%d",
					strings.Fields(v)[0], runtime.NumGoroutine())
			}
		}
		return "ERR no VmRSS"
	}
	srv := newLineServer(answer, 0, 0, 0)
	ln, err := loopback{}.listen()
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	fmt.Println("line server on", ln.Addr())
	served := make(chan error, 1) // serve's result; never waits to send
	go func() { served <- srv.serve(ln) }()
	_, _ = io.Copy(io.Discard, os.Stdin) // until EOF, or Ctrl-C
	_ = srv.shutdown(context.Background())
	<-served
	return true
}

// batch is how many requests one op sends in BenchmarkRequests, split
// among the clients.
const batch = 1000

// BenchmarkRequests measures requests per second for a trivial request
// (GET color, a map lookup; GET /hello over HTTP) with 1, 10 and 100
// clients at once, each on a connection of its own, kept open. One op is
// a batch of 1000 requests, split evenly among the clients.
func BenchmarkRequests(b *testing.B) {
	external := os.Getenv(benchAddrEnv)
	for _, clients := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("line/clients=%d", clients), func(b *testing.B) {
			addr := external
			if addr == "" {
				st := newStore()
				srv := newLineServer(st.do, 0, 0, 0)
				ln, err := loopback{}.listen()
				if err != nil {
					b.Fatal(err)
				}
				served := make(chan error, 1) // serve's result; never waits to send
				go func() { served <- srv.serve(ln) }()
				defer func() {
					_ = srv.shutdown(context.Background())
					<-served
				}()
				addr = ln.Addr().String()
			}
			benchmarkLine(b, addr, clients)
		})
	}
	if external != "" {
		return
	}
	for _, clients := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("http/clients=%d", clients), func(b *testing.B) {
			benchmarkHTTP(b, clients)
		})
	}
}

// benchmarkLine sends batches of GET color to the line server at addr.
func benchmarkLine(b *testing.B, addr string, clients int) {
	conns := make([]*client, clients)
	for i := range conns {
		c, err := dial(b.Context(), loopback{}, addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.close()
		conns[i] = c
	}
	if got, err := conns[0].do("SET color blue"); err != nil || got != "OK" {
		b.Fatalf("SET color blue: %q, %v", got, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		errs := make([]error, clients)
		var wg sync.WaitGroup
		for i, c := range conns {
			wg.Go(func() {
				for range batch / clients {
					got, err := c.do("GET color")
					if err == nil && got != "OK blue" {
						err = fmt.Errorf("GET color: %q", got)
					}
					if err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// benchmarkHTTP sends batches of GET /hello to an http.Server.
func benchmarkHTTP(b *testing.B, clients int) {
	srv := &http.Server{Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello\n") })}
	ln, err := loopback{}.listen()
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1) // Serve's result; never waits to send
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Shutdown(context.Background())
		<-served
	}()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	url := "http://" + ln.Addr().String() + "/hello"
	b.ReportAllocs()
	for b.Loop() {
		errs := make([]error, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				for range batch / clients {
					if _, err := get(b.Context(), hc, url); err != nil {
						errs[i] = err
						return
					}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

// reportRate reports requests per second and the time per request.
func reportRate(b *testing.B) {
	requests := float64(b.N) * batch
	b.ReportMetric(requests/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/requests, "ns/req")
}
