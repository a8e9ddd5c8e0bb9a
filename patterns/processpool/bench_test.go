package processpool_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
)

// batch is how many jobs each iteration of the Do and goroutine-pool
// benchmarks runs, split among the callers, one per worker. The jobs square
// first+0, first+1, ...: numbers that square neither rejects nor panics on.
const (
	batch = 200
	first = 100
)

// BenchmarkDo measures the round trip of a job through a worker process:
// encode, write to the worker's stdin, the worker decodes, squares, encodes,
// writes to its stdout, and the parent decodes. One caller per worker, each
// calling Do in a loop, so that every worker is kept busy.
func BenchmarkDo(b *testing.B) {
	benchCallers(b, func(ctx context.Context, p *processpool.Pool[int, int], c, workers int) int64 {
		var failed int64
		for n := first + c; n < first+batch; n += workers {
			if v, err := p.Do(ctx, n); err != nil || v != n*n {
				failed++
			}
		}
		return failed
	})
}

// BenchmarkRun is BenchmarkDo with Run in place of Do: one Run per worker,
// each taking its share of the batch, so that while a worker squares one
// number the next is already in its stdin.
func BenchmarkRun(b *testing.B) {
	benchCallers(b, func(ctx context.Context, p *processpool.Pool[int, int], c, workers int) int64 {
		var failed int64
		n := first + c - workers
		next := func() (int, time.Duration, bool) {
			n += workers
			return n, 0, n < first+batch
		}
		err := p.Run(ctx, next, func(n, v int, err error) error {
			if err != nil || v != n*n {
				failed++
			}
			return nil
		})
		if err != nil {
			failed++
		}
		return failed
	})
}

// benchCallers runs a batch of jobs per iteration on a pool of 1, then 2,
// square workers, with one caller per worker: caller c of workers runs
// its share of the batch and returns how many of its jobs failed.
func benchCallers(b *testing.B, caller func(ctx context.Context, p *processpool.Pool[int, int], c, workers int) int64) {
	ctx := context.Background()
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cmd, err := processpool.Self(squareWorker)
			if err != nil {
				b.Fatal(err)
			}
			p, err := processpool.New[int, int](ctx, cmd, workers)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			var failed atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range workers {
					wg.Go(func() { failed.Add(caller(ctx, p, c, workers)) })
				}
				wg.Wait()
			}
			if failed.Load() > 0 {
				b.Fatalf("%d jobs failed", failed.Load())
			}
			perJob(b)
		})
	}
}

// BenchmarkGoroutinePool is BenchmarkDo's baseline: the same shape (one
// caller per worker, each sending a job and waiting for its answer), but the
// workers are goroutines fed by a channel, and "serial" calls square
// directly.
func BenchmarkGoroutinePool(b *testing.B) {
	ctx := context.Background()
	b.Run("serial", func(b *testing.B) {
		var failed atomic.Int64
		b.ReportAllocs()
		for b.Loop() {
			for n := first; n < first+batch; n++ {
				if v, err := square(ctx, n); err != nil || v != n*n {
					failed.Add(1)
				}
			}
		}
		if failed.Load() > 0 {
			b.Fatalf("%d jobs failed", failed.Load())
		}
		perJob(b)
	})
	type call struct {
		n     int
		reply chan<- int
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			calls := make(chan call)
			var pool sync.WaitGroup
			for range workers {
				pool.Go(func() {
					for c := range calls {
						v, _ := square(ctx, c.n)
						c.reply <- v
					}
				})
			}
			defer pool.Wait()
			defer close(calls)
			var failed atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for c := range workers {
					wg.Go(func() {
						reply := make(chan int)
						for n := first + c; n < first+batch; n += workers {
							calls <- call{n, reply}
							if <-reply != n*n {
								failed.Add(1)
							}
						}
					})
				}
				wg.Wait()
			}
			if failed.Load() > 0 {
				b.Fatalf("%d jobs failed", failed.Load())
			}
			perJob(b)
		})
	}
}

// BenchmarkSpawn measures the cost of a worker process's whole life: New
// with one worker (fork and exec this binary, its runtime starts, it says
// hello) and Close (end of input, exit, reap).
func BenchmarkSpawn(b *testing.B) {
	ctx := context.Background()
	cmd, err := processpool.Self(squareWorker)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := processpool.New[int, int](ctx, cmd, 1)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// perJob reports the time per job of a batch.
func perJob(b *testing.B) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N*batch)
	b.ReportMetric(ns, "ns/job")
	b.ReportMetric(1e9/ns, "jobs/s")
}
