package integrate

import (
	"math"
	"slices"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/suggest"
)

//go:generate go run gen_kernels.go

// An Integrand is a function registered by name. Names are what the
// processes mode sends to its workers: a Go func value cannot be written
// to a pipe, for the same reason Python's pickle cannot send a lambda to a
// multiprocessing.Pool. A worker looks the name up in its own copy of the
// registry, which is the same because it is the same binary.
type Integrand struct {
	Name    string  // the name Problem.F takes, such as "x2"
	Formula string  // the function in mathematical notation, such as "x²"
	Lo, Hi  float64 // the domain: bounds must lie in [Lo, Hi]

	// F is the function itself.
	F func(float64) float64
	// Antiderivative is an antiderivative of F, or nil if the integral
	// has no closed form in the standard library's functions.
	Antiderivative func(float64) float64

	// kernel sums F over one block, with F inlined (see kernels.go).
	kernel func(a, dx, t0 float64, n int) (even, odd float64)
	// vector names F's 32-lane kernel (vector.go), which the SIMD build
	// uses instead of kernel; noVector if F has none.
	vector vectorOp
}

// The integrands, written as small named functions so that the generated
// kernels call them directly and the compiler inlines them.
func x2(x float64) float64       { return x * x }
func x3(x float64) float64       { return x * x * x }
func inv1px2(x float64) float64  { return 4 / (1 + x*x) }
func sqrt1mx2(x float64) float64 { return math.Sqrt(1 - x*x) }
func gauss(x float64) float64    { return math.Exp(-x * x) }
func sinx2(x float64) float64    { return math.Sin(x * x) }

// registry returns the integrands in the order -list shows them. It builds
// a new slice on each call: there is no package state to modify.
//
// It is the one list of integrands: gen_kernels.go reads it to write
// kernels.go, a kernel per entry that sums the entry's F (a named func or
// a package's, such as math.Sin) under the name in its kernel field. After
// adding or changing an entry, run make generate; TestKernelsAreCurrent
// fails until then. An entry whose F a vector register can compute names
// its 32-lane kernel in its vector field (vector.go, simd_amd64.go),
// which only the SIMD build uses.
func registry() []Integrand {
	inf := math.Inf(1)
	return []Integrand{
		{Name: "x2", Formula: "x²", Lo: -inf, Hi: inf, F: x2, kernel: kernelX2, vector: vecX2,
			Antiderivative: func(x float64) float64 { return x * x * x / 3 }},
		{Name: "x3", Formula: "x³", Lo: -inf, Hi: inf, F: x3, kernel: kernelX3, vector: vecX3,
			Antiderivative: func(x float64) float64 { return x * x * x * x / 4 }},
		{Name: "sin", Formula: "sin x", Lo: -inf, Hi: inf, F: math.Sin, kernel: kernelSin,
			Antiderivative: func(x float64) float64 { return -math.Cos(x) }},
		{Name: "cos", Formula: "cos x", Lo: -inf, Hi: inf, F: math.Cos, kernel: kernelCos,
			Antiderivative: math.Sin},
		{Name: "exp", Formula: "eˣ", Lo: -inf, Hi: inf, F: math.Exp, kernel: kernelExp,
			Antiderivative: math.Exp},
		{Name: "inv1px2", Formula: "4/(1+x²)  (π on [0,1])", Lo: -inf, Hi: inf, F: inv1px2,
			kernel: kernelInv1px2, vector: vecInv1px2,
			Antiderivative: func(x float64) float64 { return 4 * math.Atan(x) }},
		{Name: "sqrt1mx2", Formula: "√(1-x²)  (π/4 on [0,1])", Lo: -1, Hi: 1, F: sqrt1mx2,
			kernel: kernelSqrt1mx2, vector: vecSqrt1mx2,
			Antiderivative: func(x float64) float64 {
				return (x*math.Sqrt(1-x*x) + math.Asin(x)) / 2
			}},
		{Name: "gauss", Formula: "e^(-x²)", Lo: -inf, Hi: inf, F: gauss, kernel: kernelGauss,
			Antiderivative: func(x float64) float64 { return math.Sqrt(math.Pi) / 2 * math.Erf(x) }},
		{Name: "sinx2", Formula: "sin(x²)  (no closed form)", Lo: -inf, Hi: inf, F: sinx2,
			kernel: kernelSinx2},
	}
}

// Integrands returns the registered integrands, in a fixed order. The
// slice is the caller's to modify.
func Integrands() []Integrand { return registry() }

// Lookup returns the integrand with the given name. For an unknown name
// the error names the closest registered one and matches ErrInvalid.
func Lookup(name string) (Integrand, error) {
	reg := registry()
	i := slices.IndexFunc(reg, func(in Integrand) bool { return in.Name == name })
	if i < 0 {
		names := make([]string, len(reg))
		for j, in := range reg {
			names[j] = in.Name
		}
		return Integrand{}, unknown("integrand", name, "all", names)
	}
	return reg[i], nil
}

// unknown is the error for a name that is not one of names: it names the
// closest one if it looks like a typo of it, and lists them all.
func unknown(kind, name, listed string, names []string) error {
	if c := suggest.Closest(name, names); c != "" {
		return invalid("unknown %s %q (did you mean %q? %s: %s)", kind, name, c, listed, strings.Join(names, ", "))
	}
	return invalid("unknown %s %q (%s: %s)", kind, name, listed, strings.Join(names, ", "))
}
