// Wrong: the workers take block numbers from a channel that is never closed, so once the blocks run out every worker waits on it for ever, long after Parallel has returned.
// Parallel counts the sums it receives and returns after the last one,
// without waiting for the workers; they are left behind, blocked.
// Caught by: TestEveryPointOnce
package integrate

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
	type sum struct {
		k int
		v float64
	}
	blocks := make(chan int, nBlocks) // room for every block number
	sums := make(chan sum)
	for k := range nBlocks {
		blocks <- k
	}
	// wrong: no close(blocks)
	for range min(workers, nBlocks) {
		go func() {
			for k := range blocks {
				sums <- sum{k, blockSum(f, a, dx, n, k)}
			}
		}()
	}
	got := make([]float64, nBlocks)
	for range nBlocks {
		s := <-sums
		got[s.k] = s.v
	}
	total := 0.0
	for _, v := range got {
		total += v
	}
	return total * dx
}
