//go:build goexperiment.simd && amd64

package integrate

import (
	"math"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"simd/archsimd"
)

// buildName names this build in the benchmarks' names: every time
// belongs to the build it was measured in.
const buildName = "simd"

// A widthKernel is one vector width's kernels, by vectorOp, and its name.
type widthKernel struct {
	name    string
	kernels map[vectorOp]blockKernelFunc
}

// widths returns the vector widths this CPU can run, widest first: on a
// CPU with AVX-512 the Float64x4 kernels are tested too, as they run on a
// CPU with AVX2 only.
func widths() []widthKernel {
	var out []widthKernel
	if archsimd.X86.AVX512() {
		out = append(out, widthKernel{avx512Kernel, map[vectorOp]blockKernelFunc{
			vecX2: x2x8, vecX3: x3x8, vecInv1px2: inv1px2x8, vecSqrt1mx2: sqrt1mx2x8}})
	}
	if archsimd.X86.AVX2() && archsimd.X86.FMA() {
		out = append(out, widthKernel{avx2Kernel, map[vectorOp]blockKernelFunc{
			vecX2: x2x4, vecX3: x3x4, vecInv1px2: inv1px2x4, vecSqrt1mx2: sqrt1mx2x4}})
	}
	return out
}

// TestVectorKernelsHaveThePortableBits: every vector kernel this CPU can
// run gives portableLanes's even and odd sums to the last bit, for every
// length from 0 to 200 (so every tail, and fewer points than lanes), a
// block and a block with a tail, first points at whole and half indices,
// far from 0 (t0 = 2³⁵, where x = a + t·dx loses the most to rounding),
// and bounds of both signs.
func TestVectorKernelsHaveThePortableBits(t *testing.T) {
	ws := widths()
	if len(ws) == 0 {
		t.Skip("no AVX2 and FMA on this CPU: the SIMD build runs portableLanes, which vector_test.go checks")
	}
	var ns []int
	for n := range 201 {
		ns = append(ns, n)
	}
	ns = append(ns, 1000, BlockSize-31, BlockSize-1, BlockSize, BlockSize+17)
	for _, w := range ws {
		for _, in := range vectorised(t) {
			k := w.kernels[in.vector]
			require.NotNil(t, k, "%s has a %s kernel", in.Name, w.name)
			mismatches := 0
			for _, n := range ns {
				for _, c := range []struct{ a, dx, t0 float64 }{
					{0, 10.0 / 1e8, 0.5}, {-1, 2.0 / 1_000_003, 0}, {0.25, 0.75 / BlockSize, 1 << 14},
					{-0.999, 1.0 / 3, 12345.5}, {0, 1e-11, 1 << 35}, {-3, 1e-3, 7},
				} {
					if in.vector == vecSqrt1mx2 {
						// √(1-x²) is NaN outside [-1, 1]: keep the points in it.
						c.a, c.dx = -1, 2/float64(max(n, 1))/(1+c.t0)
					}
					we, wo := portableLanes(in.vector, c.a, c.dx, c.t0, n)
					ge, go_ := k(c.a, c.dx, c.t0, n)
					if math.Float64bits(we) != math.Float64bits(ge) || math.Float64bits(wo) != math.Float64bits(go_) {
						mismatches++
						if mismatches <= 5 {
							t.Errorf("%s, %s, a=%v dx=%v t0=%v n=%d: got even %v odd %v, portableLanes: %v %v",
								w.name, in.Name, c.a, c.dx, c.t0, n, ge, go_, we, wo)
						}
					}
				}
			}
			assert.Zero(t, mismatches, "%s, %s: cases whose bits differ from portableLanes", w.name, in.Name)
		}
	}
}

// TestKernelNamesTheWidestVectorKernel: in the SIMD build an integrand
// that has a vector kernel names the widest this CPU runs, and one that
// has none names the scalar kernel.
func TestKernelNamesTheWidestVectorKernel(t *testing.T) {
	want := portableKernel
	if ws := widths(); len(ws) > 0 {
		want = ws[0].name
	}
	for _, in := range Integrands() {
		if in.vector == noVector {
			assert.Equal(t, scalarKernel, in.Kernel(), in.Name)
		} else {
			assert.Equal(t, want, in.Kernel(), in.Name)
		}
	}
}

// TestSIMDBuildUsesTheVectorKernelInEveryMode: Serial, Goroutines and the
// processes mode (whose workers are this test binary: the same build)
// compute a vectorised integrand with its 32-lane kernel, whose bits
// portableLanes defines, and the others with their scalar kernel; so the
// modes agree with each other in this build too. The other tests compare
// the modes with Serial for many worker counts.
func TestSIMDBuildUsesTheVectorKernelInEveryMode(t *testing.T) {
	pool, err := NewPool(t.Context(), 2)
	require.NoError(t, err)
	defer func() {
		require.NoError(t, pool.Close())
		childcheck.None(t)
	}()
	for _, p := range append(sameBitsCases, Problem{F: "sqrt1mx2", A: -1, B: 1, N: 5*BlockSize + 3, Rule: Midpoint}) {
		in, err := Lookup(p.F)
		require.NoError(t, err)
		want := serialWith(t, p, in.kernel)
		if in.vector != noVector {
			want = serialWith(t, p, lanesKernel(in.vector))
		}
		for mode, run := range map[string]func() (float64, error){
			"serial":     func() (float64, error) { return Serial(t.Context(), p) },
			"goroutines": func() (float64, error) { return Goroutines(t.Context(), p, 3) },
			"processes":  func() (float64, error) { return pool.Integrate(t.Context(), p) },
		} {
			got, err := run()
			require.NoError(t, err)
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got),
				"%v, %s: got %v, want %v (kernel: %s)", p, mode, got, want, in.Kernel())
		}
	}
}

// benchKernels are the kernels BenchmarkKernels measures in this build:
// x2's scalar kernel and its vector kernel of each width this CPU runs.
func benchKernels() []benchKernel {
	out := []benchKernel{{"scalar", kernelX2}}
	for _, w := range widths() {
		name := map[string]string{avx512Kernel: "simd-Float64x8", avx2Kernel: "simd-Float64x4"}[w.name]
		out = append(out, benchKernel{name, w.kernels[vecX2]})
	}
	return out
}
