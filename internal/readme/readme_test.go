package readme

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const doc = `# lesson: title

## The idea

One sentence.

## Expected output

With the default flags:

` + "```" + `
line 1
line 2
` + "```" + `

Lines vary.

## Next

[mutex](../mutex)
`

func TestSection(t *testing.T) {
	got, ok := Section(doc, "Expected output")
	require.True(t, ok)
	assert.Equal(t, "\nWith the default flags:\n\n```\nline 1\nline 2\n```\n\nLines vary.\n", got)

	got, ok = Section(doc, "Next")
	require.True(t, ok)
	assert.Equal(t, "\n[mutex](../mutex)\n", got)

	_, ok = Section(doc, "Pitfalls")
	assert.False(t, ok)
	_, ok = Section(doc, "Expected")
	assert.False(t, ok, "a heading matches whole, not by prefix")
}

func TestCodeBlock(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"text\n```\na\nb\n```\nmore", "a\nb\n", true},
		{"```go\nx := 1\n```", "x := 1\n", true},
		{"```\n```", "", true},
		{"no block", "", false},
		{"```\nnot closed\n", "", false},
	} {
		got, ok := CodeBlock(c.in)
		assert.Equal(t, c.ok, ok, "CodeBlock(%q)", c.in)
		assert.Equal(t, c.want, got, "CodeBlock(%q)", c.in)
	}
}

func TestExpectedOutput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	got, err := ExpectedOutput(path)
	require.NoError(t, err)
	assert.Equal(t, "line 1\nline 2\n", got)

	require.NoError(t, os.WriteFile(path, []byte("# x\n\n## Run\n"), 0o644))
	_, err = ExpectedOutput(path)
	assert.ErrorContains(t, err, `no "## Expected output" section`)

	_, err = ExpectedOutput(filepath.Join(dir, "missing.md"))
	assert.Error(t, err)
}

func TestLines(t *testing.T) {
	assert.Equal(t, []string{"a", "b"}, Lines("a\nb\n"))
	assert.Equal(t, []string{"a", "", "b"}, Lines("a\n\nb"))
	assert.Equal(t, []string{""}, Lines(""))
}

func TestCanonical(t *testing.T) {
	got := []string{"start", "worker 3: done", "worker 1: done", "worker 2: done", "all done", "worker 9: done"}
	assert.Equal(t,
		[]string{"start", "worker 1: done", "worker 2: done", "worker 3: done", "all done", "worker 9: done"},
		Canonical(got), "only neighbouring lines of one shape are sorted")
	assert.Equal(t, "worker 3: done", got[1], "the input is not changed")
	assert.NotEqual(t, Canonical([]string{"b 1", "a 2"}), Canonical([]string{"a 2", "b 1"}),
		"lines that differ in more than digits keep their order")
}
