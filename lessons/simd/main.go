// The simd command shows the fourth kind of parallelism, beside
// goroutines, processes and machines: several numbers per instruction
// (SIMD, single instruction, multiple data). A vector register holds four
// or eight float64s, its lanes, and one instruction adds or multiplies
// every lane at once. It is the Go answer to the Python notes' numpy,
// which vectorises the integral the same way, in compiled C.
//
// It computes the midpoint rule for x² on [0, 10] five ways: one running
// sum; four running sums; the four sums in the four lanes of a Float64x4
// register, with the same bits; 32 lanes in the widest registers the CPU
// has, with fused multiply-adds; and those in blocks on several
// goroutines, SIMD inside each core and goroutines across the cores.
//
// The vector kernels use the experimental package simd/archsimd, which
// exists only with GOEXPERIMENT=simd on amd64 (Go 1.26). Every other build
// runs portable Go kernels that compute the same sums, addition by
// addition, so that the program builds, runs and prints the same numbers
// everywhere:
//
//	go run ./lessons/simd                   # the default build: portable Go
//	GOEXPERIMENT=simd go run ./lessons/simd # the SIMD build
//
// Usage:
//
//	go run ./lessons/simd [-n points] [-workers w] [-times=false]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "simd:", err)
		os.Exit(1)
	}
}

// The integral the lesson computes: x² from lower to upper, which is
// exactly (upper³ - lower³)/3 = 1000/3.
const (
	lower = 0.0
	upper = 10.0
	exact = 1000.0 / 3
)

// run computes the integral the five ways and prints each result and its
// error; unless -times=false, also which build and kernels ran and how
// long each way took. It returns ctx.Err() if ctx is done between two
// steps. Every goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	n := cfg.n
	fmt.Fprintf(w, "∫ x² dx from %v to %v = 1000/3 = %v\n", lower, upper,
		exact)
	fmt.Fprintf(w, "midpoint rule, n = %d points, workers = %d\n", n,
		cfg.workers)
	// We say which build this is: the same source runs other kernels in
	// the SIMD build, and every time below belongs to its build.
	if cfg.times {
		prefix := "build:"
		for _, line := range build() {
			fmt.Fprintf(w, "%-7s%s\n", prefix, line)
			prefix = ""
		}
	}
	fmt.Fprintln(w)
	report := func(label string, sum float64, took time.Duration) {
		fmt.Fprintf(w, "%-32s %-20v error %+.2e", label, sum, sum-exact)
		if cfg.times {
			fmt.Fprintf(w, "  took %v", took.Round(100*time.Microsecond))
		}
		fmt.Fprintln(w)
	}

	// We start from the notes' loop: one running sum, each addition
	// waiting for the one before.
	begin := time.Now()
	one := midpoint(sum1, lower, upper, n)
	report("1. scalar, 1 running sum", one, time.Since(begin))
	if err := ctx.Err(); err != nil {
		return err
	}

	// Four running sums, each taking every fourth point, let the CPU
	// overlap four additions. Note that the result changes in its last
	// bits: the same numbers are added in another order, and
	// floating-point addition is not associative.
	begin = time.Now()
	four := midpoint(sum4, lower, upper, n)
	report("2. scalar, 4 running sums", four, time.Since(begin))
	if err := ctx.Err(); err != nil {
		return err
	}

	// The four running sums are the four lanes of one Float64x4 register
	// in the SIMD build: one instruction adds all four. They add the same
	// numbers in the same order, so the bits are step 2's.
	begin = time.Now()
	vec4 := midpoint(lanes4, lower, upper, n)
	report("3. 4 lanes", vec4, time.Since(begin))
	fmt.Fprintf(w, "   the same bits as 2: %t\n", vec4 == four)
	if err := ctx.Err(); err != nil {
		return err
	}

	// The widest registers, several of them, and a fused multiply-add:
	// 32 running sums. We check them against the portable definition of
	// the same 32 sums, which the default build runs in their place.
	begin = time.Now()
	vec32 := midpoint(lanes32, lower, upper, n)
	report("4. 32 lanes, fused multiply-add", vec32, time.Since(begin))
	fmt.Fprintf(w, "   the same bits as 32 portable running sums: %t\n",
		vec32 == midpoint(sum32, lower, upper, n))
	if err := ctx.Err(); err != nil {
		return err
	}

	// SIMD inside each core, goroutines across the cores: step 4's kernel
	// on fixed blocks, the block sums added in block order, so that the
	// number of workers changes no addition.
	begin = time.Now()
	par := blocks(lanes32, lower, upper, n, cfg.workers)
	report(fmt.Sprintf("5. step 4 in blocks of %d", blockSize), par,
		time.Since(begin))
	same := true
	for ws := 1; ws <= 8; ws++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		same = same && blocks(lanes32, lower, upper, n, ws) == par
	}
	fmt.Fprintf(w, "   the same bits with 1 to 8 workers: %t\n", same)
	return nil
}
