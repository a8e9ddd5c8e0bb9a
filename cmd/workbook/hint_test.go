package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseHints(t *testing.T) {
	hints, err := parseHints("# Hints: x\n\nRead me first.\n\n## Hint 1\n\nOne.\n\n## Hint 2\n\nTwo,\nstill two.\n\n```go\nx := 1\n```\n")
	require.NoError(t, err)
	assert.Equal(t, []string{"One.", "Two,\nstill two.\n\n```go\nx := 1\n```"}, hints)

	for text, want := range map[string]string{
		"# Hints\n\nnone here\n":                     "no hints",
		"## Hint 1\n\nOne.\n\n## Hint 3\n\nThree.\n": `heading "## Hint 3": want "## Hint 2"`,
		"## Hint one\n\nOne.\n":                      `heading "## Hint one": want "## Hint 1"`,
		"## Hint 1\n\n\n## Hint 2\n\nTwo.\n":         "hint 1 is empty",
	} {
		_, err := parseHints(text)
		assert.ErrorContains(t, err, want, "%q", text)
	}
}

func TestGoSource(t *testing.T) {
	for name, want := range map[string]bool{
		"/x/mutex.go":                  true,
		"mutex_test.go":                true,
		"mutex.go~":                    false, // vim's backup
		".mutex.go.swp":                false, // vim's swap file
		"4913":                         false, // vim's probe
		"mutex.go___jb_tmp___":         false, // JetBrains' temporary file
		".mutex.go":                    false,
		"/x/exercises/mutex/README.md": false,
	} {
		assert.Equal(t, want, goSource(name), name)
	}
}

func TestPassCount(t *testing.T) {
	assert.Equal(t, "no exercises", passCount(0, 0))
	assert.Equal(t, "1 of 1 exercise pass (100%)", passCount(1, 1))
	assert.Equal(t, "3 of 22 exercises pass (13%)", passCount(3, 22))
}

func TestPlainOutputForNonTerminals(t *testing.T) {
	u := uiFor(&bytesWriter{})
	assert.False(t, u.tty)
	assert.False(t, u.color)
	assert.Equal(t, "PASS", u.good("PASS"))
	assert.Empty(t, u.meter(3, 10, 20))
	assert.Equal(t, "\n", u.clear())

	tty := ui{tty: true, color: true}
	assert.Equal(t, "\x1b[32mPASS\x1b[0m", tty.good("PASS"))
	assert.Equal(t, 22, len([]rune(ui{tty: true}.meter(1, 2, 20))), "a 20-block bar and its brackets")
}

type bytesWriter struct{}

func (*bytesWriter) Write(p []byte) (int, error) { return len(p), nil }
