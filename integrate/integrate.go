package integrate

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// BlockSize is the number of points summed as one block. The blocks, and
// the tree that adds their sums, depend only on N, which is what makes the
// result the same in every mode and for every worker count.
const BlockSize = 1 << 14

// MaxN is the largest number of points (intervals) a Problem may have:
// 2^36, about 6.9e10. Up to it every point index is exact in a float64
// (which holds integers up to 2^53), and the block sums, 8 bytes per
// BlockSize points, take at most 32 MiB. At about 0.5 ns per point it is
// half a minute of work per core.
const MaxN = 1 << 36

// ErrInvalid is wrapped by every error about a bad Problem or worker
// count, so callers can tell bad input from a failed run with errors.Is.
var ErrInvalid = errors.New("invalid input")

// A Rule is a quadrature rule: where in each of the N intervals the
// integrand is evaluated, and with which weights. The zero Rule is
// Midpoint.
type Rule int

const (
	// Midpoint evaluates f at the middle of each interval. Its error
	// shrinks as 1/N²: (b-a)·h²·f″(ξ)/24 for some ξ in [a, b], with h = (b-a)/N.
	Midpoint Rule = iota
	// Left evaluates f at the left end of each interval: the rule of the
	// Python notes' integrate(f, a, b, N). Its error shrinks only as 1/N.
	Left
	// Trapezoid averages f at both ends of each interval (N+1 points).
	// Its error shrinks as 1/N², about twice the midpoint rule's.
	Trapezoid
	// Simpson fits a parabola through each pair of intervals (N+1
	// points, weights 1 4 2 4 ... 2 4 1, times h/3). N must be even. Its
	// error shrinks as 1/N⁴.
	Simpson
)

// Rules returns the rules in the order the documentation lists them.
func Rules() []Rule { return []Rule{Left, Midpoint, Trapezoid, Simpson} }

// String returns the rule's name, as ParseRule accepts it.
func (r Rule) String() string {
	switch r {
	case Left:
		return "left"
	case Midpoint:
		return "midpoint"
	case Trapezoid:
		return "trapezoid"
	case Simpson:
		return "simpson"
	}
	return fmt.Sprintf("Rule(%d)", int(r))
}

// ParseRule returns the rule with the given name. For an unknown name the
// error names the closest rule.
func ParseRule(name string) (Rule, error) {
	var names []string
	for _, r := range Rules() {
		if r.String() == name {
			return r, nil
		}
		names = append(names, r.String())
	}
	return 0, unknown("rule", name, "rules", names)
}

// A Problem is one integral to compute: ∫ f(x) dx from A to B with N
// intervals and the given rule. Set exactly one of F and Func.
type Problem struct {
	// F names a registered integrand (see Integrands). Every mode,
	// including Processes, accepts it, and Exact knows its integral.
	F string
	// Func is any Go function. Serial and Goroutines accept it;
	// Processes cannot, because a function cannot be sent to another
	// process. It costs an indirect call per point (see the README).
	Func func(float64) float64

	A, B float64 // the bounds: finite, A < B, inside F's domain
	N    int64   // the number of intervals: 1 ≤ N ≤ MaxN, even for Simpson
	Rule Rule
}

func (p Problem) String() string {
	name := p.F
	if p.Func != nil {
		name = "func"
	}
	return fmt.Sprintf("%s on [%g, %g], n=%d, %v rule", name, p.A, p.B, p.N, p.Rule)
}

// Exact returns the exact value of p's integral, from its integrand's
// antiderivative, and true; or false if p's integrand is a Func, is not
// registered, or has no antiderivative. It does not check the rest of p.
func Exact(p Problem) (float64, bool) {
	if p.Func != nil {
		return 0, false
	}
	in, err := Lookup(p.F)
	if err != nil || in.Antiderivative == nil {
		return 0, false
	}
	return in.Antiderivative(p.B) - in.Antiderivative(p.A), true
}

// Check reports whether p is a valid problem, and if not, why. Every mode
// checks its Problem with it before doing any work.
func (p Problem) Check() error {
	_, err := newPlan(p)
	return err
}

// invalid formats an error about bad input, which matches ErrInvalid.
func invalid(format string, args ...any) error {
	return inputError("integrate: " + fmt.Sprintf(format, args...))
}

// An inputError is an error about bad input. It matches ErrInvalid in
// errors.Is without adding ErrInvalid's text to its message.
type inputError string

func (e inputError) Error() string        { return string(e) }
func (e inputError) Is(target error) bool { return target == ErrInvalid }

// A plan is a checked Problem, ready to compute block by block. Every mode
// computes block k with plan.block(k) and combines the sums with
// plan.finish, so every mode gets the same bits.
type plan struct {
	f      func(float64) float64
	kernel func(a, dx, t0 float64, n int) (even, odd float64)
	// kernelName names kernel, as Integrand.Kernel does; a worker process
	// checks that its plan has the same.
	kernelName string
	a, b       float64
	dx         float64
	n          int64
	rule       Rule
	offset     float64 // where in its interval each point is: 0 or 1/2
	blocks     int64
}

func newPlan(p Problem) (*plan, error) {
	pl := &plan{a: p.A, b: p.B, n: p.N, rule: p.Rule}
	switch {
	case p.Func != nil && p.F != "":
		return nil, invalid("set Problem.F (%q) or Problem.Func, not both", p.F)
	case p.Func != nil:
		f := p.Func
		pl.f = f
		pl.kernel = func(a, dx, t0 float64, n int) (float64, float64) {
			return kernelFunc(f, a, dx, t0, n)
		}
		pl.kernelName = funcKernel
	case p.F == "":
		return nil, invalid("no integrand: set Problem.F to a registered name or Problem.Func")
	default:
		in, err := Lookup(p.F)
		if err != nil {
			return nil, err
		}
		if p.A < in.Lo || p.B > in.Hi {
			return nil, invalid("%s is defined on [%g, %g]; [%g, %g] is not inside it",
				in.Name, in.Lo, in.Hi, p.A, p.B)
		}
		pl.f = in.F
		pl.kernel, pl.kernelName = in.blockKernel()
	}
	for _, bound := range []struct {
		name string
		v    float64
	}{{"a", p.A}, {"b", p.B}} {
		if math.IsNaN(bound.v) || math.IsInf(bound.v, 0) {
			return nil, invalid("bound %s is %v; bounds must be finite", bound.name, bound.v)
		}
	}
	if !(p.A < p.B) {
		return nil, invalid("need a < b; got a = %g, b = %g", p.A, p.B)
	}
	switch {
	case p.N < 1:
		return nil, invalid("n = %d; need at least 1 interval", p.N)
	case p.N > MaxN:
		return nil, invalid("n = %d is more than MaxN = %d (2^36)", p.N, int64(MaxN))
	}
	switch p.Rule {
	case Left, Trapezoid:
	case Midpoint:
		pl.offset = 0.5
	case Simpson:
		if p.N%2 != 0 {
			return nil, invalid("the simpson rule needs an even n; got %d (use %d or %d)",
				p.N, p.N-1, p.N+1)
		}
	default:
		return nil, invalid("unknown rule %v", p.Rule)
	}
	pl.dx = (p.B - p.A) / float64(p.N)
	pl.blocks = (p.N + BlockSize - 1) / BlockSize
	return pl, nil
}

// block returns the weighted sum of f over the points of block k: indices
// k·BlockSize up to the next block's first index or N. Each point is
// computed from its index, x = a + (i+offset)·dx, never by adding dx up,
// so it does not depend on where a worker started.
func (pl *plan) block(k int64) float64 {
	first := k * BlockSize
	count := min(BlockSize, pl.n-first)
	even, odd := pl.kernel(pl.a, pl.dx, float64(first)+pl.offset, int(count))
	if pl.rule == Simpson {
		// A block starts at an even index, so its even points are the
		// problem's even points: weight 2 inside, 4 at odd indices.
		return 2*even + 4*odd
	}
	return even + odd
}

// finish combines the block sums, in block order along a fixed pairwise
// tree, and applies the rule's end corrections and factor.
func (pl *plan) finish(sums []float64) float64 {
	s := pairwise(sums)
	switch pl.rule {
	case Trapezoid:
		// The blocks summed f at indices 0..N-1 with weight 1; the
		// trapezoid rule wants f(a)/2 and adds f(b)/2.
		return (s + (pl.f(pl.b)-pl.f(pl.a))/2) * pl.dx
	case Simpson:
		// The blocks gave f(a) weight 2; Simpson's rule wants 1, and f(b)
		// with weight 1.
		return (s - pl.f(pl.a) + pl.f(pl.b)) * pl.dx / 3
	}
	return s * pl.dx
}

// pairwise adds s by halves: the sum of the first half plus the sum of
// the second. The tree depends only on len(s), and each sum's rounding
// error grows with the depth, log2(len(s)), instead of len(s).
func pairwise(s []float64) float64 {
	switch len(s) {
	case 0:
		return 0
	case 1:
		return s[0]
	case 2:
		return s[0] + s[1]
	}
	m := len(s) / 2
	return pairwise(s[:m]) + pairwise(s[m:])
}

// A blockRange is the blocks First up to but not including Last.
type blockRange struct{ First, Last int64 }

// chunks splits blocks 0..nb-1 into at most c contiguous ranges whose
// sizes differ by at most one. How the blocks are split changes which
// worker computes a block, never its sum.
func chunks(nb int64, c int) []blockRange {
	c = int(min(int64(c), nb))
	out := make([]blockRange, c)
	for i := range c {
		out[i] = blockRange{nb * int64(i) / int64(c), nb * int64(i+1) / int64(c)}
	}
	return out
}

// Serial computes p's integral on the calling goroutine. It checks ctx
// between blocks (every BlockSize points) and returns ctx.Err() if ctx is
// done before it finishes.
func Serial(ctx context.Context, p Problem) (float64, error) {
	pl, err := newPlan(p)
	if err != nil {
		return 0, err
	}
	return pl.serial(ctx)
}

// serial is Serial once the plan is made; the benchmarks call it with a
// plan whose kernel they chose.
func (pl *plan) serial(ctx context.Context) (float64, error) {
	sums := make([]float64, pl.blocks)
	done := ctx.Done()
	for k := range sums {
		select {
		case <-done: // cancelled: stop between blocks
			return 0, ctx.Err()
		default: // carry on
		}
		sums[k] = pl.block(int64(k))
	}
	return pl.finish(sums), nil
}

// chunksPerGoroutine is how many ranges of blocks each goroutine takes on
// average: more than one, so that a goroutine that is descheduled for a
// while (another process wants the core) does not hold up the end.
const chunksPerGoroutine = 8

// Goroutines computes p's integral on workers goroutines, which take
// ranges of blocks from a shared counter and write each block's sum into
// its own slot of a slice. It returns when every goroutine has ended. The
// result is bit for bit the one Serial returns, for every worker count.
//
// If ctx is done first, the goroutines stop after their current block and
// Goroutines returns ctx.Err(). workers must be at least 1; no more than
// one goroutine per block is started.
func Goroutines(ctx context.Context, p Problem, workers int) (float64, error) {
	pl, err := newPlan(p)
	if err != nil {
		return 0, err
	}
	if workers < 1 {
		return 0, invalid("workers = %d; need at least 1", workers)
	}
	return pl.goroutines(ctx, workers)
}

// goroutines is Goroutines once the plan is made and workers checked; the
// benchmarks call it with a plan whose kernel they chose.
func (pl *plan) goroutines(ctx context.Context, workers int) (float64, error) {
	sums := make([]float64, pl.blocks)
	work := chunks(pl.blocks, workers*chunksPerGoroutine)
	var next atomic.Int64 // index of the next range in work to take
	done := ctx.Done()
	span := spansOf(ctx)
	var wg sync.WaitGroup
	for id := range min(workers, len(work)) {
		wg.Go(func() {
			for {
				c := next.Add(1) - 1
				if c >= int64(len(work)) {
					return
				}
				begin := time.Now()
				for k := work[c].First; k < work[c].Last; k++ {
					select {
					case <-done: // cancelled: Goroutines returns ctx.Err()
						return
					default: // carry on
					}
					// Each slot is written by one goroutine only, and
					// wg.Wait synchronizes these writes before the read
					// in finish.
					sums[k] = pl.block(k)
				}
				if span != nil {
					span(fmt.Sprintf("goroutine %d", id+1), blocksLabel(work[c].First, work[c].Last), begin, time.Now())
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return pl.finish(sums), nil
}

// A SpanFunc is told of each piece of work that Goroutines, Processes and
// Pool.Integrate finish: who did it (row: "goroutine 2", "process 4711"),
// what (label: "blocks 8-15"), and when, by the wall clock. It is called
// from the goroutine that did the piece, or that waited for a worker
// process to do it, so several calls may run at once. A piece that fails
// or is cancelled is not reported. It lets a caller draw a timeline (the
// integrate command's -timeline) without this package drawing anything.
type SpanFunc func(row, label string, start, end time.Time)

type spansKey struct{}

// WithSpans returns a copy of ctx that makes Goroutines, Processes and
// Pool.Integrate report each finished piece of work to f. Serial does
// not: it has no pieces to overlap.
func WithSpans(ctx context.Context, f SpanFunc) context.Context {
	return context.WithValue(ctx, spansKey{}, f)
}

// spansOf returns the SpanFunc that ctx carries, or nil.
func spansOf(ctx context.Context) SpanFunc {
	f, _ := ctx.Value(spansKey{}).(SpanFunc)
	return f
}

// blocksLabel names the blocks [first, last) for a span: "blocks 8-15".
func blocksLabel(first, last int64) string {
	if last-first == 1 {
		return fmt.Sprintf("block %d", first)
	}
	return fmt.Sprintf("blocks %d-%d", first, last-1)
}
