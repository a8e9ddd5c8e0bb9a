package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const sample = `goos: linux
goarch: amd64
pkg: github.com/concurrency-workbook/workbook/patterns/processpool
cpu: AMD EPYC 7B13
BenchmarkDo/workers=1-2         	   79310	     15123 ns/op	     377 B/op	      11 allocs/op
BenchmarkDo/workers=1-2         	   80000	     14000 ns/op	     377 B/op	      11 allocs/op
BenchmarkDo/workers=1-2         	   70000	     20000 ns/op	     380 B/op	      11 allocs/op
BenchmarkEval/x2/kernel         	    1000	   500000 ns/op	         0.4712 ns/eval
BenchmarkSpawn-2   	     100	   7100000 ns/op
--- FAIL: BenchmarkBroken
PASS
ok  	github.com/concurrency-workbook/workbook/patterns/processpool	12.3s
`

func TestParseAndSummarize(t *testing.T) {
	results, err := parseBench(strings.NewReader(sample))
	require.NoError(t, err)
	require.Len(t, results, 5)
	assert.Equal(t, "BenchmarkDo/workers=1", results[0].name, "the -2 GOMAXPROCS suffix is dropped")
	assert.Equal(t, "BenchmarkEval/x2/kernel", results[3].name, "a name without the suffix is kept whole")
	assert.Equal(t, 0.4712, results[3].metrics["ns/eval"])

	sums := summarize(results)
	require.Len(t, sums, 3)
	do := sums[0]
	assert.Equal(t, 3, do.runs)
	assert.Equal(t, 15123.0, do.median["ns/op"])
	assert.Equal(t, 14000.0, do.min["ns/op"])
	assert.Equal(t, 20000.0, do.max["ns/op"])
	assert.Equal(t, 377.0, do.median["B/op"])
	assert.Equal(t, []string{"ns/op", "B/op", "allocs/op"}, do.units)
	assert.Equal(t, []string{"ns/op", "ns/eval"}, sums[1].units, "custom metrics after the time")
}

func TestMedianOfEvenCount(t *testing.T) {
	assert.Equal(t, 2.5, median([]float64{1, 2, 3, 4}))
	assert.Equal(t, 3.0, median([]float64{3}))
}

func TestWriteTable(t *testing.T) {
	results, err := parseBench(strings.NewReader(sample))
	require.NoError(t, err)
	var b bytes.Buffer
	writeTable(&b, "patterns/processpool", "go test -bench . ./patterns/processpool", summarize(results))
	assert.Equal(t, `
## patterns/processpool

Explained in [patterns/processpool](../patterns/processpool/README.md).

    go test -bench . ./patterns/processpool

| benchmark | time/op | range | other (median) |
| --- | ---: | ---: | --- |
| Do/workers=1 | 15.1 µs | 14.0 µs – 20.0 µs | 377 B/op, 11 allocs/op |
| Eval/x2/kernel | 500 µs | 500 µs – 500 µs | 0.471 ns/eval |
| Spawn | 7.10 ms | 7.10 ms – 7.10 ms |  |
`, b.String())
}

func TestFormatNs(t *testing.T) {
	for ns, want := range map[float64]string{
		0.4712:  "0.471 ns",
		4.6:     "4.60 ns",
		407:     "407 ns",
		15123:   "15.1 µs",
		7.1e6:   "7.10 ms",
		47.9e6:  "47.9 ms",
		1.25e9:  "1.25 s",
		123.4e3: "123 µs",
	} {
		assert.Equal(t, want, formatNs(ns), "%v ns", ns)
	}
}

// TestReportCoversEveryBenchmark checks that docs/benchmarks.md has a
// section for every package with benchmarks: a new benchmark means
// running make report.
func TestReportCoversEveryBenchmark(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	dirs, err := benchDirs(root)
	require.NoError(t, err)
	require.Contains(t, dirs, "patterns/processpool")
	require.NotContains(t, dirs, "internal/cmd/benchreport", "only lessons, patterns and integrate")
	page, err := os.ReadFile(filepath.Join(root, "docs", "benchmarks.md"))
	require.NoError(t, err)
	for _, d := range dirs {
		assert.Contains(t, string(page), "\n## "+d+"\n", "docs/benchmarks.md has no section for %s: run make report", d)
	}
}
