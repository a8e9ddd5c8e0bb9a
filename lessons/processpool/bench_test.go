package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"golang.org/x/sync/errgroup"
)

// items is how many numbers each iteration of BenchmarkMap doubles, with
// no busy work: what is measured is the cost of handing out a job and
// getting its answer back.
const items = 200

// BenchmarkMap doubles 200 numbers: in a plain loop (the serial
// baseline), on goroutines (errgroup with SetLimit, one per number), and
// on a pool of worker processes (processpool.Map, one job per number). Run
// it with
//
//	go test -run '^$' -bench . -benchtime 1s -count 5 ./lessons/processpool
func BenchmarkMap(b *testing.B) {
	ctx := context.Background()
	jobs := make([]job, items)
	for i := range jobs {
		jobs[i] = job{Fn: "double", N: i}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, j := range jobs {
				if _, err := call(ctx, j); err != nil {
					b.Fatal(err)
				}
			}
		}
		perItem(b)
	})
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("goroutines/workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			out := make([]result, items)
			for b.Loop() {
				var g errgroup.Group
				g.SetLimit(workers)
				for i, j := range jobs {
					g.Go(func() error {
						r, err := call(ctx, j)
						out[i] = r
						return err
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
			perItem(b)
		})
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("processes/workers=%d", workers), func(b *testing.B) {
			cmd, err := processpool.Self(workerName)
			if err != nil {
				b.Fatal(err)
			}
			pool, err := processpool.New[job, result](ctx, cmd, workers)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := processpool.Map(ctx, pool, jobs); err != nil {
					b.Fatal(err)
				}
			}
			perItem(b)
		})
	}
}

// BenchmarkStart measures a pool's whole life with no job: New starts the
// workers (fork, exec of this binary, its runtime starts, it says hello)
// and Close ends them (end of stdin, exit, reap).
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	cmd, err := processpool.Self(workerName)
	if err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pool, err := processpool.New[job, result](ctx, cmd, workers)
				if err != nil {
					b.Fatal(err)
				}
				if err := pool.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// perItem reports the time per number of a batch.
func perItem(b *testing.B) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*items), "ns/item")
}
