package integrate_test

import (
	"context"
	"encoding/json"
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

// A program that sends the work elsewhere splits the problem into chunks,
// has each computed wherever it likes (here, in the wrong order, and one
// of them as JSON, as a task queue would carry it), and combines the
// sums: the bits of Serial.
func ExampleSplit() {
	ctx := context.Background()
	p := integrate.Problem{F: "gauss", A: -3, B: 3, N: 1_000_003}
	chunks, err := integrate.Split(p, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	sums := make([][]float64, len(chunks))
	for i := len(chunks) - 1; i >= 0; i-- {
		data, _ := json.Marshal(chunks[i]) // what a worker receives
		var c integrate.Chunk
		if err := json.Unmarshal(data, &c); err != nil {
			fmt.Println(err)
			return
		}
		if sums[i], err = c.Sums(ctx); err != nil {
			fmt.Println(err)
			return
		}
	}
	v, err := integrate.Combine(p, chunks, sums)
	if err != nil {
		fmt.Println(err)
		return
	}
	serial, _ := integrate.Serial(ctx, p)
	fmt.Printf("%d chunks, the first %s\n", len(chunks), chunks[0])
	fmt.Printf("combined %.15g, same bits as serial: %t\n", v, math.Float64bits(v) == math.Float64bits(serial))
	// Output:
	// 12 chunks, the first blocks 0..15 of gauss on [-3, 3], n=1000003, midpoint rule, x in [-3, -1.4271407185778442)
	// combined 1.77241469651905, same bits as serial: true
}
