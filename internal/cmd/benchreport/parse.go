package main

import (
	"bufio"
	"io"
	"slices"
	"strconv"
	"strings"
)

// A result is one line of go test -bench output: a benchmark's name
// (without the -GOMAXPROCS suffix) and its measurements by unit.
type result struct {
	name    string
	metrics map[string]float64 // "ns/op", "B/op", "allocs/op", custom units
}

// parseBench reads go test -bench output and returns its benchmark lines,
// in order. Lines that are not benchmark results (PASS, ok, goos: ...)
// are skipped.
//
//	BenchmarkDo/workers=1-2   	   79310	     15123 ns/op	     377 B/op	      11 allocs/op
func parseBench(r io.Reader) ([]result, error) {
	var out []result
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // "BenchmarkX ... --- FAIL" or a log line
		}
		res := result{name: trimProcs(f[0]), metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				break
			}
			res.metrics[f[i+1]] = v
		}
		if len(res.metrics) > 0 {
			out = append(out, res)
		}
	}
	return out, sc.Err()
}

// trimProcs drops the "-N" GOMAXPROCS suffix go test adds to a
// benchmark's name when N > 1.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// A summary is the median and range of each metric of one benchmark over
// its runs (go test -count).
type summary struct {
	name   string
	runs   int
	median map[string]float64
	min    map[string]float64
	max    map[string]float64
	units  []string // in the order the first run printed them
}

// summarize groups results by benchmark name, in first-seen order, and
// takes the median, minimum and maximum of every metric.
func summarize(results []result) []summary {
	var order []string
	byName := map[string][]result{}
	units := map[string][]string{}
	for _, r := range results {
		if _, ok := byName[r.name]; !ok {
			order = append(order, r.name)
		}
		byName[r.name] = append(byName[r.name], r)
		for u := range r.metrics {
			if !slices.Contains(units[r.name], u) {
				units[r.name] = append(units[r.name], u)
			}
		}
	}
	var out []summary
	for _, name := range order {
		rs := byName[name]
		s := summary{name: name, runs: len(rs), median: map[string]float64{}, min: map[string]float64{}, max: map[string]float64{}}
		us := units[name]
		slices.SortStableFunc(us, func(a, b string) int { return unitRank(a) - unitRank(b) })
		s.units = us
		for _, u := range us {
			var vs []float64
			for _, r := range rs {
				if v, ok := r.metrics[u]; ok {
					vs = append(vs, v)
				}
			}
			slices.Sort(vs)
			s.median[u] = median(vs)
			s.min[u], s.max[u] = vs[0], vs[len(vs)-1]
		}
		out = append(out, s)
	}
	return out
}

// unitRank orders the standard units first: time, then custom metrics,
// then memory.
func unitRank(u string) int {
	switch u {
	case "ns/op":
		return 0
	case "B/op":
		return 2
	case "allocs/op":
		return 3
	}
	return 1
}

// median returns the median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}
