// The cluster command computes one integral serially and with its chunks
// as jobs on a NATS JetStream task queue (patterns/taskqueue), computed by
// worker processes on this machine or on any machine that reaches the
// server, and prints how long each took, with the same table and -json
// lines as the integrate command. The result has the bits of every other
// mode, even when a worker is killed or stopped mid-chunk: its chunk goes
// to another worker after AckWait.
//
//	go run ./integrate/cmd/cluster                       # an embedded server, local workers 1,2,4,8
//	go run ./integrate/cmd/cluster -n 1e9 -workers 2 -repeat 3
//	go run ./integrate/cmd/cluster -nats nats://host:4222 -workers 2 -replicas 3
//	go run ./integrate/cmd/cluster -worker -nats nats://host:4222   # a worker, on any machine
//
// By default the command embeds a NATS server with JetStream (its store
// in a temporary directory, removed at the end), listening on 127.0.0.1
// for the workers it starts; with -nats it uses that server, or cluster,
// instead, and other machines may add workers to the run with -worker.
//
// The rows: serial, the baseline, always measured first; "cluster
// (cold)", in which each run starts the local workers (this program,
// with -worker), computes and stops them, with the part from starting
// them to every one being ready in the start-up column; and "cluster
// (warm)", whose runs use workers started once, before the runs. Under
// the table, each cluster row's chunks: how many, how many workers
// computed them, and the overhead per chunk, the time the workers spent
// on a chunk other than computing it.
//
// Exit status: 0 on success, 2 for a bad flag (with usage), 1 if a run
// failed, the server could not be used, or Ctrl-C stopped it (every
// worker process is stopped and reaped first).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	report.Exit(run(ctx, os.Stdout, os.Stderr, os.Args[1:]))
}

func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	return (&app{stdout: stdout, stderr: &syncWriter{w: stderr}}).run(ctx, args)
}

// An app is one run of the command.
type app struct {
	stdout io.Writer
	stderr io.Writer // safe for several goroutines: the workers' stderr copiers write to it

	// Set by the tests only: told of each line a local worker prints,
	// and, in the worker mode, called when a chunk starts.
	onLine workerLine
	hold   hold
}

func (a *app) run(ctx context.Context, args []string) error {
	f, err := parseFlags(args, a.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is printed, and that is all
	}
	if err != nil {
		return err
	}
	if f.worker {
		if err := serveWorker(ctx, a.stdout, a.stderr, f, a.hold); err != nil {
			return fmt.Errorf("cluster worker: %w", err)
		}
		return nil
	}
	if f.List {
		return report.List(a.stdout, command)
	}
	// With -trace, the whole run is one task of the trace, and each
	// measurement a region in it.
	ctx, obs, err := f.Show.Start(ctx, "cluster")
	if err != nil {
		return err
	}
	defer obs.Stop()

	// We connect and open the queue before measuring anything, so that
	// a server that cannot be used is an error at once.
	var kinds []report.Kind
	var server string
	if slices.Contains(f.Modes, "cluster") {
		cl, urls, closeAll, err := a.connect(ctx, f)
		if err != nil {
			return fmt.Errorf("cluster: %w", err)
		}
		defer closeAll()
		server = urls[0]
		if f.nats == "" {
			server = "embedded, listening on " + server
		}
		m := &modes{a: a, f: f, cl: cl, urls: urls}
		kinds = []report.Kind{{Mode: "cluster", Pool: "cold", Measure: m.cold}, {Mode: "cluster", Pool: "warm", Measure: m.warm}}
	}
	base, rows, err := report.MeasureAll(ctx, f.Config, a.stdout, report.Progress(a.stderr), kinds)
	if err != nil || f.JSON {
		return err
	}
	if err := report.PrintTable(a.stdout, f.Config, base, rows, notes(server, rows)); err != nil {
		return err
	}
	return report.PrintCharts(a.stdout, f.Config, rows)
}

// notes are the lines under the table: what the rows mean, where the
// server was, and each cluster row's chunks.
func notes(server string, rows []report.Measurement) []string {
	if server == "" {
		return nil
	}
	out := []string{
		"cluster (cold): each run starts the local workers, computes, stops them;",
		"  start-up is the part from starting them to every one being ready.",
		"cluster (warm): every run uses local workers started once, before the runs.",
		"server: " + server,
		"chunks (of the fastest run); overhead = (time × workers - computing) / chunks:",
	}
	for _, m := range rows {
		if m.Chunks > 0 {
			out = append(out, fmt.Sprintf("  %-16s %2d workers: %3d chunks, computed by %d workers, overhead %s a chunk",
				m.Label(), m.Workers, m.Chunks, m.ChunkWorkers, report.Seconds(m.ChunkOverheadSeconds)))
		}
	}
	return out
}

// connect opens the queue on the -nats server, or on a server it embeds,
// and returns it, the URL each local worker connects to (by -nats's
// order, each worker's first server is the next one, so that the workers
// spread over a cluster's servers), and the function that closes it all.
func (a *app) connect(ctx context.Context, f flags) (_ *cluster, urls []string, _ func(), err error) {
	var closers []func()
	closeAll := func() {
		for _, c := range slices.Backward(closers) {
			c()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	var nc *nats.Conn
	if f.nats == "" {
		// An embedded server, its store in a temporary directory: the
		// workers this command starts connect over loopback, and we
		// through memory.
		dir, err := os.MkdirTemp("", "integrate-cluster-")
		if err != nil {
			return nil, nil, nil, err
		}
		closers = append(closers, func() { _ = os.RemoveAll(dir) })
		srv, err := taskqueue.StartEmbedded(dir, taskqueue.ListenLoopback())
		if err != nil {
			return nil, nil, nil, err
		}
		closers = append(closers, srv.Shutdown)
		if nc, err = srv.Connect(); err != nil {
			return nil, nil, nil, err
		}
		urls = []string{srv.URL()}
	} else {
		if nc, err = taskqueue.Connect(f.nats, nats.DontRandomize(), nats.Name("integrate cluster")); err != nil {
			return nil, nil, nil, err
		}
		all := f.urls()
		for i := range all {
			urls = append(urls, strings.Join(append(slices.Clone(all[i:]), all[:i]...), ","))
		}
	}
	closers = append(closers, nc.Close)
	// A cluster that has just started cannot place a stream's replicas
	// until its nodes have told each other what they have (within a
	// second or two): that error alone is worth waiting out.
	var q *taskqueue.Queue
	err = retry(ctx, a.stderr, "opening the queue", func() (err error) {
		q, err = taskqueue.Open(ctx, nc, f.queueConfig())
		return err
	}, func(err error) bool {
		var api *jetstream.APIError
		return errors.As(err, &api) && api.ErrorCode == noSuitablePeers
	})
	if err != nil {
		return nil, nil, nil, err
	}
	closers = append(closers, q.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, nil, nil, err
	}
	return &cluster{q: q, js: js, cfg: q.Config(), warn: a.stderr}, urls, closeAll, nil
}

// noSuitablePeers is the server's error code for a stream whose replicas
// it cannot place on enough nodes of its cluster.
const noSuitablePeers jetstream.ErrorCode = 10005

// modes measures the cluster rows.
type modes struct {
	a    *app
	f    flags
	cl   *cluster
	urls []string // the -nats URL of each local worker, in turn
}

// start starts n local workers, worker i on the i-th of m.urls in turn,
// and returns them with the time they took to be ready.
func (m *modes) start(ctx context.Context, n int) (*local, time.Duration, error) {
	urls := make([]string, n)
	for i := range urls {
		urls[i] = m.urls[i%len(m.urls)]
	}
	return startLocal(ctx, urls, []string{"-concurrency", "1", "-queue", m.f.queue}, m.a.stderr, m.a.onLine)
}

// poolSize is how many workers a row of w workers starts: no more than
// there are blocks, since a block is the least a worker is given.
func poolSize(p integrate.Problem, w int) int {
	blocks := (p.N + integrate.BlockSize - 1) / integrate.BlockSize
	return int(min(int64(w), blocks))
}

// cold measures a cold row: each run starts its workers, computes, and
// stops them, and the start-up is timed apart.
func (m *modes) cold(ctx context.Context, row report.Measurement) (report.Measurement, error) {
	p := m.f.Problem
	n := poolSize(p, row.Workers)
	return report.Measure(ctx, m.f.Config, row, report.Progress(m.a.stderr), func(ctx context.Context) (report.Run, error) {
		l, startup, err := m.start(ctx, n)
		if err != nil {
			return report.Run{}, err
		}
		r, err := m.integrate(ctx, l, p, n)
		if serr := l.stop(); serr != nil && err == nil {
			err = fmt.Errorf("stopping the workers: %w", serr)
		}
		r.Startup = startup
		return r, err
	})
}

// warm measures a warm row: one set of workers, started before the
// clock, warmed up with a small integral, and used by every run.
func (m *modes) warm(ctx context.Context, row report.Measurement) (_ report.Measurement, err error) {
	p := m.f.Problem
	n := poolSize(p, row.Workers)
	l, _, err := m.start(ctx, n)
	if err != nil {
		return row, fmt.Errorf("cluster: %s with %d workers: %w", row.Label(), row.Workers, err)
	}
	defer func() {
		if serr := l.stop(); serr != nil && err == nil {
			err = fmt.Errorf("cluster: %s with %d workers: stopping the workers: %w", row.Label(), row.Workers, serr)
		}
	}()
	// The warm-up: the same problem with 4 blocks per worker at most, an
	// even number of points, so that Simpson's rule takes it too.
	small := p
	small.N = min(small.N, int64(4*n)*integrate.BlockSize)
	if _, err := m.integrate(ctx, l, small, n); err != nil {
		return row, fmt.Errorf("cluster: %s with %d workers: warming up: %w", row.Label(), row.Workers, err)
	}
	return report.Measure(ctx, m.f.Config, row, report.Progress(m.a.stderr), func(ctx context.Context) (report.Run, error) {
		return m.integrate(ctx, l, p, n)
	})
}

// integrate runs one integral on the queue, failing if every worker of
// l exits meanwhile.
func (m *modes) integrate(ctx context.Context, l *local, p integrate.Problem, n int) (report.Run, error) {
	chunks, err := chunksFor(p, n)
	if err != nil {
		return report.Run{}, err
	}
	ctx, release := l.bind(ctx)
	defer release()
	return m.cl.integrate(ctx, p, chunks, l.names())
}

// A syncWriter serializes the writes to w, which the goroutines that
// copy the workers' stderr, and this process's warnings, share.
type syncWriter struct {
	mu sync.Mutex // protects w
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
