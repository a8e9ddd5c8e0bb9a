package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// childPullWait is how long a pull of a worker this command started
// waits on the server for a chunk when there is none. A worker asked to
// stop finishes its pull first (taskqueue's Run), so it is about how long
// a stop takes, which every cold run pays; and an idle worker asks the
// server again this often. A worker started by hand, on another machine,
// pulls with taskqueue's default, a second: it is stopped by Ctrl-C, not
// by a measurement.
const childPullWait = 20 * time.Millisecond

// A result is what a worker stores for a chunk, as JSON, in the queue's
// results bucket under the chunk's job ID: the chunk's block sums, or
// why the worker refused it.
type result struct {
	Worker string `json:"worker"` // host:pid
	// Sums holds the block sums, each as the 8 bytes of its float64 bits,
	// little-endian: exact, and safe for NaN and ±Inf, which a JSON
	// number cannot hold. JSON writes them in base64.
	Sums []byte `json:"sums,omitempty"`
	// Start and End are when the worker began and ended the sums, Unix
	// nanoseconds by the worker's clock.
	Start int64 `json:"start,omitempty"`
	End   int64 `json:"end,omitempty"`
	// Error is why the worker refused the chunk: a kernel that is not
	// its own, a chunk it cannot read. The parent fails the run with it.
	Error string `json:"error,omitempty"`
}

// encodeSums and decodeSums convert block sums to and from result.Sums.
func encodeSums(sums []float64) []byte {
	b := make([]byte, 0, 8*len(sums))
	for _, s := range sums {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
	}
	return b
}

func decodeSums(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// A hold, in the tests' workers only, is called when a chunk starts,
// before its sums, with the worker's lines: a test holds a chunk there
// while it kills or stops the worker.
type hold func(ctx context.Context, job taskqueue.Job, out *log.Logger)

// A worker computes the chunks of the queue it pulls from.
type worker struct {
	name string      // host:pid
	out  *log.Logger // its lines: ready, and each chunk started, done or refused
	hold hold        // nil but in the tests
}

// serveWorker is the -worker mode: it connects to the server at
// f.nats, joins the queue (taking its settings from the server if it
// exists), prints a ready line, and computes chunks, f.concurrency at
// once, until ctx is done or, with -child, its stdin closes. Then it
// gives back the chunks it holds, at once, and returns nil.
func serveWorker(ctx context.Context, stdout, stderr io.Writer, f flags, h hold) error {
	if f.child {
		// The parent owns us: Ctrl-C in a terminal reaches every
		// process of the foreground group, and it is the parent's to
		// decide when we stop, by closing our stdin.
		signal.Ignore(os.Interrupt)
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		// This goroutine ends when stdin closes, which the parent does
		// to stop us, or when the process exits.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			cancel()
		}()
	}
	nc, err := taskqueue.Connect(f.nats, nats.DontRandomize(), nats.Name("integrate cluster worker"))
	if err != nil {
		return err
	}
	defer nc.Close()
	cfg, err := joinConfig(ctx, nc, f.queueConfig())
	if err != nil {
		return err
	}
	q, err := taskqueue.Open(ctx, nc, cfg)
	if err != nil {
		return err
	}
	defer q.Close()

	w := &worker{name: hostname() + ":" + strconv.Itoa(os.Getpid()), out: log.New(stdout, "", 0), hold: h}
	w.out.Printf("ready: worker %s, %d chunk(s) at a time, queue %s on %s", w.name, f.concurrency, cfg.Name, nc.ConnectedUrlRedacted())
	tw := &taskqueue.Worker{
		Queue:       q,
		Handler:     w.handle,
		Concurrency: f.concurrency,
		ErrorLog:    log.New(stderr, "cluster worker "+w.name+": ", 0),
	}
	if f.child {
		tw.PullWait = childPullWait
	}
	if err := tw.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// handle computes one chunk. A chunk it cannot compute with the bits the
// parent expects (another kernel), or cannot read, gets a result that
// says why, and is done: computing it again would not help. When ctx is
// done it returns ctx's error, and the chunk goes back to the queue.
func (w *worker) handle(ctx context.Context, job taskqueue.Job) ([]byte, error) {
	var c integrate.Chunk
	if err := json.Unmarshal(job.Data, &c); err != nil {
		return w.refuse(job, fmt.Errorf("not a chunk of an integral: %w", err))
	}
	w.out.Printf("start: chunk %s, attempt %d: %v", job.ID, job.Attempt, c)
	if w.hold != nil {
		w.hold(ctx, job, w.out)
	}
	start := time.Now()
	sums, err := c.Sums(ctx)
	end := time.Now()
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err() // we are stopping: the chunk goes back
	case err != nil:
		return w.refuse(job, err)
	}
	w.out.Printf("done: chunk %s in %v", job.ID, end.Sub(start).Round(time.Microsecond))
	return json.Marshal(result{Worker: w.name, Sums: encodeSums(sums), Start: start.UnixNano(), End: end.UnixNano()})
}

// refuse returns the result that tells the parent why w did not compute
// job.
func (w *worker) refuse(job taskqueue.Job, err error) ([]byte, error) {
	w.out.Printf("refused: chunk %s: %v", job.ID, err)
	return json.Marshal(result{Worker: w.name, Error: err.Error()})
}

// joinConfig returns the settings of the queue that cfg names as the
// server has them, if it exists, so that a worker started with -nats
// alone joins a queue made with other settings (-replicas 3, -ackwait);
// or cfg if it does not exist yet, or the server cannot say (Open will
// say why). The consumer's MaxDeliver is one more than the queue's
// (taskqueue's package doc).
func joinConfig(ctx context.Context, nc *nats.Conn, cfg taskqueue.Config) (taskqueue.Config, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return cfg, err
	}
	s, err := js.Stream(ctx, cfg.Name)
	if err != nil {
		return cfg, nil
	}
	sc := s.CachedInfo().Config
	cfg.Replicas, cfg.Storage, cfg.Duplicates = sc.Replicas, sc.Storage, sc.Duplicates
	c, err := s.Consumer(ctx, taskqueue.ConsumerName)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return cfg, nil
	}
	if err != nil {
		return cfg, fmt.Errorf("the consumer of queue %s: %w", cfg.Name, err)
	}
	cc := c.CachedInfo().Config
	cfg.AckWait, cfg.MaxDeliver, cfg.MaxAckPending = cc.AckWait, cc.MaxDeliver-1, cc.MaxAckPending
	return cfg, nil
}
