package integrate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// A Chunk is a part of a Problem that another program may compute: the
// blocks First up to but not including Last of the problem (F, A, B, N,
// Rule), to be summed with the block kernel named Kernel. It holds names
// and numbers only, so it can be sent anywhere (as JSON, gob, ...), and
// a process that receives it rebuilds from these fields exactly the dx
// and points the process that made it would use.
//
// [Split] makes the chunks of a problem, [Chunk.Sums] computes one, and
// [Combine] adds their sums into the integral, with the bits of [Serial]
// whoever computed each chunk, in whatever order, on whichever machine:
// provided that each ran the same kernel, which Sums checks. The
// processes mode sends its workers Chunks; the cluster command
// (integrate/cmd/cluster) sends them through a task queue.
type Chunk struct {
	F           string  // the integrand, by its registered name
	A, B        float64 // the problem's bounds (not the chunk's part of them)
	N           int64   // the problem's number of intervals
	Rule        Rule
	First, Last int64 // the blocks, Last excluded: 0 ≤ First < Last ≤ the problem's blocks

	// Kernel names the block kernel the program that split the problem
	// sums F with (Integrand.Kernel). Another build of the program (the
	// default one and GOEXPERIMENT=simd, or another architecture) may sum
	// F with another kernel, whose sums have other bits: Sums refuses to
	// compute a chunk whose Kernel is not its own.
	Kernel string
}

// Problem returns the problem c is a part of.
func (c Chunk) Problem() Problem {
	return Problem{F: c.F, A: c.A, B: c.B, N: c.N, Rule: c.Rule}
}

// Blocks returns how many blocks c has.
func (c Chunk) Blocks() int64 { return c.Last - c.First }

// String names c by its blocks and its part of [A, B], as
// "blocks 20..24 of x2 on [0, 10], n=100000000, midpoint rule, x in [5, 6.25)".
func (c Chunk) String() string {
	s := fmt.Sprintf("blocks %d..%d of %v", c.First, c.Last-1, c.Problem())
	if pl, err := newPlan(c.Problem()); err == nil && 0 <= c.First && c.First < c.Last && c.Last <= pl.blocks {
		s += fmt.Sprintf(", x in [%g, %g)", pl.x(c.First), pl.x(c.Last))
	}
	return s
}

// A KernelError is the refusal of a chunk by a process whose block kernel
// for the chunk's integrand is not the one the chunk names: its sums would
// have other bits than the rest of the problem's.
type KernelError struct {
	F    string // the integrand
	Want string // the kernel the chunk names ("" if it names none)
	Have string // the kernel of this process
}

func (e *KernelError) Error() string {
	if e.Want == "" {
		return fmt.Sprintf("integrate: the chunk names no kernel; this worker sums %s with %q", e.F, e.Have)
	}
	return fmt.Sprintf("integrate: the parent sums %s with the kernel %q, this worker with %q: "+
		"not the same build of the program", e.F, e.Want, e.Have)
}

// Split cuts p into chunks for workers workers, the ranges the processes
// mode sends its workers: in block order, together covering every block
// of p once, and shrinking, largest first, from 1/(2·workers) of the
// blocks not yet given out to 1/(16·workers) of them all, so that the
// first chunks cost few round trips and the last ones let the workers
// finish together. Each names this build's kernel for p's integrand.
//
// p must name a registered integrand (Problem.F): a Go func cannot be
// sent to another process. Split returns an error matching ErrInvalid,
// and no chunk, if p is not valid or workers < 1.
func Split(p Problem, workers int) ([]Chunk, error) {
	if workers < 1 {
		return nil, invalid("workers = %d; need at least 1", workers)
	}
	pl, err := newProcessesPlan(p)
	if err != nil {
		return nil, err
	}
	ranges := guided(pl.blocks, workers)
	out := make([]Chunk, len(ranges))
	for i, r := range ranges {
		out[i] = Chunk{F: p.F, A: p.A, B: p.B, N: p.N, Rule: p.Rule,
			First: r.First, Last: r.Last, Kernel: pl.kernelName}
	}
	return out, nil
}

// Sums returns the sums of c's blocks, in block order: Last - First
// numbers, each computed as Serial computes that block. It checks ctx
// between blocks and returns ctx.Err() if ctx is done first.
//
// Sums returns an error matching ErrInvalid if c's problem is not valid
// or its blocks are not inside it, and a *KernelError if this process
// sums c's integrand with another kernel than c names.
func (c Chunk) Sums(ctx context.Context) ([]float64, error) {
	pl, err := c.plan()
	if err != nil {
		return nil, err
	}
	sums := make([]float64, 0, c.Blocks())
	done := ctx.Done()
	for k := c.First; k < c.Last; k++ {
		select {
		case <-done: // cancelled: stop between blocks
			return nil, ctx.Err()
		default: // carry on
		}
		sums = append(sums, pl.block(k))
	}
	return sums, nil
}

// plan checks c and returns its problem's plan.
func (c Chunk) plan() (*plan, error) {
	pl, err := newProcessesPlan(c.Problem())
	if err != nil {
		return nil, err
	}
	if c.Kernel != pl.kernelName {
		return nil, &KernelError{F: c.F, Want: c.Kernel, Have: pl.kernelName}
	}
	if c.First < 0 || c.Last > pl.blocks || c.First >= c.Last {
		return nil, invalid("chunk of blocks [%d, %d): not a range inside the problem's [0, %d)",
			c.First, c.Last, pl.blocks)
	}
	return pl, nil
}

// Combine returns p's integral from its chunks and their sums: sums[i]
// holds the sums of chunks[i]'s blocks, as Chunk.Sums returns them. The
// chunks may come in any order, but together they must cover every block
// of p exactly once: then the result is bit for bit Serial's.
//
// Combine returns an error matching ErrInvalid, naming the first thing
// wrong, if p is not valid, a chunk is not of p (another problem, or
// another kernel than this build's), two chunks share a block, a block is
// in no chunk, or a chunk has not one sum per block.
func Combine(p Problem, chunks []Chunk, sums [][]float64) (float64, error) {
	pl, err := newProcessesPlan(p)
	if err != nil {
		return 0, err
	}
	if len(sums) != len(chunks) {
		return 0, invalid("Combine: %d chunks but %d lists of sums", len(chunks), len(sums))
	}
	for i, c := range chunks {
		if c.F != p.F || c.A != p.A || c.B != p.B || c.N != p.N || c.Rule != p.Rule {
			return 0, invalid("Combine: chunk %d is of %v, not of %v", i, c.Problem(), p)
		}
		if c.Kernel != pl.kernelName {
			return 0, invalid("Combine: chunk %d was summed with the kernel %q; this build sums %s with %q",
				i, c.Kernel, p.F, pl.kernelName)
		}
		if c.First < 0 || c.Last > pl.blocks || c.First >= c.Last {
			return 0, invalid("Combine: chunk %d has blocks [%d, %d), not a range inside [0, %d)",
				i, c.First, c.Last, pl.blocks)
		}
		if int64(len(sums[i])) != c.Blocks() {
			return 0, invalid("Combine: chunk %d (blocks %d..%d) has %d sums for its %d blocks",
				i, c.First, c.Last-1, len(sums[i]), c.Blocks())
		}
	}
	// We walk the chunks in block order: each must begin where the last
	// one ended.
	order := make([]int, len(chunks))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int { return cmp.Compare(chunks[i].First, chunks[j].First) })
	all := make([]float64, 0, pl.blocks)
	for n, i := range order {
		c := chunks[i]
		next := int64(len(all))
		switch {
		case c.First > next:
			return 0, invalid("Combine: blocks %d..%d are in no chunk", next, c.First-1)
		case c.First < next:
			return 0, invalid("Combine: block %d is in chunk %d and in chunk %d", c.First, order[n-1], i)
		}
		all = append(all, sums[i]...)
	}
	if next := int64(len(all)); next < pl.blocks {
		return 0, invalid("Combine: blocks %d..%d are in no chunk", next, pl.blocks-1)
	}
	return pl.finish(all), nil
}

// Spans returns the SpanFunc that ctx carries (see WithSpans), or nil: a
// mode computed outside this package, such as the cluster command's,
// reports its pieces of work through it as the package's own modes do.
func Spans(ctx context.Context) SpanFunc { return spansOf(ctx) }
