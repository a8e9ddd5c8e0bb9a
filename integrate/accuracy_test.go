package integrate

import (
	"flag"
	"fmt"
	"math"
	"os"
	"testing"
)

var printAccuracy = flag.Bool("accuracy", false,
	"print the README's accuracy table (n up to 1e9: about 10 s)")

// TestPrintAccuracyTable is not a check but the generator of the README's
// accuracy table: go test ./integrate -run AccuracyTable -accuracy -v.
// It compares, for ∫ x² on [0, 10], the Python notes' loop (one running
// sum, left to right) with this package's blocks and pairwise sums, for
// the left and midpoint rules. The checks that matter are
// TestMidpointErrorIsTheTheoreticalOne and TestEveryIntegrandAndRule....
func TestPrintAccuracyTable(t *testing.T) {
	if !*printAccuracy {
		t.Skip("prints a table; run with -accuracy")
	}
	exact := 1000.0 / 3
	rel := func(v float64) string {
		if v == exact {
			return "0"
		}
		return fmt.Sprintf("%.1e", math.Abs(v-exact)/exact)
	}
	fmt.Fprintln(os.Stdout, "| n | left, naive loop | left, blocks | midpoint, naive loop | midpoint, blocks |")
	fmt.Fprintln(os.Stdout, "| ---: | ---: | ---: | ---: | ---: |")
	for e := 3; e <= 9; e++ {
		n := int64(math.Pow10(e))
		row := fmt.Sprintf("| 1e%d |", e)
		for _, r := range []Rule{Left, Midpoint} {
			v, err := Serial(t.Context(), Problem{F: "x2", A: 0, B: 10, N: n, Rule: r})
			if err != nil {
				t.Fatal(err)
			}
			row += fmt.Sprintf(" %s | %s |", rel(naiveSum(x2, 0, 10, n, r)), rel(v))
		}
		fmt.Fprintln(os.Stdout, row)
	}
}
