package main

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// BenchmarkFetch backs the README's real-time figures: one op is a batch
// of 100 requests to the lesson's server on real loopback, which answers
// each after 100ms, made by the pool of section 3 with limit 1 (one after
// another: the serial baseline), 10 and 100. It reports the batch's time
// (ms/batch) and the speedup over one request after another at exactly
// 100ms each (x-serial): at most the limit, less the loopback's overhead.
// Each op takes 0.1s to 10s of waiting, not of CPU, so run it with
//
//	go test -run '^$' -bench Fetch -benchtime 3x ./lessons/fetch
func BenchmarkFetch(b *testing.B) {
	const (
		requests = 100
		delay    = 100 * time.Millisecond
	)
	for _, limit := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			cfg, err := parseFlags(io.Discard, []string{"-requests", fmt.Sprint(requests),
				"-delay", delay.String(), "-timeout", "1m"})
			if err != nil {
				b.Fatal(err)
			}
			srv := newServer(delay)
			ln, err := loopback{}.listen()
			if err != nil {
				b.Fatal(err)
			}
			base, stop := srv.serve(ln)
			defer stop()
			l := &lab{cfg: cfg, w: io.Discard, srv: srv, nw: loopback{}, base: base}
			client := l.newClient(cfg.timeout, limit, 0, nil)
			defer client.CloseIdleConnections()
			b.ReportAllocs()
			for b.Loop() {
				if n := countErrs(l.batch(b.Context(), "", client, pool, limit).errs); n > 0 {
					b.Fatalf("%d requests failed", n)
				}
			}
			perBatch := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(perBatch.Milliseconds()), "ms/batch")
			b.ReportMetric(float64(requests*delay)/float64(perBatch), "x-serial")
		})
	}
}
