// Wrong: SumSquaresScalar sums the whole groups of four and stops: the squares of the last len(xs)%4 values, the tail, are never added.
// Right whenever 4 divides the length, and short by up to three squares
// otherwise.
// Caught by: TestSumsEveryValueOnce, TestMatchesTheDefinition, TestAddsTheTailLast
package simd

// SumSquaresScalar returns the sum of the squares of xs as the package
// defines it, with four running sums in plain Go.
func SumSquaresScalar(xs []float64) float64 {
	var l0, l1, l2, l3 float64
	for i := 0; i+4 <= len(xs); i += 4 {
		l0 += float64(xs[i] * xs[i])
		l1 += float64(xs[i+1] * xs[i+1])
		l2 += float64(xs[i+2] * xs[i+2])
		l3 += float64(xs[i+3] * xs[i+3])
	}
	return (l0 + l2) + (l1 + l3)
}
