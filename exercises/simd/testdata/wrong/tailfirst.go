// Wrong: SumSquaresScalar adds the len(xs)%4 leftover values first and starts the groups of four after them, so which lane a value lands in, and the order of the additions, change with the length's remainder.
// Every value is summed once, and the result is close; but xs of length
// 4k+r is split as r, then groups, where the definition splits it as
// groups, then r: other bits whenever 4 does not divide the length.
// Caught by: TestMatchesTheDefinition, TestAddsTheTailLast
package simd

// SumSquaresScalar returns the sum of the squares of xs as the package
// defines it, with four running sums in plain Go.
func SumSquaresScalar(xs []float64) float64 {
	r := len(xs) % 4
	head := 0.0
	for _, x := range xs[:r] {
		head += float64(x * x)
	}
	var l0, l1, l2, l3 float64
	for i := r; i+4 <= len(xs); i += 4 {
		l0 += float64(xs[i] * xs[i])
		l1 += float64(xs[i+1] * xs[i+1])
		l2 += float64(xs[i+2] * xs[i+2])
		l3 += float64(xs[i+3] * xs[i+3])
	}
	return head + ((l0 + l2) + (l1 + l3))
}
