// The integrate command shows how to split one CPU-bound computation, a
// numerical integral, across goroutines: cut the work into chunks, let each
// goroutine sum its chunk in a local variable, and combine the partial sums
// once every goroutine is done. It is the Go answer to the Python notes'
// threading_integrate, which does the same with threads and a queue.Queue.
//
// It integrates x² from 0 to 10 (exactly 1000/3) with the notes' left
// Riemann sum four ways: the serial loop; W chunks of consecutive points on
// W goroutines; the same with chunks of n/W points, which lose the
// remainder; and fixed blocks combined in a fixed order, whose result has
// the same bits for any number of workers.
//
// Usage:
//
//	go run ./lessons/integrate [-n points] [-workers w] [-times=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "integrate:", err)
		os.Exit(1)
	}
}

// The integral the lesson computes: x² from lower to upper, which is
// exactly (upper³ - lower³)/3 = 1000/3.
const (
	lower = 0.0
	upper = 10.0
	exact = 1000.0 / 3
)

// square is the integrand, the notes' f.
func square(x float64) float64 {
	// The float64(...) rounds the product here, where it is computed: see
	// point for why.
	return float64(x * x)
}

// run computes the integral the four ways and prints each result, its
// error and (unless -times=false) how long it took. It returns ctx.Err()
// if ctx is done between two steps. Every goroutine it starts has
// returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	n, workers := cfg.n, cfg.workers
	fmt.Fprintf(w, "∫ x² dx from %v to %v = 1000/3 = %v\n", lower, upper,
		exact)
	fmt.Fprintf(w, "left Riemann sum, n = %d points, workers = %d\n\n", n, workers)
	report := func(label string, sum float64, took time.Duration) {
		fmt.Fprintf(w, "%-30s %-20v error %+.2e", label, sum, sum-exact)
		if cfg.times {
			fmt.Fprintf(w, "  took %v", took.Round(100*time.Microsecond))
		}
		fmt.Fprintln(w)
	}

	// We start from the notes' loop, on one goroutine: it adds up f at
	// the left end of each of n strips, then multiplies by their width.
	begin := time.Now()
	serialSum := serial(square, lower, upper, n)
	report("1. serial loop", serialSum, time.Since(begin))
	if err := ctx.Err(); err != nil {
		return err
	}

	// Then we split the n points into one chunk of consecutive points per
	// worker, and sum the chunks on as many goroutines at once (chunks
	// says why that needs no lock). Note that with more than one worker
	// the result is not bit for bit the serial one: the same numbers are
	// added in another order, and floating-point addition is not
	// associative, so the last bits differ.
	begin = time.Now()
	chunkSum := chunks(square, lower, upper, n, workers, evenChunk)
	report("2. chunks, local sums", chunkSum, time.Since(begin))
	fmt.Fprintf(w, "   bit-identical to the serial loop: %t\n",
		chunkSum == serialSum)
	if err := ctx.Err(); err != nil {
		return err
	}

	// The obvious way to cut n points into workers chunks is n/workers
	// points each. Note that integer division rounds down: when workers
	// does not divide n, the chunks miss the last n%workers points, and
	// the sum is short by their strips. Nothing fails; the answer is just
	// wrong.
	begin = time.Now()
	naiveSum := chunks(square, lower, upper, n, workers, naiveChunk)
	report(fmt.Sprintf("3. chunks of n/%d = %d", workers, n/workers),
		naiveSum, time.Since(begin))
	lost := n - covered(n, workers, naiveChunk)
	fmt.Fprintf(w, "   they cover %d of %d points: %d lost\n",
		n-lost, n, lost)
	if err := ctx.Err(); err != nil {
		return err
	}

	// To get the same bits whatever the number of workers, we make the
	// order of the additions independent of it: fixed blocks, each summed
	// in order, added up in block order. The workers only decide who
	// computes which block.
	begin = time.Now()
	blockSum := blocks(square, lower, upper, n, workers)
	report(fmt.Sprintf("4. blocks of %d", blockSize), blockSum,
		time.Since(begin))
	same := true
	for ws := 1; ws <= 8; ws++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		same = same && blocks(square, lower, upper, n, ws) == blockSum
	}
	fmt.Fprintf(w, "   bit-identical with 1 to 8 workers: %t\n", same)
	return nil
}

// serial returns the left Riemann sum of f on [a, b] with n strips: the
// sum of f(xᵢ)·dx for xᵢ = a + i·dx, i from 0 to n-1, dx = (b-a)/n.
func serial(f func(float64) float64, a, b float64, n int) float64 {
	dx := (b - a) / float64(n)
	return sumPoints(f, a, dx, 0, n) * dx
}

// sumPoints returns f(xᵢ) summed in order for i from lo to hi-1: the loop
// that every way of computing the integral runs, on its own share of the
// points.
//
// Note the go:noinline directive. Without it, the compiler would inline
// serial's call into run, see that f is always square, and inline square
// into the loop, which makes each point about three times cheaper; the
// goroutines, which get f as a variable, could not catch up, and the
// timings would compare two different loops.
//
//go:noinline
func sumPoints(f func(float64) float64, a, dx float64, lo, hi int) float64 {
	sum := 0.0
	for i := lo; i < hi; i++ {
		sum += f(point(a, dx, i))
	}
	return sum
}

// point returns xᵢ = a + i·dx, the left end of strip i.
func point(a, dx float64, i int) float64 {
	// Note the float64(...) around the product. Go may fuse a multiply
	// and an add into one instruction (FMA, on arm64 for one), which
	// rounds once instead of twice; the conversion makes it round the
	// product first, so that x, and every sum below, has the same bits
	// on every machine.
	return a + float64(float64(i)*dx)
}

// A chunker returns the range of points [lo, hi) that worker w of workers
// sums, out of n.
type chunker func(n, workers, w int) (lo, hi int)

// evenChunk gives worker w the points from w·n/workers up to (w+1)·n/
// workers. The chunks are consecutive, cover all n points, and differ in
// size by at most one.
func evenChunk(n, workers, w int) (lo, hi int) {
	return w * n / workers, (w + 1) * n / workers
}

// naiveChunk gives each worker n/workers points, rounded down: it loses the
// last n%workers points. It is the lesson's trap; do not use it.
func naiveChunk(n, workers, w int) (lo, hi int) {
	size := n / workers
	return w * size, (w + 1) * size
}

// covered returns how many of the n points the chunks of chunk cover.
func covered(n, workers int, chunk chunker) int {
	total := 0
	for w := range workers {
		lo, hi := chunk(n, workers, w)
		total += hi - lo
	}
	return total
}

// chunks returns the left Riemann sum of f on [a, b] with n strips,
// computed on workers goroutines, one per chunk of points given by chunk.
// It calls f from several goroutines at once, so f must be safe for that.
// It returns once every goroutine has returned.
func chunks(f func(float64) float64, a, b float64, n, workers int,
	chunk chunker) float64 {
	dx := (b - a) / float64(n)

	// Each goroutine keeps its running sum in a local variable and writes
	// it once, to sums[w], which belongs to worker w alone: no two
	// goroutines write the same memory, so there is no lock and no data
	// race. Note that adding straight into sums[w] in the loop would be
	// just as correct but slower: the slots share a cache line, and cores
	// writing to one line take turns (false sharing).
	sums := make([]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			lo, hi := chunk(n, workers, w)
			sums[w] = sumPoints(f, a, dx, lo, hi)
		})
	}

	// wg.Wait returns after every goroutine's last write: the memory
	// model makes each goroutine's return synchronize before Wait
	// returns, so reading the slots now is not a race.
	wg.Wait()
	total := 0.0
	for _, s := range sums {
		total += s
	}
	return total * dx
}

// blockSize is how many points each block of blocks holds: enough that
// handing out a block costs nothing next to summing it, few enough that
// there are many blocks to share among the workers.
const blockSize = 1 << 16

// blocks returns the left Riemann sum of f on [a, b] with n strips. It cuts
// the points into blocks of blockSize, sums each block in order, and adds
// the block sums in block order, on workers goroutines. The order of every
// addition is fixed by n alone, so the result has the same bits whatever
// workers is. It calls f from several goroutines at once, so f must be
// safe for that. It returns once every goroutine has returned.
func blocks(f func(float64) float64, a, b float64, n, workers int) float64 {
	dx := (b - a) / float64(n)
	nBlocks := (n + blockSize - 1) / blockSize
	sums := make([]float64, nBlocks) // sums[k] is block k's, written once

	// Worker w sums blocks w, w+workers, w+2·workers, ...: a fixed share,
	// which needs no coordination. A worker without a block is not
	// started.
	var wg sync.WaitGroup
	for w := range min(workers, nBlocks) {
		wg.Go(func() {
			for k := w; k < nBlocks; k += workers {
				lo, hi := k*blockSize, min((k+1)*blockSize, n)
				sums[k] = sumPoints(f, a, dx, lo, hi)
			}
		})
	}
	wg.Wait()
	total := 0.0
	for _, s := range sums { // in block order, whoever computed them
		total += s
	}
	return total * dx
}
