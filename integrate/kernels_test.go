package integrate

import (
	"os"
	"testing"

	"github.com/concurrency-workbook/workbook/integrate/internal/kernelgen"
	"github.com/stretchr/testify/require"
)

// TestKernelsAreCurrent regenerates kernels.go in memory from the
// registry in integrands.go, with the code gen_kernels.go runs, and
// compares it with the file: a registry entry added or changed without
// running the generator fails here, not in a student's build.
func TestKernelsAreCurrent(t *testing.T) {
	src, err := os.ReadFile("integrands.go")
	require.NoError(t, err)
	want, err := kernelgen.Source(src)
	require.NoError(t, err)
	got, err := os.ReadFile("kernels.go")
	require.NoError(t, err)
	require.Equal(t, string(want), string(got), "kernels.go is stale: run make generate")
}
