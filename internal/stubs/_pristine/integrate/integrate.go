// Package integrate computes the left Riemann sum of a function on several
// goroutines at once, with a result that does not depend on how many: the
// same bits for 1 worker or 8, and the same as the serial Serial.
//
// The sum is cut into blocks of Block points, fixed by n alone. Each block
// is summed in order, and the block sums are added in block order. The
// workers only decide who computes which block, which changes no addition,
// so the rounding, and the result, is the same for any number of them.
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

// Parallel returns Serial(f, a, b, n), bit for bit, for any workers: it
// computes the same block sums, on at most workers goroutines at once, and
// adds them in the same order. It calls f from several goroutines at once,
// so f must be safe for concurrent use; it calls f once for each point.
// Parallel returns once every goroutine it started has returned. It panics
// if n < 1 or workers < 1.
func Parallel(f func(float64) float64, a, b float64, n, workers int) float64 {
	// TODO: panic("integrate: n must be at least 1") if n < 1, and
	// panic("integrate: workers must be at least 1") if workers < 1.
	//
	// TODO: compute the block sums blockSum(f, a, dx, n, k), for k from 0
	// to blockCount(n)-1, on at most workers goroutines at once, each sum
	// written to memory that no other goroutine writes. Wait for every
	// goroutine, then add the sums in block order, as Serial does, and
	// multiply by dx = (b-a)/n.
	return 0
}
