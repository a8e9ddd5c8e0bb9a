//go:build race

package main

// raceEnabled reports whether this test binary was built with -race. The
// file race_off_test.go sets it to false in builds without -race.
const raceEnabled = true
