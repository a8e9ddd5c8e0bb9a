package report

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var testCommand = Command{
	Name:      "tool",
	Usage:     "usage: tool [flags]\n\nA tool.",
	Modes:     []string{"serial", "fast", "slow"},
	ModesHelp: "serial, fast, slow",
}

func parse(args []string, check func(Config) error) (Config, string, error) {
	var stderr bytes.Buffer
	c, err := NewFlags(testCommand, &stderr).Parse(args, check)
	return c, stderr.String(), err
}

func TestParseDefaults(t *testing.T) {
	c, _, err := parse(nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "tool", c.Name)
	assert.Equal(t, integrate.Problem{F: "x2", A: 0, B: 10, N: 100_000_000, Rule: integrate.Midpoint}, c.Problem)
	assert.Equal(t, []string{"serial", "fast", "slow"}, c.Modes)
	assert.Equal(t, []int{1, 2, 4, 8}, c.Workers)
	assert.Equal(t, 1, c.Repeat)
}

func TestParseReadsEveryFlag(t *testing.T) {
	c, _, err := parse([]string{"-f", "sin", "-a", "-1", "-b", "2.5", "-n", "1e6", "-rule", "simpson",
		"-mode", "slow,serial,slow", "-workers", "3,1", "-repeat", "4", "-json"}, nil)
	require.NoError(t, err)
	assert.Equal(t, integrate.Problem{F: "sin", A: -1, B: 2.5, N: 1_000_000, Rule: integrate.Simpson}, c.Problem)
	assert.Equal(t, []string{"slow", "serial"}, c.Modes, "each mode once, in the order given")
	assert.Equal(t, []int{3, 1}, c.Workers)
	assert.Equal(t, 4, c.Repeat)
	assert.True(t, c.JSON)
}

func TestParseRejectsBadFlagsWithTheUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "1.5"}, `invalid value "1.5" for flag -n: "1.5" is not a whole number`},
		{[]string{"-n", "1e30"}, `invalid value "1e30" for flag -n: "1e30" is not a whole number`},
		{[]string{"-n", "0"}, "n = 0; need at least 1 interval"},
		{[]string{"-f", "x^2"}, `-f: integrate: unknown integrand "x^2" (did you mean "x2"?`},
		{[]string{"-rule", "simson"}, `-rule: integrate: unknown rule "simson" (did you mean "simpson"?`},
		{[]string{"-mode", "fast,threads"}, `tool: -mode: unknown mode "threads" (modes: serial, fast, slow)`},
		{[]string{"-workers", "2,0"}, `tool: -workers: "0" is not a worker count of at least 1`},
		{[]string{"-repeat", "0"}, "tool: -repeat 0: need at least 1"},
		{[]string{"-timeline", "-json"}, "tool: -timeline draws charts, which -json output cannot hold"},
		{[]string{"extra"}, `tool: unexpected argument "extra"`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			called := false
			_, stderr, err := parse(tc.args, func(Config) error { called = true; return nil })
			var u UsageError
			require.ErrorAs(t, err, &u)
			assert.ErrorContains(t, err, tc.want)
			assert.Contains(t, stderr, tc.want, "the error is printed")
			assert.Contains(t, stderr, "usage: tool [flags]\n\nA tool.\n\nflags:\n", "with the usage")
			assert.False(t, called, "the command's check runs only once the shared flags are good")
		})
	}
}

func TestParseRunsTheCommandsCheck(t *testing.T) {
	fs := NewFlags(testCommand, &bytes.Buffer{})
	extra := fs.Set.Int("extra", 0, "the command's own flag")
	c, err := fs.Parse([]string{"-extra", "-3", "-n", "5"}, func(c Config) error {
		assert.Equal(t, int64(5), c.Problem.N, "the check sees the parsed config")
		if *extra < 0 {
			return errors.New("tool: -extra must not be negative")
		}
		return nil
	})
	var u UsageError
	require.ErrorAs(t, err, &u)
	assert.EqualError(t, err, "tool: -extra must not be negative")
	assert.Equal(t, int64(5), c.Problem.N)
}

func TestHelpIsErrHelp(t *testing.T) {
	_, stderr, err := parse([]string{"-h"}, nil)
	assert.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, stderr, "usage: tool [flags]")
}

// TestMeasureKeepsTheBestRun: in fake time, runs of 3, 1 and 2 s give a
// row of 1 s, with that run's chunk figures, and the shortest start-up
// of all the runs.
func TestMeasureKeepsTheBestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := Config{Name: "tool", Problem: integrate.Problem{F: "x2", A: 0, B: 10, N: 100}, Repeat: 3}
		runs := []struct {
			took, startup time.Duration
			chunks        int
		}{{3 * time.Second, 500 * time.Millisecond, 3}, {time.Second, 700 * time.Millisecond, 1}, {2 * time.Second, 600 * time.Millisecond, 2}}
		i := 0
		m, err := Measure(t.Context(), c, Measurement{Mode: "fast", Pool: "cold", Workers: 2}, &bytes.Buffer{},
			func(ctx context.Context) (Run, error) {
				r := runs[i]
				i++
				time.Sleep(r.took)
				return Run{Value: 42, Startup: r.startup, Chunks: r.chunks, ChunkWorkers: r.chunks,
					ChunkOverhead: time.Duration(r.chunks) * time.Millisecond}, nil
			})
		require.NoError(t, err)
		assert.Equal(t, 1.0, m.Seconds)
		assert.Equal(t, 0.5, m.StartupSeconds, "the shortest start-up of the runs")
		assert.Equal(t, 1, m.Chunks, "the fastest run's chunks")
		assert.Equal(t, 1, m.ChunkWorkers)
		assert.Equal(t, 0.001, m.ChunkOverheadSeconds)
		assert.Equal(t, 42.0, m.Result)
		assert.Equal(t, "x2", m.F)
		assert.Equal(t, 3, m.Repeat)
		exact, _ := integrate.Exact(c.Problem)
		assert.Equal(t, exact, *m.Exact)
	})
}

func TestMeasureRefusesRunsThatDisagree(t *testing.T) {
	c := Config{Name: "tool", Problem: integrate.Problem{F: "x2", A: 0, B: 10, N: 100}, Repeat: 2}
	v := 1.0
	_, err := Measure(t.Context(), c, Measurement{Mode: "slow", Workers: 3}, &bytes.Buffer{},
		func(ctx context.Context) (Run, error) {
			v = math.Nextafter(v, 2)
			return Run{Value: v}, nil
		})
	assert.EqualError(t, err, "tool: slow with 3 workers gave 1.0000000000000002, then 1.0000000000000004")

	_, err = Measure(t.Context(), c, Measurement{Mode: "slow", Pool: "warm", Workers: 3}, &bytes.Buffer{},
		func(ctx context.Context) (Run, error) { return Run{}, errors.New("broken") })
	assert.EqualError(t, err, "tool: slow (warm) with 3 workers: broken")
}

// TestMeasureAllMeasuresSerialFirst: serial first, then each kind with
// each worker count, each with its speedup over serial; with -json, a
// line per row; and serial is measured even when -mode leaves it out.
func TestMeasureAllMeasuresSerialFirst(t *testing.T) {
	p := integrate.Problem{F: "x2", A: 0, B: 10, N: 1000}
	want, err := integrate.Serial(t.Context(), p)
	require.NoError(t, err)
	var order []string
	kind := func(mode, pool string) Kind {
		return Kind{Mode: mode, Pool: pool, Measure: func(ctx context.Context, m Measurement) (Measurement, error) {
			order = append(order, m.Label()+" "+string(rune('0'+m.Workers)))
			m.Result, m.Seconds = want, 0.5
			return m, nil
		}}
	}
	for _, modes := range [][]string{{"serial", "fast"}, {"fast"}} {
		order = nil
		var out bytes.Buffer
		c := Config{Name: "tool", Problem: p, Modes: modes, Workers: []int{1, 2}, Repeat: 1, JSON: true}
		base, rows, err := MeasureAll(t.Context(), c, &out, &bytes.Buffer{}, []Kind{kind("fast", ""), kind("slow", "warm")})
		require.NoError(t, err)
		assert.Equal(t, []string{"fast 1", "fast 2", "slow (warm) 1", "slow (warm) 2"}, order)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(base.Result))
		assert.Equal(t, "serial", base.Mode)
		var lines []Measurement
		for l := range strings.Lines(out.String()) {
			var m Measurement
			require.NoError(t, json.Unmarshal([]byte(l), &m))
			lines = append(lines, m)
		}
		assert.Len(t, lines, len(rows), "a JSON line per row")
		if modes[0] == "serial" {
			require.Len(t, rows, 5)
			assert.Equal(t, base, rows[0])
			assert.Equal(t, 1.0, rows[0].Speedup)
		} else {
			require.Len(t, rows, 4, "serial is measured, not shown")
		}
		last := rows[len(rows)-1]
		assert.Equal(t, base.Seconds/0.5, last.Speedup)
		assert.Equal(t, last.Speedup/2, last.Efficiency)
	}
}

func TestPrintTablePutsTheNotesUnderTheRows(t *testing.T) {
	c := Config{Name: "tool", Problem: integrate.Problem{F: "x2", A: 0, B: 10, N: 1000}, Modes: []string{"fast"}, Repeat: 3}
	base := Measurement{Mode: "serial", Workers: 1, Result: 1, Seconds: 2, Speedup: 1, Efficiency: 1, Kernel: "k"}
	rows := []Measurement{{Mode: "fast", Pool: "cold", Workers: 2, Result: 1, Seconds: 1, StartupSeconds: 0.25, Speedup: 2, Efficiency: 1}}
	var out bytes.Buffer
	require.NoError(t, PrintTable(&out, c, base, rows, []string{"note one", "  note two"}))
	got := out.String()
	assert.Contains(t, got, "kernel: k, in every mode\neach time is the best of 3 runs\nspeedups are over serial, measured first: 2s\n")
	assert.Regexp(t, `\nfast \(cold\) +2 +1 +n/a +1s +250ms +2\.00x +100%\n\nnote one\n  note two\n\nspeedup over serial:\n`, got)
}
