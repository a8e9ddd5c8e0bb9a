package integrate

import "math"

// This file defines the 32-lane block kernels, in every build: what they
// add, in which order, and a portable Go version of each. The SIMD build
// (GOEXPERIMENT=simd on amd64, simd_amd64.go) computes the same sums with
// vector registers, several numbers per instruction, and uses them in
// place of the scalar kernels of kernels.go for the integrands that have
// one; every other build (simd_other.go) keeps the scalar kernels. The
// portable version is the definition the vector code is tested against,
// and the fallback of the SIMD build on a CPU without AVX2 and FMA.

// lanes is how many running sums a 32-lane kernel keeps: four registers of
// eight float64s (Float64x8, AVX-512), or eight of four (Float64x4, AVX2).
const lanes = 32

// The names of the scalar block kernels: Integrand.Kernel's for an
// integrand that has no vector kernel in this build, and the kernel of a
// Problem.Func. simd_amd64.go names the vector kernels.
const (
	scalarKernel = "scalar, 4 accumulators"
	funcKernel   = "scalar, 4 accumulators, through a func value"
)

// A vectorOp names an integrand's 32-lane kernel, by the step that adds
// f(x) to one lane's running sum s. Only integrands whose f is made of
// operations a vector register has (add, multiply, fused multiply-add,
// divide, square root) have one: simd/archsimd has no sine, cosine or
// exponential, so sin, cos, exp, gauss and sinx2 keep the scalar kernel in
// every build.
type vectorOp uint8

const (
	noVector    vectorOp = iota // no 32-lane kernel: f needs a function archsimd lacks
	vecX2                       // x²: s = x·x + s, rounded once (fused)
	vecX3                       // x³: s = (x·x)·x + s, the last two rounded once
	vecInv1px2                  // 4/(1+x²): s = s + 4/(x·x + 1), the divisor rounded once
	vecSqrt1mx2                 // √(1-x²): s = s + √(1 - x·x)
)

// step returns s plus f(x), computed as the vector kernels compute it in
// each lane. math.FMA rounds x·y + z once, as the vector MulAdd does; the
// explicit float64(...) around a product forbids Go from fusing it with
// the next addition on an architecture where it would (arm64), as the
// vector code's separate Mul and Add do not.
func (op vectorOp) step(x, s float64) float64 {
	switch op {
	case vecX2:
		return math.FMA(x, x, s)
	case vecX3:
		return math.FMA(float64(x*x), x, s)
	case vecInv1px2:
		return s + 4/math.FMA(x, x, 1)
	case vecSqrt1mx2:
		return s + math.Sqrt(1-float64(x*x))
	}
	panic("integrate: no 32-lane kernel for this integrand")
}

// portableLanes is op's 32-lane kernel in plain Go: it returns the sums
// of f over the points x_j = a + (t0+j)·dx, j in [0, n), of even and of
// odd j, as every block kernel does. It defines, addition by addition,
// what the vector kernels compute:
//
//  1. lane k (k = 0..31) sums with op.step, in order, the points
//     j ≡ k (mod 32) of the whole groups of 32 points, starting from 0;
//  2. the lanes are folded in halves, as a register is added up: lane
//     k+16 onto lane k, then k+8 onto k, then k+4 onto k, leaving four;
//     an even lane only ever meets even lanes, so lanes 0 and 2 hold
//     even points and lanes 1 and 3 odd ones: even = l0 + l2, odd = l1 + l3;
//  3. the points of the last n mod 32 (the tail) are added in order, each
//     with op.step, to even or odd by their index.
//
// The point is computed as the scalar kernels compute it, a + float64(t·dx)
// with t counted in float64 (exact below MaxN), so only the order and the
// rounding of the additions differ from the scalar kernel's.
func portableLanes(op vectorOp, a, dx, t0 float64, n int) (even, odd float64) {
	var l [lanes]float64
	t, j := t0, 0
	for ; j+lanes <= n; j += lanes {
		for k := range l {
			l[k] = op.step(a+float64((t+float64(k))*dx), l[k])
		}
		t += lanes
	}
	for half := lanes / 2; half >= 4; half /= 2 {
		for k := range half {
			l[k] += l[k+half]
		}
	}
	return op.tail(l[0]+l[2], l[1]+l[3], a, dx, t0, j, n)
}

// tail adds the points j up to n-1 to even or odd, in order, with op.step:
// step 3 of portableLanes, shared with the vector kernels so that they
// cannot differ. j must be even (it is a multiple of 32).
func (op vectorOp) tail(even, odd, a, dx, t0 float64, j, n int) (float64, float64) {
	for ; j < n; j++ {
		x := a + float64((t0+float64(j))*dx)
		if j%2 == 0 {
			even = op.step(x, even)
		} else {
			odd = op.step(x, odd)
		}
	}
	return even, odd
}

// blockKernel returns the kernel that sums in over a block in this build
// on this CPU, and its name: its 32-lane kernel in the SIMD build, if it
// has one, and otherwise the scalar kernel of kernels.go.
func (in Integrand) blockKernel() (func(a, dx, t0 float64, n int) (even, odd float64), string) {
	if k, name := vectorKernel(in.vector); k != nil {
		return k, name
	}
	return in.kernel, scalarKernel
}

// Kernel names the block kernel that sums in in this build, on this CPU:
//
//   - "scalar, 4 accumulators", the generated kernel of kernels.go, in the
//     default build (without GOEXPERIMENT=simd) and on every architecture
//     but amd64, and in every build for the integrands that have no
//     vector kernel (sin, cos, exp, gauss, sinx2);
//   - in the SIMD build (GOEXPERIMENT=simd, amd64), for x2, x3, inv1px2
//     and sqrt1mx2: "SIMD, 4×Float64x8 (AVX-512)" on a CPU with AVX-512,
//     "SIMD, 8×Float64x4 (AVX2, FMA)" on one with AVX2 and FMA, and
//     "SIMD build, 32 lanes in portable Go (this CPU has no AVX2 and FMA)"
//     on any other.
//
// The three SIMD-build kernels give the same bits as each other; the
// scalar kernel gives others, as close to the exact integral (see the
// package README). Every mode uses the same kernel: a worker process is
// the same program on the same CPU.
func (in Integrand) Kernel() string {
	_, name := in.blockKernel()
	return name
}
