// Wrong: SumSquaresScalar adds up its lanes as (l0+l1) + (l2+l3), not in halves as (l0+l2) + (l1+l3).
// The same numbers, added in another order: the result is just as good,
// but it is not the bits the Float64x4 code gets by folding a register's
// halves, so the two builds disagree.
// Caught by: TestFoldsTheLanesInHalves, TestMatchesTheDefinition
package simd

// SumSquaresScalar returns the sum of the squares of xs as the package
// defines it, with four running sums in plain Go.
func SumSquaresScalar(xs []float64) float64 {
	var l0, l1, l2, l3 float64
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		l0 += float64(xs[i] * xs[i])
		l1 += float64(xs[i+1] * xs[i+1])
		l2 += float64(xs[i+2] * xs[i+2])
		l3 += float64(xs[i+3] * xs[i+3])
	}
	sum := (l0 + l1) + (l2 + l3)
	for ; i < len(xs); i++ {
		sum += float64(xs[i] * xs[i])
	}
	return sum
}
