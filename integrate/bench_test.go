package integrate

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// sizes are the numbers of intervals the mode benchmarks try: from where
// starting workers costs more than the work, to the Python notes' 10⁸.
var sizes = []struct {
	name string
	n    int64
}{{"1e4", 1e4}, {"1e5", 1e5}, {"1e6", 1e6}, {"1e7", 1e7}, {"1e8", 1e8}}

var benchWorkers = []int{1, 2, 4}

// reportEval reports the time per evaluation of f, the figure to compare
// across sizes and with Python.
func reportEval(b *testing.B, n int64) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*n), "ns/eval")
}

// BenchmarkModes computes ∫ x² on [0, 10] in each mode at each size. The
// serial row is the baseline: speedup = serial ns/op ÷ the row's ns/op.
// processes starts and stops its workers in every op (integrate.Processes,
// what the command measures); pool reuses workers started once, the cost
// of the work alone.
func BenchmarkModes(b *testing.B) {
	ctx := context.Background()
	for _, s := range sizes {
		p := Problem{F: "x2", A: 0, B: 10, N: s.n}
		b.Run(fmt.Sprintf("n=%s/serial", s.name), func(b *testing.B) {
			for b.Loop() {
				if _, err := Serial(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
			reportEval(b, s.n)
		})
		for _, w := range benchWorkers {
			b.Run(fmt.Sprintf("n=%s/goroutines/workers=%d", s.name, w), func(b *testing.B) {
				for b.Loop() {
					if _, err := Goroutines(ctx, p, w); err != nil {
						b.Fatal(err)
					}
				}
				reportEval(b, s.n)
			})
		}
		for _, w := range benchWorkers {
			b.Run(fmt.Sprintf("n=%s/processes/workers=%d", s.name, w), func(b *testing.B) {
				for b.Loop() {
					if _, err := Processes(ctx, p, w); err != nil {
						b.Fatal(err)
					}
				}
				reportEval(b, s.n)
			})
		}
		for _, w := range benchWorkers {
			b.Run(fmt.Sprintf("n=%s/pool/workers=%d", s.name, w), func(b *testing.B) {
				pool, err := NewPool(ctx, w)
				if err != nil {
					b.Fatal(err)
				}
				defer pool.Close()
				for b.Loop() {
					if _, err := pool.Integrate(ctx, p); err != nil {
						b.Fatal(err)
					}
				}
				reportEval(b, s.n)
			})
		}
	}
}

// BenchmarkEval measures the cost of one evaluation of f, serially, over
// 2^20 points: the generated kernel with f inlined, the same loop calling
// f through a func value (Problem.Func), and the Python notes' loop
// (s += f(a + i*dx), one accumulator) through a func value.
func BenchmarkEval(b *testing.B) {
	const n = 64 * BlockSize
	ctx := context.Background()
	for _, name := range []string{"x2", "sin"} {
		in, err := Lookup(name)
		if err != nil {
			b.Fatal(err)
		}
		p := Problem{F: name, A: 0, B: 10, N: n}
		b.Run(name+"/kernel", func(b *testing.B) {
			for b.Loop() {
				Serial(ctx, p)
			}
			reportEval(b, n)
		})
		fp := Problem{Func: in.F, A: 0, B: 10, N: n}
		b.Run(name+"/func", func(b *testing.B) {
			for b.Loop() {
				Serial(ctx, fp)
			}
			reportEval(b, n)
		})
		b.Run(name+"/naive-func", func(b *testing.B) {
			for b.Loop() {
				naiveSum(in.F, 0, 10, n, Left)
			}
			reportEval(b, n)
		})
	}
}

// BenchmarkFanOut measures the fixed cost of each mode: w blocks for w
// workers, so each worker has one block (16384 points, about 8 µs) and
// the rest of the time is what it costs to start the goroutines, or the
// processes, hand them the work and collect the results. The serial row
// with the same n is the work alone.
func BenchmarkFanOut(b *testing.B) {
	ctx := context.Background()
	for _, w := range benchWorkers {
		p := Problem{F: "x2", A: 0, B: 10, N: int64(w) * BlockSize}
		b.Run(fmt.Sprintf("blocks=%d/serial", w), func(b *testing.B) {
			for b.Loop() {
				Serial(ctx, p)
			}
		})
		b.Run(fmt.Sprintf("blocks=%d/goroutines/workers=%d", w, w), func(b *testing.B) {
			for b.Loop() {
				Goroutines(ctx, p, w)
			}
		})
		b.Run(fmt.Sprintf("blocks=%d/processes/workers=%d", w, w), func(b *testing.B) {
			for b.Loop() {
				if _, err := Processes(ctx, p, w); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("blocks=%d/pool/workers=%d", w, w), func(b *testing.B) {
			pool, err := NewPool(ctx, w)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			for b.Loop() {
				if _, err := pool.Integrate(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A benchKernel is a block kernel BenchmarkKernels measures, by name.
type benchKernel struct {
	name   string
	kernel func(a, dx, t0 float64, n int) (even, odd float64)
}

// BenchmarkKernels backs the README's SIMD figures: ∫ x² on [0, 10] with
// N = 10⁸ and 10⁹ (midpoint), serial and on 1, 2 and 4 goroutines, with
// each kernel this build has (benchKernels): the scalar kernel in every
// build, and in the SIMD build the vector kernel of each width the CPU
// runs. The names say the build (build=default or build=simd): the same
// scalar kernel runs slower in the SIMD build (see the README). Each
// goroutines row reports its speedup over the same kernel's serial row,
// and its efficiency (speedup per core it could use). Compare the builds
// with
//
//	go test -run '^$' -bench Kernels -count 5 ./integrate
//	GOEXPERIMENT=simd go test -run '^$' -bench Kernels -count 5 ./integrate
func BenchmarkKernels(b *testing.B) {
	ctx := context.Background()
	for _, size := range []struct {
		name string
		n    int64
	}{{"1e8", 1e8}, {"1e9", 1e9}} {
		for _, k := range benchKernels() {
			pl, err := newPlan(Problem{F: "x2", A: 0, B: 10, N: size.n})
			if err != nil {
				b.Fatal(err)
			}
			pl.kernel = k.kernel
			prefix := fmt.Sprintf("build=%s/n=%s/kernel=%s", buildName, size.name, k.name)
			var serial float64 // ns per op; 0 if -bench filtered it out
			b.Run(prefix+"/serial", func(b *testing.B) {
				for b.Loop() {
					if _, err := pl.serial(ctx); err != nil {
						b.Fatal(err)
					}
				}
				serial = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(serial/float64(size.n), "ns/point")
			})
			for _, w := range benchWorkers {
				b.Run(fmt.Sprintf("%s/goroutines/workers=%d", prefix, w), func(b *testing.B) {
					for b.Loop() {
						if _, err := pl.goroutines(ctx, w); err != nil {
							b.Fatal(err)
						}
					}
					perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
					b.ReportMetric(perOp/float64(size.n), "ns/point")
					if serial > 0 {
						b.ReportMetric(serial/perOp, "speedup")
						b.ReportMetric(serial/perOp/float64(min(w, runtime.GOMAXPROCS(0))), "efficiency")
					}
				})
			}
		}
	}
}
