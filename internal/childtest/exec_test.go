package childtest

import (
	"os"
	"os/exec"
	"testing"
)

// execTest returns a command that runs the test named name of this test
// binary, alone.
func execTest(t *testing.T, name string) *exec.Cmd {
	return exec.CommandContext(t.Context(), os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
}
