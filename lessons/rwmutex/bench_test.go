package main

import (
	"fmt"
	"maps"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkReadMostly and BenchmarkLongReads back the README's claims
// about speed. Four caches share one small map (keys entries) among
// goroutines that each do a mix of reads and sets, with 50%, 90%, 99% or
// 100% reads (no writer at all: the most sharing the read lock can gain):
// a sync.Mutex, the lesson's sync.RWMutex, copy-on-write with
// atomic.Pointer, and sync.Map. In BenchmarkReadMostly a read gets one
// key, a critical section of a few nanoseconds; in BenchmarkLongReads a
// read goes through every key, as a reader of a whole configuration
// does, which takes a hundred times as long.
//
// b.RunParallel runs b.N operations in all, split among goroutines, and
// ns/op is the wall time per operation: the lower, the more operations
// per second the goroutines get through together. It starts
// GOMAXPROCS × the parallelism goroutines; we run each cache with
// parallelism 1 (one goroutine per core, the most that can run at once)
// and 4 (four per core, as a server has more requests in flight than
// cores), and the sub-benchmark names say the number of goroutines.
//
// The baseline, "serial", is the same mix on a plain map in one goroutine
// with no lock, as fast as one core can go. Each parallel result reports
// its speedup over the baseline and its efficiency (speedup per core the
// goroutines could use). With -count n, each sub-benchmark runs n times in
// a row, and the baseline is its fastest run. Run them with
//
//	go test -run '^$' -bench 'ReadMostly|LongReads' -benchtime 200ms -count 5 ./lessons/rwmutex
func BenchmarkReadMostly(b *testing.B) {
	benchmarkCaches(b, func(s store, key string) { s.get(key) })
}

func BenchmarkLongReads(b *testing.B) {
	benchmarkCaches(b, func(s store, _ string) { s.scan() })
}

// benchmarkCaches runs the serial baseline and each cache, for each mix,
// with read as the read operation.
func benchmarkCaches(b *testing.B, read func(s store, key string)) {
	names := make([]string, keys)
	initial := make(map[string]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("key%02d", i)
		initial[names[i]] = "value"
	}
	// op does the i'th operation of a mix with reads reads in every 100:
	// a set for i%100 below 100-reads, else a read, of key i%keys.
	op := func(s store, reads, i int) {
		key := names[i%keys]
		if i%100 < 100-reads {
			s.set(key, "value")
			return
		}
		read(s, key)
	}
	caches := []struct {
		name string
		new  func(map[string]string) store
	}{
		{"Mutex", func(m map[string]string) store { return newMutexCache(m) }},
		{"RWMutex", func(m map[string]string) store { return newCache(m) }},
		{"atomic.Pointer", func(m map[string]string) store { return newCOWCache(m) }},
		{"sync.Map", func(m map[string]string) store { return newSyncMapCache(m) }},
	}
	for _, reads := range []int{50, 90, 99, 100} {
		var serialNs float64 // the baseline's ns/op; 0 when -bench filtered it out
		b.Run(fmt.Sprintf("reads=%d%%/serial/goroutines=1", reads), func(b *testing.B) {
			s := newPlainMap(initial)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				op(s, reads, i)
				i++
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			if serialNs == 0 || ns < serialNs {
				serialNs = ns
			}
		})
		for _, c := range caches {
			for _, parallelism := range []int{1, 4} {
				goroutines := parallelism * runtime.GOMAXPROCS(0)
				name := fmt.Sprintf("reads=%d%%/%s/goroutines=%d", reads, c.name, goroutines)
				b.Run(name, func(b *testing.B) {
					s := c.new(initial)
					var start atomic.Int64 // spreads the goroutines over the mix
					b.ReportAllocs()
					b.SetParallelism(parallelism)
					b.RunParallel(func(pb *testing.PB) {
						i := int(start.Add(37))
						for pb.Next() {
							op(s, reads, i)
							i++
						}
					})
					if serialNs > 0 {
						ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
						speedup := serialNs / ns
						cores := min(goroutines, runtime.GOMAXPROCS(0))
						b.ReportMetric(speedup, "speedup")
						b.ReportMetric(speedup/float64(cores), "efficiency")
					}
				})
			}
		}
	}
}

// keys is the size of the benchmarks' map: a small cache, such as a
// service's configuration. Copy-on-write copies all of it on every set.
const keys = 64

// A store is what the benchmarks need of a cache.
type store interface {
	get(key string) (string, bool)
	set(key, value string)
	scan() int // the total length of the values: a long read of every key
}

// A plainMap is a map with no lock: the serial baseline, for one goroutine
// only.
type plainMap map[string]string

func newPlainMap(m map[string]string) plainMap { return maps.Clone(m) }

func (p plainMap) get(key string) (string, bool) {
	v, ok := p[key]
	return v, ok
}

func (p plainMap) set(key, value string) { p[key] = value }

func (p plainMap) scan() int { return total(p) }

// total is the total length of m's values.
func total(m map[string]string) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// A mutexCache is the lesson's cache with a sync.Mutex: readers exclude
// each other too.
type mutexCache struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

func newMutexCache(m map[string]string) *mutexCache {
	return &mutexCache{m: newPlainMap(m)}
}

func (c *mutexCache) get(key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	return v, ok
}

func (c *mutexCache) set(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[key] = value
}

func (c *mutexCache) scan() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return total(c.m)
}

// scan is the lesson's cache's long read, under the read lock.
func (c *cache) scan() (n int) {
	c.read(func(m map[string]string) { n = total(m) })
	return n
}

// scan is the copy-on-write cache's long read, with no lock.
func (c *cowCache) scan() int { return total(c.load()) }

// A syncMapCache is a cache kept in a sync.Map, which needs no lock of
// ours.
type syncMapCache struct {
	m sync.Map // string -> string
}

func newSyncMapCache(m map[string]string) *syncMapCache {
	c := &syncMapCache{}
	for k, v := range m {
		c.m.Store(k, v)
	}
	return c
}

func (c *syncMapCache) get(key string) (string, bool) {
	v, ok := c.m.Load(key)
	if !ok {
		return "", false
	}
	return v.(string), true
}

func (c *syncMapCache) set(key, value string) { c.m.Store(key, value) }

func (c *syncMapCache) scan() int {
	n := 0
	c.m.Range(func(_, v any) bool {
		n += len(v.(string))
		return true
	})
	return n
}
