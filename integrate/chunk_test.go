package integrate

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkProblems are problems for the chunk API's tests: every integrand
// and every rule, with N below one block, one block and a point, and a
// few blocks that N does not divide, on bounds that are not round.
func chunkProblems(t *testing.T) []Problem {
	t.Helper()
	ns := []int64{1, 2, BlockSize, BlockSize + 2, 3*BlockSize + 5, 100_003, 250_000}
	var out []Problem
	i := 0
	for _, in := range Integrands() {
		a, b := -1.25, 2.5
		if in.Name == "sqrt1mx2" {
			a, b = -0.75, 1
		}
		for _, r := range Rules() {
			n := ns[i%len(ns)]
			i++
			if r == Simpson && n%2 != 0 {
				n++
			}
			out = append(out, Problem{F: in.Name, A: a, B: b, N: n, Rule: r})
		}
	}
	return out
}

// sumsOf computes every chunk's sums.
func sumsOf(t *testing.T, chunks []Chunk) [][]float64 {
	t.Helper()
	sums := make([][]float64, len(chunks))
	for i, c := range chunks {
		s, err := c.Sums(t.Context())
		require.NoError(t, err, "chunk %d: %v", i, c)
		sums[i] = s
	}
	return sums
}

// TestCombineOfSumsOfSplitIsSerial is the chunk API's promise: split a
// problem for any number of workers, compute the chunks anywhere, in any
// order, combine them, and the result has Serial's bits.
func TestCombineOfSumsOfSplitIsSerial(t *testing.T) {
	for _, p := range chunkProblems(t) {
		want, err := Serial(t.Context(), p)
		require.NoError(t, err)
		for _, workers := range []int{1, 2, 3, 4, 7, 8, 13} {
			chunks, err := Split(p, workers)
			require.NoError(t, err, "%v, %d workers", p, workers)
			sums := sumsOf(t, chunks)
			got, err := Combine(p, chunks, sums)
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%v, %d workers: Combine gave %v, Serial %v", p, workers, got, want)

			// The chunks and their sums, in another order: the same bits.
			slices.Reverse(chunks)
			slices.Reverse(sums)
			got, err = Combine(p, chunks, sums)
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v, %d workers, reversed", p, workers)
		}
	}
}

func TestSplitCoversEveryBlockOnceInOrder(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 100*BlockSize + 7}
	x2, err := Lookup("x2")
	require.NoError(t, err)
	for _, workers := range []int{1, 2, 5, 8, 200} {
		chunks, err := Split(p, workers)
		require.NoError(t, err)
		if workers > 1 && workers < 101 {
			assert.Greater(t, len(chunks), workers, "%d workers: more chunks than workers, to balance the load", workers)
		}
		var next int64
		for i, c := range chunks {
			assert.Equal(t, next, c.First, "%d workers: chunk %d begins where the last ended", workers, i)
			assert.Less(t, c.First, c.Last, "%d workers: chunk %d is not empty", workers, i)
			assert.Equal(t, p, c.Problem())
			assert.Equal(t, x2.Kernel(), c.Kernel, "a chunk names this build's kernel")
			next = c.Last
		}
		assert.Equal(t, int64(101), next, "%d workers: the chunks end at the last block", workers)
	}
}

func TestSplitRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		p       Problem
		workers int
		want    string
	}{
		{Problem{F: "x2", A: 0, B: 1, N: 10}, 0, "workers = 0; need at least 1"},
		{Problem{Func: math.Sin, A: 0, B: 1, N: 10}, 2, "a Go func cannot be sent to another process"},
		{Problem{F: "x^2", A: 0, B: 1, N: 10}, 2, `unknown integrand "x^2"`},
		{Problem{F: "x2", A: 1, B: 0, N: 10}, 2, "need a < b"},
	} {
		chunks, err := Split(tc.p, tc.workers)
		assert.ErrorIs(t, err, ErrInvalid, "%v, %d workers", tc.p, tc.workers)
		assert.ErrorContains(t, err, tc.want)
		assert.Nil(t, chunks)
	}
}

// TestChunkSurvivesJSON: a chunk sent as JSON, as the cluster command
// sends it, computes the same sums. encoding/json writes a float64 with
// the fewest digits that read back as the same bits.
func TestChunkSurvivesJSON(t *testing.T) {
	p := Problem{F: "gauss", A: -math.Pi, B: 0.1 + 0.2, N: 3*BlockSize + 1, Rule: Trapezoid}
	chunks, err := Split(p, 2)
	require.NoError(t, err)
	for _, c := range chunks {
		data, err := json.Marshal(c)
		require.NoError(t, err)
		var back Chunk
		require.NoError(t, json.Unmarshal(data, &back))
		assert.Equal(t, c, back)
	}
}

func TestSumsRefusesABadChunk(t *testing.T) {
	x2, err := Lookup("x2")
	require.NoError(t, err)
	good := Chunk{F: "x2", A: 0, B: 10, N: 3 * BlockSize, First: 1, Last: 3, Kernel: x2.Kernel()}
	sums, err := good.Sums(t.Context())
	require.NoError(t, err)
	assert.Len(t, sums, 2)

	other := good
	other.Kernel = "SIMD, 4×Float64x8 (AVX-512), on another machine"
	_, err = other.Sums(t.Context())
	var ke *KernelError
	require.ErrorAs(t, err, &ke, "a chunk for another kernel is refused")
	assert.Equal(t, KernelError{F: "x2", Want: other.Kernel, Have: x2.Kernel()}, *ke)
	assert.EqualError(t, err, fmt.Sprintf(`integrate: the parent sums x2 with the kernel %q, this worker with %q: `+
		"not the same build of the program", other.Kernel, x2.Kernel()))

	none := good
	none.Kernel = ""
	_, err = none.Sums(t.Context())
	require.ErrorAs(t, err, &ke)
	assert.EqualError(t, err, fmt.Sprintf("integrate: the chunk names no kernel; this worker sums x2 with %q", x2.Kernel()))

	for _, tc := range []struct {
		first, last int64
	}{{-1, 2}, {2, 4}, {2, 2}, {3, 1}} {
		bad := good
		bad.First, bad.Last = tc.first, tc.last
		_, err := bad.Sums(t.Context())
		assert.ErrorIs(t, err, ErrInvalid)
		assert.ErrorContains(t, err, fmt.Sprintf("chunk of blocks [%d, %d): not a range inside the problem's [0, 3)", tc.first, tc.last))
	}

	unknown := good
	unknown.F = "x4"
	_, err = unknown.Sums(t.Context())
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, `unknown integrand "x4"`)
}

func TestSumsStopsWhenCtxIsDone(t *testing.T) {
	chunks, err := Split(Problem{F: "x2", A: 0, B: 1, N: 8 * BlockSize}, 1)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	sums, err := chunks[0].Sums(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, sums)
}

func TestCombineRejectsChunksThatDoNotMakeTheProblem(t *testing.T) {
	p := Problem{F: "x2", A: 0, B: 10, N: 40 * BlockSize}
	chunks := evenChunks(t, p, 8) // 8 chunks of 5 blocks
	sums := sumsOf(t, chunks)

	for _, tc := range []struct {
		name   string
		change func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64)
		want   string
	}{
		{"a chunk missing", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			return slices.Delete(cs, 3, 4), slices.Delete(ss, 3, 4)
		}, "Combine: blocks 15..19 are in no chunk"},
		{"the last chunk missing", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			return cs[:7], ss[:7]
		}, "Combine: blocks 35..39 are in no chunk"},
		{"a chunk twice", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			return append(cs, cs[2]), append(ss, ss[2])
		}, "Combine: block 10 is in chunk 2 and in chunk 8"},
		{"a sum missing", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			ss[5] = ss[5][:4]
			return cs, ss
		}, "Combine: chunk 5 (blocks 25..29) has 4 sums for its 5 blocks"},
		{"fewer lists of sums", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			return cs, ss[:7]
		}, "Combine: 8 chunks but 7 lists of sums"},
		{"a chunk of another problem", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			cs[1].B = 11
			return cs, ss
		}, "Combine: chunk 1 is of x2 on [0, 11]"},
		{"a chunk of another kernel", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			cs[4].Kernel = "another"
			return cs, ss
		}, `Combine: chunk 4 was summed with the kernel "another"`},
		{"a chunk past the end", func(cs []Chunk, ss [][]float64) ([]Chunk, [][]float64) {
			cs[7].Last = 41
			ss[7] = append(ss[7], 0)
			return cs, ss
		}, "Combine: chunk 7 has blocks [35, 41), not a range inside [0, 40)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, ss := tc.change(slices.Clone(chunks), slices.Clone(sums))
			v, err := Combine(p, cs, ss)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.ErrorContains(t, err, tc.want)
			assert.Zero(t, v)
		})
	}
}

// evenChunks cuts p into n chunks of equal blocks, as Split may not.
func evenChunks(t *testing.T, p Problem, n int64) []Chunk {
	t.Helper()
	in, err := Lookup(p.F)
	require.NoError(t, err)
	blocks := (p.N + BlockSize - 1) / BlockSize
	require.Zero(t, blocks%n)
	var out []Chunk
	for first := int64(0); first < blocks; first += blocks / n {
		out = append(out, Chunk{F: p.F, A: p.A, B: p.B, N: p.N, Rule: p.Rule,
			First: first, Last: first + blocks/n, Kernel: in.Kernel()})
	}
	return out
}

func TestChunkStringNamesItsPartOfTheInterval(t *testing.T) {
	chunks := evenChunks(t, Problem{F: "x2", A: 0, B: 10, N: 8 * BlockSize}, 4)
	assert.Equal(t, "blocks 2..3 of x2 on [0, 10], n=131072, midpoint rule, x in [2.5, 5)", chunks[1].String())
	assert.Equal(t, "blocks 99..98 of x2 on [0, 10], n=131072, midpoint rule",
		Chunk{F: "x2", A: 0, B: 10, N: 8 * BlockSize, First: 99, Last: 99}.String(), "a bad chunk is named all the same")
}

func TestSpansReturnsWhatWithSpansSet(t *testing.T) {
	assert.Nil(t, Spans(t.Context()))
	var got string
	ctx := WithSpans(t.Context(), func(row, _ string, _, _ time.Time) { got = row })
	f := Spans(ctx)
	require.NotNil(t, f)
	f("worker 7", "blocks 0-1", time.Time{}, time.Time{})
	assert.Equal(t, "worker 7", got)
}
