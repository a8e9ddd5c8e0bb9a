package futures

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sync/errgroup"
)

// empty is a task that does nothing: the benchmarks measure the cost of
// running a task, not the task.
func empty(context.Context) (int, error) { return 0, nil }

// batch is how many tasks each benchmark iteration runs: enough that the
// per-batch costs (starting workers, Shutdown) are amortised.
const batch = 1000

// BenchmarkSubmitResult submits one empty task and waits for its result,
// one at a time: the latency of a round trip through a worker.
func BenchmarkSubmitResult(b *testing.B) {
	e := NewExecutor(2)
	defer e.Shutdown()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Submit(e, empty).Result(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSubmitThenResults submits a batch of empty tasks, then waits for
// every result: the throughput of the executor. It reports ns per task and
// tasks/s; the baselines run the same batch with a WaitGroup (a goroutine
// per task) and with errgroup limited to the same number of workers.
func BenchmarkSubmitThenResults(b *testing.B) {
	ctx := context.Background()
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("executor/workers=%d", workers), func(b *testing.B) {
			e := NewExecutor(workers)
			defer e.Shutdown()
			fs := make([]*Future[int], batch)
			b.ReportAllocs()
			for b.Loop() {
				for i := range fs {
					fs[i] = Submit(e, empty)
				}
				for _, f := range fs {
					if _, err := f.Result(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			report(b)
		})
		b.Run(fmt.Sprintf("errgroup/workers=%d", workers), func(b *testing.B) {
			out := make([]int, batch)
			b.ReportAllocs()
			for b.Loop() {
				var g errgroup.Group
				g.SetLimit(workers)
				for i := range out {
					g.Go(func() (err error) { out[i], err = empty(ctx); return err })
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
	b.Run("waitgroup/unbounded", func(b *testing.B) {
		out := make([]int, batch)
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			for i := range out {
				wg.Go(func() { out[i], _ = empty(ctx) })
			}
			wg.Wait()
		}
		report(b)
	})
}

// BenchmarkMap maps an empty function over a batch of items.
func BenchmarkMap(b *testing.B) {
	ctx := context.Background()
	items := make([]int, batch)
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e := NewExecutor(workers)
			defer e.Shutdown()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Map(ctx, e, func(_ context.Context, x int) (int, error) {
					return x, nil
				}, items); err != nil {
					b.Fatal(err)
				}
			}
			report(b)
		})
	}
}

// report adds ns/task and tasks/s, per task of a batch.
func report(b *testing.B) {
	perTask := float64(b.Elapsed().Nanoseconds()) / float64(b.N*batch)
	b.ReportMetric(perTask, "ns/task")
	b.ReportMetric(1e9/perTask, "tasks/s")
}
