//go:build !race

package main

// raceEnabled reports whether this test binary was built with -race. The
// file race_on_test.go sets it to true in builds with -race.
const raceEnabled = false
