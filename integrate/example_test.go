package integrate_test

import (
	"context"
	"fmt"
	"math"

	"github.com/concurrency-workbook/workbook/integrate"
)

// π is the integral of 4/(1+x²) from 0 to 1. A million midpoint
// intervals give it to 12 digits.
func ExampleSerial() {
	p := integrate.Problem{F: "inv1px2", A: 0, B: 1, N: 1_000_000}
	pi, err := integrate.Serial(context.Background(), p)
	if err != nil {
		fmt.Println(err)
		return
	}
	exact, _ := integrate.Exact(p)
	fmt.Printf("pi ≈ %.10f (error %.0e)\n", pi, math.Abs(pi-exact))
	// Output:
	// pi ≈ 3.1415926536 (error 8e-14)
}

// The three modes give the same bits: the answer depends only on the
// problem, never on how many workers computed it. (A program that uses
// Processes calls integrate.ServeWorkerIfChild first thing in main; this
// package's TestMain does the same for its test binary.)
func ExampleProcesses() {
	ctx := context.Background()
	p := integrate.Problem{F: "x2", A: 0, B: 10, N: 10_000_019, Rule: integrate.Left}
	serial, _ := integrate.Serial(ctx, p)
	goroutines, _ := integrate.Goroutines(ctx, p, 3)
	processes, err := integrate.Processes(ctx, p, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("serial     %.15g\n", serial)
	fmt.Printf("goroutines %.15g, same bits: %t\n", goroutines,
		math.Float64bits(goroutines) == math.Float64bits(serial))
	fmt.Printf("processes  %.15g, same bits: %t\n", processes,
		math.Float64bits(processes) == math.Float64bits(serial))
	// Output:
	// serial     333.33328333343
	// goroutines 333.33328333343, same bits: true
	// processes  333.33328333343, same bits: true
}

// A Go function works in the serial and goroutines modes; the processes
// mode needs a registered name, because a function cannot be sent to
// another process.
func ExampleProblem_func() {
	ctx := context.Background()
	p := integrate.Problem{Func: math.Log, A: 1, B: math.E, N: 1000, Rule: integrate.Simpson}
	v, _ := integrate.Goroutines(ctx, p, 2)
	fmt.Printf("%.12f\n", v)
	_, err := integrate.Processes(ctx, p, 2)
	fmt.Println(err)
	// Output:
	// 1.000000000000
	// integrate: the processes mode needs a registered integrand (Problem.F): a Go func cannot be sent to another process, as Python's pickle cannot send a lambda
}
