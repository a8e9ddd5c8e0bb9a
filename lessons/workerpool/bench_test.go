package main

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkOverhead measures what each way costs per job, with jobs that
// do nothing: handing a job over, starting or waking a goroutine, and
// collecting the result. Each op runs a batch of 1000 empty jobs, with 1,
// 2, 4 or 8 workers; the benchmark reports ns/task and tasks/s. Run it
// with
//
//	go test -run '^$' -bench Overhead -benchtime 200ms -count 5 ./lessons/workerpool
func BenchmarkOverhead(b *testing.B) {
	const batch = 1000
	in := inputs(batch)
	empty := func(_ context.Context, x int) (int, error) { return x, nil }
	for _, way := range ways {
		for _, workers := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%s/workers=%d", way.name, workers),
				func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						if _, err := way.m(b.Context(), workers, in,
							empty); err != nil {
							b.Fatal(err)
						}
					}
					tasks := float64(b.N) * batch
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/tasks,
						"ns/task")
					b.ReportMetric(tasks/b.Elapsed().Seconds(), "tasks/s")
				})
		}
	}
}
