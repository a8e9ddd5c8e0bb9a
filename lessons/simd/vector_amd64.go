//go:build goexperiment.simd && amd64

package main

import "simd/archsimd"

// This file is the SIMD build: it is compiled only with GOEXPERIMENT=simd
// on amd64, the only place where the package simd/archsimd exists. Every
// other build compiles vector_other.go instead, which defines the same
// functions with the portable kernels. Note that the two files must
// define exactly the same names: a function missing from one breaks that
// build only, which `make cross` and the SIMD build of `make test` check.

// build says which build this is and which kernels lanes4 and lanes32
// run on this CPU.
func build() []string {
	switch {
	case archsimd.X86.AVX512():
		return []string{"GOEXPERIMENT=simd, CPU with AVX-512: step 3 runs one Float64x4, steps 4 and 5 four Float64x8"}
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return []string{"GOEXPERIMENT=simd, CPU with AVX2 (no AVX-512): step 3 runs one Float64x4, steps 4 and 5 eight Float64x4"}
	case archsimd.X86.AVX2():
		return []string{"GOEXPERIMENT=simd, CPU with AVX2 but no FMA: step 3 runs one Float64x4, steps 4 and 5 portable Go"}
	}
	return []string{"GOEXPERIMENT=simd, but this CPU has no AVX2: steps 3 to 5 run portable Go"}
}

// lanes4 computes sum4 with one Float64x4 register: the four running sums
// of sum4 are its four lanes, and one instruction adds all four. The bits
// are sum4's, on any CPU.
func lanes4(a, dx, t0 float64, n int) float64 {
	// We check the CPU at run time: an AVX2 instruction on a CPU without
	// it kills the program (SIGILL). The check costs next to nothing.
	if !archsimd.X86.AVX2() {
		return sum4(a, dx, t0, n)
	}

	// We put the same a and dx in every lane (Broadcast), and in lane k
	// the index t0+k of the point that lane sums first; each step moves
	// every lane on by four points.
	av := archsimd.BroadcastFloat64x4(a)
	dxv := archsimd.BroadcastFloat64x4(dx)
	step := archsimd.BroadcastFloat64x4(4)
	t := archsimd.LoadFloat64x4(&[4]float64{t0, t0 + 1, t0 + 2, t0 + 3})
	var sum archsimd.Float64x4 // four zeros
	j := 0
	for ; j+4 <= n; j += 4 {
		// Note Mul then Add, two roundings, where sum4 writes
		// a + float64(t*dx) and sum += float64(x*x): a fused MulAdd
		// would be faster but round once, and give other bits.
		x := av.Add(t.Mul(dxv))
		sum = sum.Add(x.Mul(x))
		t = t.Add(step)
	}

	// There is no instruction that adds a register's lanes together: we
	// store them, and fold them and add the tail in scalar code, with
	// the functions sum4 uses. Before that scalar code runs, we clear the upper halves of the
	// vector registers: Go does not emit the VZEROUPPER instruction that
	// C compilers put after AVX code, and without it the CPU runs the
	// scalar (SSE) instructions after it several times slower.
	var l [4]float64
	sum.Store(&l)
	archsimd.ClearAVXUpperBits()
	return addSquares(fold(l[:]), a, dx, t0, j, n)
}

// lanes32 computes sum32 with the widest registers the CPU has: four
// Float64x8 with AVX-512, eight Float64x4 with AVX2 and FMA, portable Go
// otherwise. Lane k of the 32 is the same running sum in each, so the bits
// are sum32's, on any CPU.
func lanes32(a, dx, t0 float64, n int) float64 {
	switch {
	case archsimd.X86.AVX512():
		return lanes32x8(a, dx, t0, n)
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return lanes32x4(a, dx, t0, n)
	}
	return sum32(a, dx, t0, n)
}

// lanes32x8 is lanes32 in four Float64x8 registers: register r, lane m is
// sum32's lane 8r+m. The CPU must have AVX-512.
func lanes32x8(a, dx, t0 float64, n int) float64 {
	av := archsimd.BroadcastFloat64x8(a)
	dxv := archsimd.BroadcastFloat64x8(dx)
	step := archsimd.BroadcastFloat64x8(lanes)
	var first [8]float64
	for m := range first {
		first[m] = t0 + float64(m)
	}
	t0v := archsimd.LoadFloat64x8(&first)
	t1 := t0v.Add(archsimd.BroadcastFloat64x8(8))
	t2 := t0v.Add(archsimd.BroadcastFloat64x8(16))
	t3 := t0v.Add(archsimd.BroadcastFloat64x8(24))

	// Four registers, four independent running sums per lane: one
	// register's MulAdd need not wait for the one before it, so the CPU
	// keeps several in flight, as sum4 does with scalars.
	var s0, s1, s2, s3 archsimd.Float64x8
	j := 0
	for ; j+lanes <= n; j += lanes {
		x0 := av.Add(t0v.Mul(dxv))
		x1 := av.Add(t1.Mul(dxv))
		x2 := av.Add(t2.Mul(dxv))
		x3 := av.Add(t3.Mul(dxv))
		s0 = x0.MulAdd(x0, s0) // x0·x0 + s0, rounded once
		s1 = x1.MulAdd(x1, s1)
		s2 = x2.MulAdd(x2, s2)
		s3 = x3.MulAdd(x3, s3)
		t0v, t1, t2 = t0v.Add(step), t1.Add(step), t2.Add(step)
		t3 = t3.Add(step)
	}

	// We fold in halves, as fold does: lane k+16 onto lane k is
	// register 2 onto 0 and 3 onto 1; then k+8 onto k, 1 onto 0; then the
	// upper half of the register onto its lower half, twice.
	s := s0.Add(s2).Add(s1.Add(s3))
	h := s.GetLo().Add(s.GetHi())
	q := h.GetLo().Add(h.GetHi())
	var l [2]float64
	q.Store(&l)
	archsimd.ClearAVXUpperBits()
	return fmaSquares(fold(l[:]), a, dx, t0, j, n)
}

// lanes32x4 is lanes32 in eight Float64x4 registers: register r, lane m
// is sum32's lane 4r+m. The CPU must have AVX2 and FMA.
func lanes32x4(a, dx, t0 float64, n int) float64 {
	av := archsimd.BroadcastFloat64x4(a)
	dxv := archsimd.BroadcastFloat64x4(dx)
	step := archsimd.BroadcastFloat64x4(lanes)
	t := archsimd.LoadFloat64x4(&[4]float64{t0, t0 + 1, t0 + 2, t0 + 3})

	// Register r's lanes are 4r points on from t. Sixteen registers hold
	// eight sums, t, a, dx and the step; the eight offsets stay in memory,
	// where an addition can read them directly.
	var off [8]archsimd.Float64x4
	for r := range off {
		off[r] = archsimd.BroadcastFloat64x4(float64(4 * r))
	}
	var s [8]archsimd.Float64x4
	j := 0
	for ; j+lanes <= n; j += lanes {
		for r := range s {
			x := av.Add(t.Add(off[r]).Mul(dxv))
			s[r] = x.MulAdd(x, s[r])
		}
		t = t.Add(step)
	}

	// Fold in halves: registers 4..7 onto 0..3 (lane k+16 onto k), 2..3
	// onto 0..1, 1 onto 0, then the register's halves.
	for half := 4; half >= 1; half /= 2 {
		for r := range half {
			s[r] = s[r].Add(s[r+half])
		}
	}
	q := s[0].GetLo().Add(s[0].GetHi())
	var l [2]float64
	q.Store(&l)
	archsimd.ClearAVXUpperBits()
	return fmaSquares(fold(l[:]), a, dx, t0, j, n)
}
