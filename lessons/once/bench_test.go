package main

import "testing"

// BenchmarkGet measures what every call after the first one costs: the
// connection is made before the timing starts, so each strategy's get only
// has to find it and return it. "plain" is the baseline: a function that
// returns a pointer it already holds, with no check at all. Each strategy
// runs in one goroutine (serial), then with b.RunParallel: one goroutine
// per core (GOMAXPROCS), all calling the same get at once. Run it with
//
//	go test -run '^$' -bench Get -benchtime 500ms -count 5 ./lessons/once
func BenchmarkGet(b *testing.B) {
	made := &conn{id: 1}
	connect := func() (*conn, error) { return made, nil }
	plain := func(func() (*conn, error)) func() (*conn, error) {
		return func() (*conn, error) { return made, nil } // no check at all
	}
	cases := append([]strategy{{"plain", "plain", plain}}, strategies()...)
	for _, s := range cases {
		get := s.lazy(connect)
		if c, err := get(); err != nil || c != made {
			b.Fatalf("%s: the first get returned %v, %v", s.key, c, err)
		}
		b.Run(s.key+"/serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = get()
			}
		})
		b.Run(s.key+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = get()
				}
			})
		})
	}
}
