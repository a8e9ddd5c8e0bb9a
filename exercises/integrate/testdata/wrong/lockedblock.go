// Wrong: each worker holds one shared mutex while it computes a block, "to protect the sums": the workers take turns, and only one block is ever computed at a time.
// The result is right, bit for bit. A goroutine waiting for a sync.Mutex
// is not durably blocked, so in the tests' fake time this does not even
// run slowly: the clock stops, and the test hangs until hangcheck ends it.
// Caught by: TestWorkersRunAtOnce, TestResultDoesNotDependOnTiming
package integrate

import "sync"

// Block is the number of points in each block: the points 0 to Block-1 are
// block 0, Block to 2·Block-1 block 1, and so on; the last block holds what
// is left.
const Block = 4096

// Serial returns the left Riemann sum of f on [a, b] with n strips of width
// dx = (b-a)/n: the sum of f(xᵢ)·dx for xᵢ = a + i·dx, i from 0 to n-1. It
// sums each block of Block points in order, adds the block sums in block
// order, and multiplies by dx, all on the calling goroutine. It is the
// reference Parallel must match, bit for bit. It panics if n < 1.
func Serial(f func(float64) float64, a, b float64, n int) float64 {
	if n < 1 {
		panic("integrate: n must be at least 1")
	}
	dx := (b - a) / float64(n)
	total := 0.0
	for k := range blockCount(n) {
		total += blockSum(f, a, dx, n, k)
	}
	return total * dx
}

// blockCount returns how many blocks n points make: n/Block, rounded up.
func blockCount(n int) int {
	return (n + Block - 1) / Block
}

// blockSum returns the sum of f(xᵢ) over the points of block k of n, in
// order: i from k·Block up to min((k+1)·Block, n) - 1.
func blockSum(f func(float64) float64, a, dx float64, n, k int) float64 {
	sum := 0.0
	for i := k * Block; i < min((k+1)*Block, n); i++ {
		// The float64(...) makes Go round i·dx before it adds a: without
		// it, the compiler may fuse the two into one FMA instruction on
		// some machines, and the bits of x would depend on the machine.
		sum += f(a + float64(float64(i)*dx))
	}
	return sum
}

func Parallel(f func(float64) float64, a, b float64, n, workers int) float64 {
	if n < 1 {
		panic("integrate: n must be at least 1")
	}
	if workers < 1 {
		panic("integrate: workers must be at least 1")
	}
	dx := (b - a) / float64(n)
	nBlocks := blockCount(n)
	sums := make([]float64, nBlocks)
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards sums, and (wrong) the computing too
	)
	for w := range min(workers, nBlocks) {
		wg.Go(func() {
			for k := w; k < nBlocks; k += workers {
				mu.Lock()
				sums[k] = blockSum(f, a, dx, n, k) // wrong: f runs under the lock
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := 0.0
	for _, s := range sums {
		total += s
	}
	return total * dx
}
