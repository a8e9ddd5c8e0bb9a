package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"
)

// maxChunkBlocks bounds the blocks of one chunk, so that its result fits
// in one NATS message: 8 bytes a block, 256 KiB, 350 KB once in base64,
// under the 1 MiB a NATS server accepts by default. That is 5.4·10⁸
// points, about a quarter of a second of x² on one core.
const maxChunkBlocks = 1 << 15

// retries is how many times the parent asks the server for something
// (to enqueue a chunk, to wait for its result) before it gives up, and
// firstPause the pause after the first failure, doubled after each: 0.5
// to 8 s, 15.5 s in all, longer than a cluster takes to elect new
// leaders when it loses a node (4 to 9 s).
const (
	retries    = 5
	firstPause = 500 * time.Millisecond
)

// cleanupTimeout bounds the clean-up after a run: the purge of its
// results, and the removal of its chunks still queued if it failed.
const cleanupTimeout = 5 * time.Second

// A cluster is the parent's side of the queue: it turns an integral
// into chunks on the queue, and their results into the integral. Its
// methods may be called by one goroutine at a time.
type cluster struct {
	q    *taskqueue.Queue
	js   jetstream.JetStream
	cfg  taskqueue.Config
	warn io.Writer // where a failed clean-up is reported
}

// fit cuts each chunk of more than maxChunkBlocks blocks into as few
// equal parts as fit.
func fit(chunks []integrate.Chunk) []integrate.Chunk {
	var out []integrate.Chunk
	for _, c := range chunks {
		parts := (c.Blocks() + maxChunkBlocks - 1) / maxChunkBlocks
		for j := range parts {
			part := c
			part.First = c.First + c.Blocks()*j/parts
			part.Last = c.First + c.Blocks()*(j+1)/parts
			out = append(out, part)
		}
	}
	return out
}

// chunksFor splits p for workers workers, as the processes mode does,
// then cuts the chunks too big for a message (fit).
func chunksFor(p integrate.Problem, workers int) ([]integrate.Chunk, error) {
	chunks, err := integrate.Split(p, workers)
	if err != nil {
		return nil, err
	}
	return fit(chunks), nil
}

// integrate computes p's integral from its chunks on the queue: it
// enqueues each chunk as a job whose ID is new to this run, waits for
// every chunk's result, and combines the sums, with Serial's bits. local
// names the workers this command started, for the chunk figures.
//
// It fails, naming the chunk, if a worker refused a chunk (another
// kernel), or a chunk went to the dead letters; and with ctx's cause if
// ctx ends first. Whatever happens, it purges the run's results from the
// bucket before it returns, and if the run failed, removes its chunks
// still queued, so that no worker computes them for nobody.
func (cl *cluster) integrate(ctx context.Context, p integrate.Problem, chunks []integrate.Chunk, local []string) (_ report.Run, err error) {
	// The run's chunks have IDs no other run has: the queue drops a job
	// whose ID it has seen within its de-duplication window.
	run := strconv.FormatUint(rand.Uint64(), 36)
	ids := make([]string, len(chunks))
	for i := range chunks {
		ids[i] = run + "." + strconv.Itoa(i)
	}
	defer func() { cl.forget(run, err != nil) }()

	begin := time.Now()
	// We enqueue in order: the first chunks are taken first.
	for i, c := range chunks {
		data, err := json.Marshal(c)
		if err != nil {
			return report.Run{}, err
		}
		// Enqueueing again after a failure is safe: if the failed attempt
		// stored the chunk after all, the ID makes the second a duplicate,
		// which the queue drops. A duplicate at the first attempt is a
		// run ID used before.
		var stored bool
		attempts := 0
		err = cl.retry(ctx, "enqueueing chunk "+ids[i], func() (err error) {
			attempts++
			stored, err = cl.q.Enqueue(ctx, taskqueue.Job{ID: ids[i], Data: data})
			return err
		})
		if err != nil {
			return report.Run{}, cause(ctx, err)
		}
		if !stored && attempts == 1 {
			return report.Run{}, fmt.Errorf("chunk %s dropped by the queue as a duplicate of an earlier run's", ids[i])
		}
	}

	// A goroutine per chunk waits for its result: the first chunk that
	// fails ends the run at once, not after the others.
	sums := make([][]float64, len(chunks))
	computing := make([]time.Duration, len(chunks))
	by := make([]string, len(chunks))
	span := integrate.Spans(ctx)
	g, gctx := errgroup.WithContext(ctx)
	for i, c := range chunks {
		g.Go(func() error {
			fail := func(format string, args ...any) error {
				return fmt.Errorf("chunk %d of %d (%v): %s", i, len(chunks), c, fmt.Sprintf(format, args...))
			}
			var res [][]byte
			err := cl.retry(gctx, "waiting for chunk "+ids[i], func() (err error) {
				res, err = cl.q.Wait(gctx, ids[i])
				return err
			})
			if err != nil {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				return fail("%v", err) // a *taskqueue.DeadJob says why it died
			}
			var r result
			if err := json.Unmarshal(res[0], &r); err != nil {
				return fail("its result is not a worker's: %v", err)
			}
			if r.Error != "" {
				return fail("worker %s refused it: %s", r.Worker, r.Error)
			}
			if int64(len(r.Sums)) != 8*c.Blocks() {
				return fail("worker %s sent %d bytes of sums for %d blocks", r.Worker, len(r.Sums), c.Blocks())
			}
			// Each goroutine writes its own slots; g.Wait synchronizes
			// these writes before Combine reads them.
			sums[i], by[i], computing[i] = decodeSums(r.Sums), r.Worker, time.Duration(r.End-r.Start)
			if span != nil {
				span("worker "+r.Worker, fmt.Sprintf("blocks %d-%d", c.First, c.Last-1),
					time.Unix(0, r.Start), time.Unix(0, r.End))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return report.Run{}, cause(ctx, err)
	}
	v, err := integrate.Combine(p, chunks, sums)
	if err != nil {
		return report.Run{}, err
	}
	wall := time.Since(begin)

	// The workers that computed: ours, and any other that took a chunk.
	seen := slices.Clone(local)
	var total time.Duration
	for i := range chunks {
		total += computing[i]
		if !slices.Contains(seen, by[i]) {
			seen = append(seen, by[i])
		}
	}
	overhead := (wall*time.Duration(len(seen)) - total) / time.Duration(len(chunks))
	return report.Run{Value: v, Chunks: len(chunks), ChunkWorkers: len(seen), ChunkOverhead: max(overhead, 0)}, nil
}

// retry calls f until it returns nil, an error that will not go away
// (transient says which may), or retries errors, pausing between calls;
// each failure it tries again after is reported to warn. A request to a
// cluster fails for seconds while the cluster elects a new leader for a
// stream whose leader was lost.
func retry(ctx context.Context, warn io.Writer, what string, f func() error, transient func(error) bool) error {
	pause := firstPause
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || ctx.Err() != nil || attempt == retries || !transient(err) {
			return err
		}
		fmt.Fprintf(warn, "cluster: %s: %v (trying again in %v)\n", what, err, pause)
		t := time.NewTimer(pause)
		select {
		case <-t.C: // time to try again
		case <-ctx.Done(): // the run is over
			t.Stop()
			return ctx.Err()
		}
		pause *= 2
	}
}

// retry is the package's retry for a run's requests: every error is
// transient but a chunk's death.
func (cl *cluster) retry(ctx context.Context, what string, f func() error) error {
	return retry(ctx, cl.warn, what, f, func(err error) bool {
		var dead *taskqueue.DeadJob
		return !errors.As(err, &dead)
	})
}

// cause returns ctx's cause if ctx is done (Ctrl-C, or every local
// worker gone), which says more than the error it caused; else err.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

// forget purges run's results from the results bucket and, if queued,
// removes its chunks still in the queue. A failure is reported to
// cl.warn: it leaves data on the server, but the run's answer stands.
func (cl *cluster) forget(run string, queued bool) {
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	var errs []error
	if queued {
		errs = append(errs, cl.dropJobs(ctx, run))
	}
	// A result is the message of the subject $KV.<bucket>.<key> of the
	// bucket's stream, and the run's keys are <run>.<i>: one purge by
	// subject removes them all, without leaving a delete marker per key.
	bucket := cl.cfg.Name + "_RESULTS"
	s, err := cl.js.Stream(ctx, "KV_"+bucket)
	if err == nil {
		err = s.Purge(ctx, jetstream.WithPurgeSubject("$KV."+bucket+"."+run+".>"))
	}
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(cl.warn, "cluster: cleaning up run %s on the server: %v\n", run, err)
	}
}

// dropJobs removes the chunks of run still in the queue's stream. A
// worker may ack one meanwhile: a message gone before we delete it is
// not an error.
func (cl *cluster) dropJobs(ctx context.Context, run string) error {
	s, err := cl.js.Stream(ctx, cl.cfg.Name)
	if err != nil {
		return err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for seq := info.State.FirstSeq; seq > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // acked and gone, or deleted
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !strings.HasPrefix(m.Header.Get(jetstream.MsgIDHeader), run+".") {
			continue // another run's
		}
		if err := s.DeleteMsg(ctx, seq); err != nil {
			if _, gerr := s.GetMsg(ctx, seq); !errors.Is(gerr, jetstream.ErrMsgNotFound) {
				errs = append(errs, fmt.Errorf("deleting chunk %s: %w", m.Header.Get(jetstream.MsgIDHeader), err))
			}
		}
	}
	return errors.Join(errs...)
}
