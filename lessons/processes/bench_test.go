package main

import (
	"errors"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// BenchmarkSpawn measures what one child costs, start to reaped: the
// serial baseline is a goroutine started and joined; "process" starts
// this binary in worker mode with an empty stdin, so that it exits at
// once, and waits for it; "process+job" also sends it one job with no busy
// work over gob and reads the result, as the lesson's workers do. Run it
// with
//
//	go test -run '^$' -bench Spawn -benchtime 2s -count 5 ./lessons/processes
func BenchmarkSpawn(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("goroutine", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Go(func() {})
			wg.Wait()
		}
	})
	b.Run("process", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			cmd := exec.CommandContext(b.Context(), exe)
			cmd.Env = append(os.Environ(), workerEnv+"=worker-1")
			if err := cmd.Run(); err != nil { // stdin is empty: it exits 0
				b.Fatal(err)
			}
		}
	})
	b.Run("process+job", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wk, err := startWorker(b.Context(), exe, "worker-1")
			if err != nil {
				b.Fatal(err)
			}
			_, err = wk.do(job{Number: 5})
			if err := errors.Join(err, wk.stop()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
