//go:build !goexperiment.simd || !amd64

package main

import (
	"runtime"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildName names this build in the benchmarks' names: every time
// belongs to the build it was measured in.
const buildName = "default"

// TestBuildLines checks that the default build says so and how to get the
// SIMD kernels, in the words of the README's Expected output.
func TestBuildLines(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		assert.Contains(t, build()[0], "portable")
		return
	}
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	assert.Equal(t, buildLines(block), build(), "the build lines of the README's Expected output")
	assert.Contains(t, build()[1], "GOEXPERIMENT=simd go run ./lessons/simd")
}
