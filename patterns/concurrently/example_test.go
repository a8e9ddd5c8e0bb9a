package concurrently_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/concurrency-workbook/workbook/patterns/concurrently"
)

// A call reads one instrument; here they answer at once.
type call = func(context.Context) (float64, error)

func reading(v float64) call {
	return func(context.Context) (float64, error) { return v, nil }
}

func failing(err error) call {
	return func(context.Context) (float64, error) { return 0, err }
}

// Run calls every function at once and returns the results by name.
func ExampleRun() {
	results, err := concurrently.Run(context.Background(), map[string]call{
		"power": reading(-12.5),
		"freq":  reading(2.4e9),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(results["power"], results["freq"])
	// Output:
	// -12.5 2.4e+09
}

// With several failures, the error lists each one by name, and errors.Is
// finds each call's error.
func ExampleRun_errors() {
	errOverload := errors.New("overload")
	results, err := concurrently.Run(context.Background(), map[string]call{
		"power": failing(errOverload),
		"freq":  failing(errors.New("no lock")),
		"temp":  reading(21.5),
	})
	fmt.Println(results == nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, errOverload))
	// Output:
	// true
	// 2 calls failed: freq: no lock; power: overload
	// true
}

// With Catch, the map holds the results of the calls that succeeded, and
// the error still reports the one that failed.
func ExampleCatch() {
	results, err := concurrently.Run(context.Background(), map[string]call{
		"power": failing(errors.New("overload")),
		"temp":  reading(21.5),
	}, concurrently.Catch())
	fmt.Println(results)
	fmt.Println(err)
	// Output:
	// map[temp:21.5]
	// power: overload
}

// With FailFast, the first failure cancels the ctx of the other calls; the
// call that stopped is in neither the results nor the error.
func ExampleFailFast() {
	results, err := concurrently.Run(context.Background(), map[string]call{
		"power": failing(errors.New("overload")),
		"sweep": func(ctx context.Context) (float64, error) {
			<-ctx.Done() // a long sweep, stopped by the failure
			return 0, ctx.Err()
		},
	}, concurrently.FailFast(), concurrently.Catch())
	fmt.Println(results)
	fmt.Println(err)
	// Output:
	// map[]
	// power: overload
}

// Sequentially makes the calls one at a time, in name order, and stops at
// the first failure.
func ExampleSequentially() {
	step := func(name string, err error) call {
		return func(context.Context) (float64, error) {
			fmt.Println("calling", name)
			return 1, err
		}
	}
	results, err := concurrently.Sequentially(context.Background(),
		map[string]call{
			"3-measure": step("3-measure", nil),
			"1-reset":   step("1-reset", nil),
			"2-arm":     step("2-arm", errors.New("not ready")),
		}, concurrently.Catch())
	fmt.Println(results)
	fmt.Println(err)
	// Output:
	// calling 1-reset
	// calling 2-arm
	// map[1-reset:1]
	// 2-arm: not ready
}
