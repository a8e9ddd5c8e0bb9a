// Package suggest finds the name a mistyped one was probably meant to be,
// for "did you mean" messages: the workbook's lessons, exercises and
// subcommands, the integrands and the rules.
package suggest

// Closest returns the candidate nearest to name by edit distance, the
// first such one on a tie. It returns "" if no candidate is close enough
// to be a plausible typo (more than about half of name would have to
// change).
func Closest(name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := Distance(name, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(len(name), 2)/2+1 {
		return ""
	}
	return best
}

// Distance is the Levenshtein distance between a and b, in bytes: how many
// bytes must be inserted, deleted or replaced to turn a into b.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
