package integrate

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var printAccuracy = flag.Bool("accuracy", false,
	"also compute the accuracy table's rows for n = 1e8 and 1e9 (about 10 s), and print the table")

// TestAccuracyTable computes the README's accuracy table and checks it
// against the table the README quotes, row for row: for ∫ x² on [0, 10],
// the relative error of the Python notes' loop (one running sum, left to
// right) and of this package's blocks and pairwise sums, for the left and
// midpoint rules, with the scalar kernel (the default build's), and for
// the midpoint rule with the 32-lane kernel (the SIMD build's: its
// portable definition, which has the same bits). Each column names its
// kernel, so the table is the same in every build. By default it computes
// the rows up to n = 1e7 (a few tens of milliseconds); with -accuracy it
// computes all of them and prints the table, which is how make report
// regenerates it:
//
//	go test ./integrate -run TestAccuracyTable -count 1 -v -args -accuracy
func TestAccuracyTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	last := 7
	if *printAccuracy {
		last = 9
		fmt.Println("| n | left, naive loop | left, blocks | midpoint, naive loop | midpoint, blocks | midpoint, blocks of 32 lanes |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: |")
	}
	for e := 3; e <= last; e++ {
		row := accuracyRow(t, e)
		if *printAccuracy {
			fmt.Println(row)
		}
		assert.Contains(t, tableLines(string(readme)), row,
			"integrate/README.md's accuracy table lacks this row, or has it with other figures")
	}
}

// accuracyRow computes the accuracy table's row for n = 10^e.
func accuracyRow(t *testing.T, e int) string {
	t.Helper()
	const exact = 1000.0 / 3
	rel := func(v float64) string {
		if v == exact {
			return "0"
		}
		return fmt.Sprintf("%.1e", math.Abs(v-exact)/exact)
	}
	n := int64(math.Pow10(e))
	row := fmt.Sprintf("| 1e%d |", e)
	for _, r := range []Rule{Left, Midpoint} {
		v := serialWith(t, Problem{F: "x2", A: 0, B: 10, N: n, Rule: r}, kernelX2)
		row += fmt.Sprintf(" %s | %s |", rel(naiveSum(x2, 0, 10, n, r)), rel(v))
	}
	v := serialWith(t, Problem{F: "x2", A: 0, B: 10, N: n}, lanesKernel(vecX2))
	return row + fmt.Sprintf(" %s |", rel(v))
}

// tableLines returns the lines of text that are rows of a Markdown table,
// so that a failure lists them, not the whole README.
func tableLines(text string) []string {
	var rows []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.HasPrefix(l, "|") {
			rows = append(rows, l)
		}
	}
	return rows
}
