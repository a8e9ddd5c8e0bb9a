package suggest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"mutex", "mutex", 0},
		{"mutx", "mutex", 1}, {"kitten", "sitting", 3}, {"x^2", "x2", 1},
	} {
		assert.Equal(t, c.want, Distance(c.a, c.b), "Distance(%q, %q)", c.a, c.b)
		assert.Equal(t, c.want, Distance(c.b, c.a), "Distance(%q, %q)", c.b, c.a)
	}
}

func TestClosest(t *testing.T) {
	lessons := []string{"mutex", "rwmutex", "semaphore", "select"}
	for _, c := range []struct{ name, want string }{
		{"mutx", "mutex"},
		{"rwmutx", "rwmutex"},
		{"selct", "select"},
		{"semaphor", "semaphore"},
		{"mutex", "mutex"},
		{"zzzzzzzzzz", ""}, // nothing resembles it: no suggestion
		{"", ""},           // a one-letter change is not a typo of nothing
	} {
		assert.Equal(t, c.want, Closest(c.name, lessons), "Closest(%q)", c.name)
	}
	assert.Empty(t, Closest("mutex", nil), "no candidates")
	assert.Equal(t, "ab", Closest("a", []string{"ab", "ac"}), "the first on a tie")
}
