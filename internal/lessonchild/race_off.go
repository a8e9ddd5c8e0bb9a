//go:build !race

package lessonchild

// RaceEnabled reports whether this binary was built with -race.
const RaceEnabled = false
