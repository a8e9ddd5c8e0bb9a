//go:build goexperiment.simd && amd64

package integrate

import "simd/archsimd"

// This file is the SIMD build: it is compiled only with GOEXPERIMENT=simd
// on amd64, the only place where the package simd/archsimd exists. Every
// other build compiles simd_other.go instead, whose vectorKernel has none
// to offer. The kernels here compute portableLanes's sums (vector.go) with
// vector registers, to the last bit: lane k of the 32 is lane m of
// register r, and every lane adds its points in the same order with the
// same operations (MulAdd is math.FMA: both round once).
//
// Note that Go emits no VZEROUPPER after vector code: every kernel calls
// archsimd.ClearAVXUpperBits before the scalar code that follows it (its
// tail, and whatever the caller runs next), which would otherwise run
// several times slower (lessons/simd's Pitfalls).

// The names of the vector kernels, as Integrand.Kernel returns them.
const (
	avx512Kernel   = "SIMD, 4×Float64x8 (AVX-512)"
	avx2Kernel     = "SIMD, 8×Float64x4 (AVX2, FMA)"
	portableKernel = "SIMD build, 32 lanes in portable Go (this CPU has no AVX2 and FMA)"
)

// vectorKernel returns op's 32-lane kernel for this CPU and its name:
// four Float64x8 registers with AVX-512, eight Float64x4 with AVX2 and
// FMA, and portableLanes otherwise (an AVX instruction on a CPU without it
// kills the program with SIGILL). For noVector it returns nil.
func vectorKernel(op vectorOp) (func(a, dx, t0 float64, n int) (even, odd float64), string) {
	if op == noVector {
		return nil, ""
	}
	switch {
	case archsimd.X86.AVX512():
		return [...]func(a, dx, t0 float64, n int) (float64, float64){
			vecX2: x2x8, vecX3: x3x8, vecInv1px2: inv1px2x8, vecSqrt1mx2: sqrt1mx2x8,
		}[op], avx512Kernel
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return [...]func(a, dx, t0 float64, n int) (float64, float64){
			vecX2: x2x4, vecX3: x3x4, vecInv1px2: inv1px2x4, vecSqrt1mx2: sqrt1mx2x4,
		}[op], avx2Kernel
	}
	return func(a, dx, t0 float64, n int) (float64, float64) {
		return portableLanes(op, a, dx, t0, n)
	}, portableKernel
}

// The Float64x8 kernels (the CPU must have AVX-512) keep the 32 lanes in
// four registers: register r, lane m is lane 8r+m. Four registers, four
// running sums per lane that do not wait for each other: one register's
// MulAdd need not wait for the one before it, so the CPU keeps several in
// flight. Each kernel is the same loop around its integrand's step.
//
// Note that only register 0's point indices are carried from one group
// of 32 points to the next; the others are 8, 16 and 24 more, an exact
// addition that no running sum waits for. The Go 1.26 compiler uses
// sixteen of AVX-512's 32 vector registers, and four sets of indices, four
// sums, four points and their temporaries do not fit in them: x3x8 spent
// more time moving vectors to and from the stack than computing (0.14 ns
// per point instead of 0.07 here).

// start8 returns what every Float64x8 kernel starts from: a, dx, the step
// of 32 points and 8 in every lane, and the first point index of each lane
// of register 0, t0 + m.
func start8(a, dx, t0 float64) (av, dxv, step, eight, t archsimd.Float64x8) {
	var first [8]float64
	for m := range first {
		first[m] = t0 + float64(m)
	}
	return archsimd.BroadcastFloat64x8(a), archsimd.BroadcastFloat64x8(dx),
		archsimd.BroadcastFloat64x8(lanes), archsimd.BroadcastFloat64x8(8),
		archsimd.LoadFloat64x8(&first)
}

// finish8 folds the four registers as portableLanes folds its lanes:
// register 2 onto 0 and 3 onto 1 (lane k+16 onto k), then 1 onto 0 (k+8
// onto k), then the upper half of the register onto the lower (k+4 onto
// k); stores the four lanes left, clears the upper bits, and adds op's
// tail from point j in scalar code.
func finish8(op vectorOp, s0, s1, s2, s3 archsimd.Float64x8, a, dx, t0 float64, j, n int) (even, odd float64) {
	s := s0.Add(s2).Add(s1.Add(s3))
	q := s.GetLo().Add(s.GetHi())
	var l [4]float64
	q.Store(&l)
	archsimd.ClearAVXUpperBits()
	return op.tail(l[0]+l[2], l[1]+l[3], a, dx, t0, j, n)
}

// x2x8 is portableLanes(vecX2, ...) in four Float64x8 registers.
func x2x8(a, dx, t0 float64, n int) (even, odd float64) {
	av, dxv, step, eight, t := start8(a, dx, t0)
	var s0, s1, s2, s3 archsimd.Float64x8
	j := 0
	for ; j+lanes <= n; j += lanes {
		t1 := t.Add(eight)
		t2 := t1.Add(eight)
		t3 := t2.Add(eight)
		// x = a + t·dx, rounded twice (Mul, then Add), as the scalar
		// kernels compute it; then s = x·x + s, rounded once.
		x0 := av.Add(t.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = x0.MulAdd(x0, s0)
		s1 = x1.MulAdd(x1, s1)
		s2 = x2.MulAdd(x2, s2)
		s3 = x3.MulAdd(x3, s3)
		t = t.Add(step)
	}
	return finish8(vecX2, s0, s1, s2, s3, a, dx, t0, j, n)
}

// x3x8 is portableLanes(vecX3, ...) in four Float64x8 registers.
func x3x8(a, dx, t0 float64, n int) (even, odd float64) {
	av, dxv, step, eight, t := start8(a, dx, t0)
	var s0, s1, s2, s3 archsimd.Float64x8
	j := 0
	for ; j+lanes <= n; j += lanes {
		t1 := t.Add(eight)
		t2 := t1.Add(eight)
		t3 := t2.Add(eight)
		x0 := av.Add(t.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = x0.Mul(x0).MulAdd(x0, s0)
		s1 = x1.Mul(x1).MulAdd(x1, s1)
		s2 = x2.Mul(x2).MulAdd(x2, s2)
		s3 = x3.Mul(x3).MulAdd(x3, s3)
		t = t.Add(step)
	}
	return finish8(vecX3, s0, s1, s2, s3, a, dx, t0, j, n)
}

// inv1px2x8 is portableLanes(vecInv1px2, ...) in four Float64x8 registers.
func inv1px2x8(a, dx, t0 float64, n int) (even, odd float64) {
	av, dxv, step, eight, t := start8(a, dx, t0)
	one, four := archsimd.BroadcastFloat64x8(1), archsimd.BroadcastFloat64x8(4)
	var s0, s1, s2, s3 archsimd.Float64x8
	j := 0
	for ; j+lanes <= n; j += lanes {
		t1 := t.Add(eight)
		t2 := t1.Add(eight)
		t3 := t2.Add(eight)
		x0 := av.Add(t.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = s0.Add(four.Div(x0.MulAdd(x0, one)))
		s1 = s1.Add(four.Div(x1.MulAdd(x1, one)))
		s2 = s2.Add(four.Div(x2.MulAdd(x2, one)))
		s3 = s3.Add(four.Div(x3.MulAdd(x3, one)))
		t = t.Add(step)
	}
	return finish8(vecInv1px2, s0, s1, s2, s3, a, dx, t0, j, n)
}

// sqrt1mx2x8 is portableLanes(vecSqrt1mx2, ...) in four Float64x8 registers.
func sqrt1mx2x8(a, dx, t0 float64, n int) (even, odd float64) {
	av, dxv, step, eight, t := start8(a, dx, t0)
	one := archsimd.BroadcastFloat64x8(1)
	var s0, s1, s2, s3 archsimd.Float64x8
	j := 0
	for ; j+lanes <= n; j += lanes {
		t1 := t.Add(eight)
		t2 := t1.Add(eight)
		t3 := t2.Add(eight)
		x0 := av.Add(t.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = s0.Add(one.Sub(x0.Mul(x0)).Sqrt())
		s1 = s1.Add(one.Sub(x1.Mul(x1)).Sqrt())
		s2 = s2.Add(one.Sub(x2.Mul(x2)).Sqrt())
		s3 = s3.Add(one.Sub(x3.Mul(x3)).Sqrt())
		t = t.Add(step)
	}
	return finish8(vecSqrt1mx2, s0, s1, s2, s3, a, dx, t0, j, n)
}

// The Float64x4 kernels (the CPU must have AVX2 and FMA) keep the 32 lanes
// in eight registers: register r, lane m is lane 4r+m. An AVX2 CPU has
// sixteen vector registers, too few for eight sums and the points and
// temporaries of eight registers. But the lanes do not depend on each other, so a
// kernel makes two passes over the block, each with four registers: the
// first sums lanes 0 to 15, the second lanes 16 to 31 (its first point is
// t0 + 16). Each lane still adds its points in order, so the bits are
// the same as in one pass.
//
// Note that the sums are variables, not an array: the compiler keeps an
// array of vectors in memory, and every MulAdd would wait for the store
// and load of the one before (0.18 ns per point instead of 0.10 here).

// start4 returns what a pass of a Float64x4 kernel starts from: a, dx,
// the step of 32 points and 4 in every lane, and the first point index of
// each lane of the pass's register 0, t + m. As in the Float64x8 kernels,
// the other registers' indices are 4, 8 and 12 more, added in each group.
func start4(a, dx, t float64) (av, dxv, step, four, tv archsimd.Float64x4) {
	return archsimd.BroadcastFloat64x4(a), archsimd.BroadcastFloat64x4(dx),
		archsimd.BroadcastFloat64x4(lanes), archsimd.BroadcastFloat64x4(4),
		archsimd.LoadFloat64x4(&[4]float64{t, t + 1, t + 2, t + 3})
}

// finish4 folds the two passes' registers as portableLanes folds its
// lanes: the second pass's register r onto the first's (lane k+16 onto
// k), registers 2 and 3 onto 0 and 1 (k+8), 1 onto 0 (k+4); stores the
// four lanes left, clears the upper bits, and adds op's tail in scalar
// code, from the first point after the whole groups of 32.
func finish4(op vectorOp, lo, hi [4]archsimd.Float64x4, a, dx, t0 float64, n int) (even, odd float64) {
	s0, s1 := lo[0].Add(hi[0]), lo[1].Add(hi[1])
	s2, s3 := lo[2].Add(hi[2]), lo[3].Add(hi[3])
	var l [4]float64
	s0.Add(s2).Add(s1.Add(s3)).Store(&l)
	archsimd.ClearAVXUpperBits()
	return op.tail(l[0]+l[2], l[1]+l[3], a, dx, t0, n-n%lanes, n)
}

// x2x4 is portableLanes(vecX2, ...) in eight Float64x4 registers, in
// two passes of four.
func x2x4(a, dx, t0 float64, n int) (even, odd float64) {
	return finish4(vecX2, x2Pass4(a, dx, t0, n/lanes), x2Pass4(a, dx, t0+16, n/lanes), a, dx, t0, n)
}

// x2Pass4 is a pass of x2x4: the sums of 16 lanes over groups whole
// groups of 32 points, the first lane's first point at index t.
func x2Pass4(a, dx, t float64, groups int) [4]archsimd.Float64x4 {
	av, dxv, step, four, t0 := start4(a, dx, t)
	var s0, s1, s2, s3 archsimd.Float64x4
	for range groups {
		t1 := t0.Add(four)
		t2 := t1.Add(four)
		t3 := t2.Add(four)
		x0 := av.Add(t0.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = x0.MulAdd(x0, s0)
		s1 = x1.MulAdd(x1, s1)
		s2 = x2.MulAdd(x2, s2)
		s3 = x3.MulAdd(x3, s3)
		t0 = t0.Add(step)
	}
	return [4]archsimd.Float64x4{s0, s1, s2, s3}
}

// x3x4 is portableLanes(vecX3, ...) in eight Float64x4 registers, in
// two passes of four.
func x3x4(a, dx, t0 float64, n int) (even, odd float64) {
	return finish4(vecX3, x3Pass4(a, dx, t0, n/lanes), x3Pass4(a, dx, t0+16, n/lanes), a, dx, t0, n)
}

// x3Pass4 is a pass of x3x4: the sums of 16 lanes over groups whole
// groups of 32 points, the first lane's first point at index t.
func x3Pass4(a, dx, t float64, groups int) [4]archsimd.Float64x4 {
	av, dxv, step, four, t0 := start4(a, dx, t)
	var s0, s1, s2, s3 archsimd.Float64x4
	for range groups {
		t1 := t0.Add(four)
		t2 := t1.Add(four)
		t3 := t2.Add(four)
		x0 := av.Add(t0.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = x0.Mul(x0).MulAdd(x0, s0)
		s1 = x1.Mul(x1).MulAdd(x1, s1)
		s2 = x2.Mul(x2).MulAdd(x2, s2)
		s3 = x3.Mul(x3).MulAdd(x3, s3)
		t0 = t0.Add(step)
	}
	return [4]archsimd.Float64x4{s0, s1, s2, s3}
}

// inv1px2x4 is portableLanes(vecInv1px2, ...) in eight Float64x4 registers, in
// two passes of four.
func inv1px2x4(a, dx, t0 float64, n int) (even, odd float64) {
	return finish4(vecInv1px2, inv1px2Pass4(a, dx, t0, n/lanes), inv1px2Pass4(a, dx, t0+16, n/lanes), a, dx, t0, n)
}

// inv1px2Pass4 is a pass of inv1px2x4: the sums of 16 lanes over groups whole
// groups of 32 points, the first lane's first point at index t.
func inv1px2Pass4(a, dx, t float64, groups int) [4]archsimd.Float64x4 {
	av, dxv, step, four, t0 := start4(a, dx, t)
	one := archsimd.BroadcastFloat64x4(1)
	var s0, s1, s2, s3 archsimd.Float64x4
	for range groups {
		t1 := t0.Add(four)
		t2 := t1.Add(four)
		t3 := t2.Add(four)
		x0 := av.Add(t0.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = s0.Add(four.Div(x0.MulAdd(x0, one)))
		s1 = s1.Add(four.Div(x1.MulAdd(x1, one)))
		s2 = s2.Add(four.Div(x2.MulAdd(x2, one)))
		s3 = s3.Add(four.Div(x3.MulAdd(x3, one)))
		t0 = t0.Add(step)
	}
	return [4]archsimd.Float64x4{s0, s1, s2, s3}
}

// sqrt1mx2x4 is portableLanes(vecSqrt1mx2, ...) in eight Float64x4 registers, in
// two passes of four.
func sqrt1mx2x4(a, dx, t0 float64, n int) (even, odd float64) {
	return finish4(vecSqrt1mx2, sqrt1mx2Pass4(a, dx, t0, n/lanes), sqrt1mx2Pass4(a, dx, t0+16, n/lanes), a, dx, t0, n)
}

// sqrt1mx2Pass4 is a pass of sqrt1mx2x4: the sums of 16 lanes over groups whole
// groups of 32 points, the first lane's first point at index t.
func sqrt1mx2Pass4(a, dx, t float64, groups int) [4]archsimd.Float64x4 {
	av, dxv, step, four, t0 := start4(a, dx, t)
	one := archsimd.BroadcastFloat64x4(1)
	var s0, s1, s2, s3 archsimd.Float64x4
	for range groups {
		t1 := t0.Add(four)
		t2 := t1.Add(four)
		t3 := t2.Add(four)
		x0 := av.Add(t0.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = s0.Add(one.Sub(x0.Mul(x0)).Sqrt())
		s1 = s1.Add(one.Sub(x1.Mul(x1)).Sqrt())
		s2 = s2.Add(one.Sub(x2.Mul(x2)).Sqrt())
		s3 = s3.Add(one.Sub(x3.Mul(x3)).Sqrt())
		t0 = t0.Add(step)
	}
	return [4]archsimd.Float64x4{s0, s1, s2, s3}
}
