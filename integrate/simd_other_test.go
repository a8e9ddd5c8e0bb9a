//go:build !goexperiment.simd || !amd64

package integrate

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// buildName names this build in the benchmarks' names: every time
// belongs to the build it was measured in.
const buildName = "default"

// TestEveryIntegrandKeepsItsScalarKernel: without the SIMD build every
// integrand is summed by its generated scalar kernel, in every mode (the
// other tests compare the modes with Serial): the bits this package gave
// before the SIMD build existed.
func TestEveryIntegrandKeepsItsScalarKernel(t *testing.T) {
	for _, in := range Integrands() {
		assert.Equal(t, scalarKernel, in.Kernel(), in.Name)
	}
	for _, p := range sameBitsCases {
		in, err := Lookup(p.F)
		if !assert.NoError(t, err) {
			continue
		}
		got, err := Serial(t.Context(), p)
		if assert.NoError(t, err) {
			want := serialWith(t, p, in.kernel)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v", p)
		}
	}
}

// benchKernels are the kernels BenchmarkKernels measures in this build:
// x2's scalar kernel, the only one it has.
func benchKernels() []benchKernel {
	return []benchKernel{{"scalar", kernelX2}}
}
