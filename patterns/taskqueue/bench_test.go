package taskqueue_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// batch is how many jobs each iteration of BenchmarkThroughput enqueues
// and waits for, and producers how many goroutines enqueue them.
const (
	batch     = 200
	producers = 4
)

// benchQueue starts a server and returns a function that opens the queue
// on a new connection to it: in-process, or over loopback TCP; with file
// storage, or memory storage.
func benchQueue(b *testing.B, conn string, storage jetstream.StorageType) func() *taskqueue.Queue {
	srv, err := taskqueue.StartEmbedded(b.TempDir(), taskqueue.ListenLoopback())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Shutdown)
	return func() *taskqueue.Queue {
		var nc *nats.Conn
		var err error
		if conn == "tcp" {
			nc, err = taskqueue.Connect(srv.URL())
		} else {
			nc, err = srv.Connect()
		}
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(nc.Close)
		q, err := taskqueue.Open(context.Background(), nc, taskqueue.Config{Storage: storage})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(q.Close)
		return q
	}
}

// runBenchWorker runs a worker with an empty handler until the benchmark
// ends.
func runBenchWorker(b *testing.B, q *taskqueue.Queue, concurrency int) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	b.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	w := &taskqueue.Worker{
		Queue:       q,
		Concurrency: concurrency,
		Handler:     func(context.Context, taskqueue.Job) ([]byte, error) { return nil, nil },
	}
	wg.Go(func() {
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			b.Error(err)
		}
	})
}

// BenchmarkRoundTrip measures one job's round trip, one at a time:
// Enqueue (publish, and the server's ack), the worker's pull, the empty
// handler, the result stored and the ack confirmed, and Wait (which
// watches the results bucket and the dead letters for the job).
func BenchmarkRoundTrip(b *testing.B) {
	for _, c := range []struct {
		conn    string
		storage jetstream.StorageType
	}{
		{"inprocess", jetstream.FileStorage},
		{"inprocess", jetstream.MemoryStorage},
		{"tcp", jetstream.FileStorage},
	} {
		b.Run(fmt.Sprintf("conn=%s/storage=%s", c.conn, strings.ToLower(c.storage.String())), func(b *testing.B) {
			open := benchQueue(b, c.conn, c.storage)
			producer := open()
			runBenchWorker(b, open(), 1)
			ctx := context.Background()
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				n++
				id := fmt.Sprint("rt-", n)
				if _, err := producer.Enqueue(ctx, taskqueue.Job{ID: id}); err != nil {
					b.Fatal(err)
				}
				if _, err := producer.Wait(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkThroughput measures empty jobs per second, with file storage:
// producers goroutines enqueue a batch of jobs while one worker, with
// concurrency jobs in flight at most, does them, and one Wait collects
// the batch's results.
func BenchmarkThroughput(b *testing.B) {
	for _, conn := range []string{"inprocess", "tcp"} {
		for _, concurrency := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("conn=%s/concurrency=%d", conn, concurrency), func(b *testing.B) {
				open := benchQueue(b, conn, jetstream.FileStorage)
				producer := open()
				runBenchWorker(b, open(), concurrency)
				ctx := context.Background()
				round := 0
				b.ReportAllocs()
				for b.Loop() {
					round++
					ids := make([]string, batch)
					for i := range ids {
						ids[i] = fmt.Sprintf("tp-%d-%d", round, i)
					}
					var wg sync.WaitGroup
					for p := range producers {
						wg.Go(func() {
							for i := p; i < batch; i += producers {
								if _, err := producer.Enqueue(ctx, taskqueue.Job{ID: ids[i]}); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					if _, err := producer.Wait(ctx, ids...); err != nil {
						b.Fatal(err)
					}
					wg.Wait()
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*batch)
				b.ReportMetric(ns, "ns/job")
				b.ReportMetric(1e9/ns, "jobs/s")
			})
		}
	}
}
