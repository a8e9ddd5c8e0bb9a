package integrate

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
	"golang.org/x/sync/errgroup"
)

// workerName is the worker mode this package's processes run in: the
// value of processpool.EnvWorker in their environment.
const workerName = "integrate"

// guided splits nb blocks into ranges for workers processes, largest
// first: each takes 1/(2*workers) of the blocks not yet given out, and none
// is smaller than 1/(16*workers) of them all (or one block). Big ranges at
// the start make few round trips through the pipes (see BenchmarkFanOut);
// small ones at the end let the workers finish together, so that a worker
// whose core was busy for a while, or that got a costlier part of the
// interval, does not leave the other idle at the end of the run. This is
// OpenMP's schedule(guided).
func guided(nb int64, workers int) []blockRange {
	w := int64(workers)
	least := max(nb/(16*w), 1)
	var out []blockRange
	for first := int64(0); first < nb; {
		size := max((nb-first+2*w-1)/(2*w), least)
		last := min(first+size, nb)
		out = append(out, blockRange{first, last})
		first = last
	}
	return out
}

// The deadline of a chunk in the processes mode (processpool's job
// deadline) is chunkFloor plus chunkMargin times what the chunk's points
// cost when the parent computes a sample of them just before (costPerPoint).
// A worker that has not answered by then is killed and replaced, and the
// chunk retried once; a worker that hangs, or is stopped with SIGSTOP,
// costs at most two deadlines, instead of the whole run.
//
// Measuring the integrand, rather than assuming the costliest one, keeps
// the deadline in proportion: x2 costs 0.6 ns per point and sin near
// x = 1e15 about 26 ns (math.Sin reduces its argument the slow way), on
// a 2-core AMD EPYC VM, Linux, go1.26.8, 2026-12-05. The sample runs in
// the same build and on the same machine as the workers, so a race build,
// or a machine already loaded, makes it, and the deadline, longer. The
// margin is for load that comes later: a worker would have to run 100
// times slower than the sample did to meet the deadline. The floor is for
// what does not grow with the chunk (the round trip, encoding the sums,
// being scheduled on a busy machine).
//
// With -n 1e10 -workers 2 of x2 (a first chunk of 2.5e9 points), a
// stopped worker is killed after about 10 s + 100 × 0.6 ns × 2.5e9 = 160 s.
const (
	chunkMargin = 100
	chunkFloor  = 10 * time.Second
)

// costPerPoint returns what one point of pl costs in this process: the
// time to compute sample blocks of it, over their points. It computes at
// least one block and stops after 100 µs, a small part of any chunk worth
// sending to another process.
func (pl *plan) costPerPoint() time.Duration {
	begin := time.Now()
	var points int64
	for k := int64(0); k < pl.blocks; k++ {
		pl.block(k)
		points += min(BlockSize, pl.n-k*BlockSize)
		if time.Since(begin) >= 100*time.Microsecond {
			break
		}
	}
	return max(time.Since(begin)/time.Duration(points), time.Nanosecond/10)
}

// A request to a worker process is a Chunk (chunk.go): the problem, by
// integrand name, a range of blocks, and the parent's kernel name, which
// the worker checks against its own. A response holds the block sums of
// a Chunk, in block order, as the
// bits of each float64 (math.Float64bits): exact, and safe for NaN and
// ±Inf, which a JSON number cannot hold.
type response struct {
	Sums []uint64
	// For timelines: the worker's process ID, and when (wall clock, Unix
	// nanoseconds) it started and ended the work, since the time a
	// request spends in the pool includes waiting behind the range before it.
	PID        int
	Start, End int64
}

// ServeWorkerIfChild returns at once, unless this process was started as
// one of the processes mode's workers; then it serves requests on stdin
// and stdout until its stdin is closed, and exits the process without
// returning.
//
// Any program that uses Processes or NewPool must call it first thing in
// main (and a test binary first thing in TestMain): the workers are the
// program itself, started again from os.Executable() with
// processpool.EnvWorker=integrate in their environment. Like Python's
// if __name__ == "__main__" guard under multiprocessing's spawn start
// method, it keeps a worker from running the program instead of serving.
//
// A worker ignores os.Interrupt: Ctrl-C in a terminal reaches every
// process in the foreground group, and the parent, which owns its
// workers, is the one that decides to stop them.
func ServeWorkerIfChild() {
	if !processpool.IsWorker(workerName) {
		return
	}
	os.Exit(serveWorker(nil))
}

// serveWorker serves requests until stdin is closed and returns the exit
// status. The tests pass a fault, called before each request, to make a
// worker crash or write garbage.
func serveWorker(fault func(Chunk)) int {
	signal.Ignore(os.Interrupt)
	err := processpool.Serve(context.Background(), os.Stdin, os.Stdout,
		func(ctx context.Context, c Chunk) (response, error) {
			if fault != nil {
				fault(c)
			}
			return blockSums(ctx, c)
		})
	if err != nil {
		fmt.Fprintln(os.Stderr, "integrate worker:", err)
		return 1
	}
	return 0
}

// blockSums is the worker's side of a request: Chunk.Sums, which
// refuses a chunk for another kernel than this worker's.
func blockSums(ctx context.Context, c Chunk) (response, error) {
	start := time.Now()
	sums, err := c.Sums(ctx)
	if err != nil {
		return response{}, err
	}
	bits := make([]uint64, len(sums))
	for i, s := range sums {
		bits[i] = math.Float64bits(s)
	}
	return response{Sums: bits, PID: os.Getpid(), Start: start.UnixNano(), End: time.Now().UnixNano()}, nil
}

// A Pool is a set of long-lived worker processes for the processes mode,
// so that several integrals pay the cost of starting processes once.
// Its methods may be called from several goroutines at once. Close it
// when done: it owns child processes.
type Pool struct {
	pool    *processpool.Pool[Chunk, response]
	workers int
	// A chunk's deadline is floor plus perPoint for each of its points:
	// chunkFloor, and chunkMargin times the cost Integrate measures. Tests
	// set perPoint to fix it.
	floor, perPoint time.Duration
}

// chunkTimeout returns the deadline of a chunk of points points, each
// costing perPoint.
func (p *Pool) chunkTimeout(points int64, perPoint time.Duration) time.Duration {
	return p.floor + time.Duration(points)*perPoint
}

// NewPool starts workers worker processes and returns when each is ready:
// this program, re-executed from os.Executable(), whose main must call
// ServeWorkerIfChild first. The workers' stderr is this process's stderr.
// Each chunk of work that Integrate sends has a deadline that grows with
// its number of points: 10 s plus 100 times what its points cost when
// Integrate computes a sample of them.
//
// ctx bounds the pool's life: when it is done, every worker is killed and
// reaped, and Integrate fails. Close is still owed, and is the join point.
func NewPool(ctx context.Context, workers int) (*Pool, error) {
	if workers < 1 {
		return nil, invalid("workers = %d; need at least 1", workers)
	}
	cmd, err := processpool.Self(workerName)
	if err != nil {
		return nil, fmt.Errorf("integrate: %w", err)
	}
	cmd.Stderr = os.Stderr
	pool, err := processpool.New[Chunk, response](ctx, cmd, workers)
	if err != nil {
		return nil, fmt.Errorf("integrate: starting %d workers: %w", workers, err)
	}
	return &Pool{pool: pool, workers: workers, floor: chunkFloor}, nil
}

// Close stops every worker process and waits for each to exit. A Pool
// must not be used after Close.
func (p *Pool) Close() error { return p.pool.Close() }

// Stats reports how many workers were started and crashed, how many
// requests were retried and how many ran.
func (p *Pool) Stats() processpool.Stats { return p.pool.Stats() }

// Integrate computes prob's integral on the pool's workers. It splits the
// blocks into ranges that shrink from a quarter of them (for 2 workers)
// to a thirty-second, and gives each worker the next range, largest
// first, while it computes the one before (processpool's Run), so that no
// worker waits for a round trip through the parent between two ranges. It
// combines the block sums it gets back in block order, exactly as Serial
// does: the result is bit for bit Serial's.
//
// A worker that crashes, writes something that is not a response, or does
// not answer within its range's deadline (10 s plus 100 times what its
// points cost here: a worker that hangs or is stopped) is killed and replaced, and its range
// is retried once on a fresh worker (processpool's policy). If the retry
// fails too, or a worker returns the wrong number of sums, Integrate
// cancels the other ranges and returns a *ChunkError naming the range:
// its blocks and its part of [a, b]. For two timeouts it matches
// processpool.ErrJobTimeout.
//
// If ctx is done first, the running workers are killed (and replaced)
// and Integrate returns ctx.Err(). It returns only when no request is in
// flight.
func (p *Pool) Integrate(ctx context.Context, prob Problem) (float64, error) {
	pl, err := newProcessesPlan(prob)
	if err != nil {
		return 0, err
	}
	work, err := Split(prob, p.workers)
	if err != nil {
		return 0, err
	}
	perPoint := p.perPoint
	if perPoint == 0 {
		perPoint = chunkMargin * pl.costPerPoint()
	}
	sums := make([]float64, pl.blocks)
	span := spansOf(ctx)
	// One goroutine per worker runs ranges on it, taking the next in
	// order, largest first; processpool's Run sends each worker its next
	// range while it computes the one before, so that no worker waits for
	// a round trip between two ranges.
	g, gctx := errgroup.WithContext(ctx)
	var taken atomic.Int64 // how many ranges of work the goroutines have taken
	for range min(p.workers, len(work)) {
		g.Go(func() error {
			next := func() (Chunk, time.Duration, bool) {
				i := taken.Add(1) - 1
				if i >= int64(len(work)) {
					return Chunk{}, 0, false
				}
				c := work[i]
				return c, p.chunkTimeout(pl.points(c), perPoint), true
			}
			return p.pool.Run(gctx, next, func(c Chunk, resp response, err error) error {
				return p.chunkDone(pl, work, c, resp, err, sums, span)
			})
		})
	}
	err = g.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return 0, ctxErr
	}
	if err != nil {
		return 0, err
	}
	return pl.finish(sums), nil
}

// points returns the number of points in c's blocks.
func (pl *plan) points(c Chunk) int64 {
	return min(c.Last*BlockSize, pl.n) - c.First*BlockSize
}

// chunkDone takes what a worker made of c, one of work: it writes c's block
// sums into sums, or returns a *ChunkError.
func (p *Pool) chunkDone(pl *plan, work []Chunk, c Chunk, resp response, err error,
	sums []float64, span SpanFunc) error {
	if span != nil && err == nil {
		span(fmt.Sprintf("process %d", resp.PID), blocksLabel(c.First, c.Last),
			time.Unix(0, resp.Start), time.Unix(0, resp.End))
	}
	if err == nil && int64(len(resp.Sums)) != c.Last-c.First {
		err = fmt.Errorf("worker returned %d block sums, want %d", len(resp.Sums), c.Last-c.First)
	}
	if err != nil {
		i, _ := slices.BinarySearchFunc(work, c.First, func(c Chunk, first int64) int {
			return cmp.Compare(c.First, first)
		})
		return &ChunkError{Chunk: i, Chunks: len(work), First: c.First, Last: c.Last,
			A: pl.x(c.First), B: pl.x(c.Last), Err: err}
	}
	// Each range is written by one goroutine only; g.Wait in Integrate
	// synchronizes these writes before finish reads them.
	for j, bits := range resp.Sums {
		sums[c.First+int64(j)] = math.Float64frombits(bits)
	}
	return nil
}

// newProcessesPlan checks p for the processes mode, which needs a
// registered integrand.
func newProcessesPlan(p Problem) (*plan, error) {
	if p.Func != nil && p.F == "" {
		return nil, invalid("the processes mode needs a registered integrand (Problem.F): " +
			"a Go func cannot be sent to another process, as Python's pickle cannot send a lambda")
	}
	return newPlan(p)
}

// x returns the left end of block k's first interval, or b for k =
// blocks.
func (pl *plan) x(k int64) float64 {
	if k >= pl.blocks {
		return pl.b
	}
	return pl.a + float64(k*BlockSize)*pl.dx
}

// A ChunkError reports a range of blocks the processes mode could not
// compute, even after a retry.
type ChunkError struct {
	Chunk, Chunks int     // the range's index and how many there were
	First, Last   int64   // its blocks, Last excluded
	A, B          float64 // its part of the interval
	Err           error   // what went wrong with it
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("integrate: chunk %d of %d (blocks %d..%d, x in [%g, %g)) failed: %v",
		e.Chunk, e.Chunks, e.First, e.Last-1, e.A, e.B, e.Err)
}

func (e *ChunkError) Unwrap() error { return e.Err }

// Processes computes p's integral on worker processes: it starts a Pool
// of min(workers, blocks) processes, runs Pool.Integrate, and closes the
// pool, so the time it takes includes starting and stopping the workers.
// The result is bit for bit Serial's. It checks p and workers before
// starting any process. When it returns, every worker has exited and been
// waited for, whatever happened.
//
// The program must call ServeWorkerIfChild at the start of main.
func Processes(ctx context.Context, p Problem, workers int) (result float64, err error) {
	if workers < 1 {
		return 0, invalid("workers = %d; need at least 1", workers)
	}
	pl, err := newProcessesPlan(p)
	if err != nil {
		return 0, err
	}
	pool, err := NewPool(ctx, int(min(int64(workers), pl.blocks)))
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := pool.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("integrate: closing the pool: %w", cerr)
		}
	}()
	return pool.Integrate(ctx, p)
}
