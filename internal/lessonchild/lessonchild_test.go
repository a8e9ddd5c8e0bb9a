package lessonchild

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// As a child, this test binary prints a line and exits 3: what a lesson's
// main that failed would do.
func TestMain(m *testing.M) {
	if IsChild() {
		os.Stdout.WriteString("child: " + os.Args[len(os.Args)-1] + "\n")
		os.Exit(3)
	}
	goleak.VerifyTestMain(m)
}

func TestCommandRunsTheChild(t *testing.T) {
	out, err := Command(t, "-flag", "hello").Output()
	assert.Equal(t, "child: hello\n", string(out))
	var exit interface{ ExitCode() int }
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, 3, exit.ExitCode())
	assert.False(t, IsChild(), "the parent is not a child")
}
