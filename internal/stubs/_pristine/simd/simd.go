// Package simd sums the squares of a slice of float64s four numbers at a
// time: in the four lanes of one vector register (simd_amd64.go, in the
// SIMD build: GOEXPERIMENT=simd on amd64), or in four running sums of plain
// Go (SumSquaresScalar, in every build). Both give the same bits, because
// the sum is defined addition by addition:
//
//  1. Lane k, for k = 0, 1, 2, 3, starts at 0 and adds x·x for each value
//     xs[i] with i%4 == k, in order, over the whole groups of four from
//     the start of xs. The product is rounded, then the sum: two
//     roundings, no fused multiply-add.
//  2. The lanes are folded in halves: (l0+l2) + (l1+l3).
//  3. The squares of the last len(xs)%4 values, the tail, are added to
//     that, in order.
//
// For six values that is ((x0² + x2²) + (x1² + x3²)) + x4² + x5², added
// left to right; for nine, lane 0 is x0² + x4², lane 1 x1² + x5², and so
// on, and the tail is x8² alone.
package simd

// SumSquaresScalar returns the sum of the squares of xs as the package
// defines it, with four running sums in plain Go. It builds and runs
// everywhere; SumSquares, in the SIMD build, must give the same bits.
// It does not change xs.
func SumSquaresScalar(xs []float64) float64 {
	// TODO: four running sums l0..l3 (lane k takes xs[i] for i%4 == k)
	// over the whole groups of four; then (l0+l2) + (l1+l3); then the
	// squares of the tail, added in order. Round each product before it
	// is added: float64(x * x).
	return 0
}
