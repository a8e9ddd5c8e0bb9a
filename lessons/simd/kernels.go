package main

import (
	"math"
	"sync"
)

// This file holds the portable kernels: plain Go that builds and runs
// everywhere, one number per instruction. Each defines, addition by
// addition, a sum that a vector kernel in vector_amd64.go computes with
// the same bits, several numbers per instruction.
//
// Every kernel has the signature of integrate's block kernels: it sums
// f(xⱼ) = xⱼ² over the n points xⱼ = a + (t0+j)·dx, j from 0 to n-1, where
// t0 is the index of the first point plus 1/2 for the midpoint rule. The
// index counts in float64, which is exact for every index up to 2⁵³, so
// t0+j is the same number whether we add 1, 4 or 32 at a time.

// point returns a + t·dx. Note the float64(...) around the product: Go
// may fuse a multiply and an add into one instruction (FMA), which rounds
// once instead of twice; the conversion makes it round the product
// first, as the vector kernels' separate Mul and Add do.
func point(a, dx, t float64) float64 {
	return a + float64(t*dx)
}

// sum1 adds the squares in order, into one running sum: the notes' loop.
// Every addition needs the result of the one before, so the CPU cannot
// start the next until the last is done, several cycles later.
func sum1(a, dx, t0 float64, n int) float64 {
	sum, t := 0.0, t0
	for range n {
		x := point(a, dx, t)
		sum += float64(x * x)
		t++
	}
	return sum
}

// sum4 defines the four-lane sum. Lane k (k = 0..3) sums, in order, the
// squares of the points j ≡ k (mod 4) of the whole groups of four; the
// lanes are then folded in halves, (l0+l2) + (l1+l3), and the squares of
// the last n%4 points (the tail) are added in order. The four running
// sums do not wait for each other, so the CPU overlaps their additions:
// that alone makes sum4 faster than sum1, and it is exactly what a
// Float64x4 register does in one instruction (lanes4).
//
// Note the four variables: an array [4]float64 would live in memory, and
// every addition would load and store it.
func sum4(a, dx, t0 float64, n int) float64 {
	var l0, l1, l2, l3 float64
	t, j := t0, 0
	for ; j+4 <= n; j += 4 {
		x0, x1 := point(a, dx, t), point(a, dx, t+1)
		x2, x3 := point(a, dx, t+2), point(a, dx, t+3)
		l0 += float64(x0 * x0)
		l1 += float64(x1 * x1)
		l2 += float64(x2 * x2)
		l3 += float64(x3 * x3)
		t += 4
	}
	l := [4]float64{l0, l1, l2, l3}
	return addSquares(fold(l[:]), a, dx, t0, j, n)
}

// fold adds up the lanes l in halves: lane k+len/2 onto lane k, then
// k+len/4 onto k, and so on down to lane 0, which it returns: for four
// lanes (l0+l2) + (l1+l3). It is how a vector kernel adds up its
// registers, the upper half of one onto the lower, and how the portable
// kernels must add up theirs to give the same bits. len(l) must be a power
// of two; fold changes l.
func fold(l []float64) float64 {
	for half := len(l) / 2; half >= 1; half /= 2 {
		for k := range half {
			l[k] += l[k+half]
		}
	}
	return l[0]
}

// addSquares adds to sum the squares of the points j to n-1, in order:
// the tail of sum4 and lanes4, which is shared so that the two cannot
// differ.
func addSquares(sum, a, dx, t0 float64, j, n int) float64 {
	for ; j < n; j++ {
		x := point(a, dx, t0+float64(j))
		sum += float64(x * x)
	}
	return sum
}

// lanes is how many running sums sum32 keeps: four registers of eight
// float64s (AVX-512), or eight of four (AVX2).
const lanes = 32

// sum32 defines the 32-lane sum: lane k (k = 0..31) accumulates the points
// j ≡ k (mod 32) of the whole groups of 32 with a fused multiply-add,
// lane = x·x + lane rounded once (math.FMA, the vector kernels' MulAdd);
// the lanes are folded in halves, lane k + lane k+16, then k + k+8, down
// to one; and the tail's squares are added in order, each with an FMA.
//
// Note that the FMA is part of the definition: x*x + sum rounded once is
// not the same number as rounded twice, so the portable kernel uses
// math.FMA where the vector kernel uses MulAdd. Anything else would give
// other bits in the SIMD build.
func sum32(a, dx, t0 float64, n int) float64 {
	var l [lanes]float64
	t, j := t0, 0
	for ; j+lanes <= n; j += lanes {
		for k := range l {
			x := point(a, dx, t+float64(k))
			l[k] = math.FMA(x, x, l[k])
		}
		t += lanes
	}
	return fmaSquares(fold(l[:]), a, dx, t0, j, n)
}

// fmaSquares adds to sum the squares of the points j to n-1, in order,
// each with an FMA: the tail of sum32 and lanes32.
func fmaSquares(sum, a, dx, t0 float64, j, n int) float64 {
	for ; j < n; j++ {
		x := point(a, dx, t0+float64(j))
		sum = math.FMA(x, x, sum)
	}
	return sum
}

// A kernel sums x² over the n points a + (t0+j)·dx.
type kernel func(a, dx, t0 float64, n int) float64

// midpoint returns the midpoint rule for x² on [a, b] with n strips: the
// kernel's sum over the middle of each strip, times the width.
func midpoint(k kernel, a, b float64, n int) float64 {
	dx := (b - a) / float64(n)
	return k(a, dx, 0.5, n) * dx
}

// blockSize is how many points each block of blocks holds: a multiple of
// 32, so that only the last block has a tail, and enough that handing out
// a block costs nothing next to summing it.
const blockSize = 1 << 16

// blocks returns the midpoint rule for x² on [a, b] with n strips, summed
// by k in blocks of blockSize on workers goroutines: worker w sums blocks
// w, w+workers, ..., each into a slot of its own, and the block sums are
// added in block order after every worker is done. The order of every
// addition depends on n alone, so the result has the same bits for any
// number of workers (the integrate lesson's step 4). It returns once
// every goroutine it started has returned.
func blocks(k kernel, a, b float64, n, workers int) float64 {
	dx := (b - a) / float64(n)
	nBlocks := (n + blockSize - 1) / blockSize
	sums := make([]float64, nBlocks) // sums[i] is block i's, written once
	var wg sync.WaitGroup
	for w := range min(workers, nBlocks) {
		wg.Go(func() {
			for i := w; i < nBlocks; i += workers {
				lo, hi := i*blockSize, min((i+1)*blockSize, n)
				sums[i] = k(a, dx, float64(lo)+0.5, hi-lo)
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
