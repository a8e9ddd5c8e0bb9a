package processpool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/patterns/processpool"
)

// square is what the worker named "square" runs: in this package's tests,
// TestMain calls processpool.Serve with it when this test binary is started
// as that worker. A negative n is an error; 13 crashes the worker.
func square(_ context.Context, n int) (int, error) {
	switch {
	case n < 0:
		return 0, fmt.Errorf("negative input %d", n)
	case n == 13:
		panic("unlucky 13")
	}
	return n * n, nil
}

// Start two worker processes (this same binary, as the worker named
// "square") and square five numbers on them.
func Example() {
	ctx := context.Background()
	cmd, err := processpool.Self("square")
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, err := processpool.New[int, int](ctx, cmd, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	squares, err := processpool.Map(ctx, pool, []int{1, 2, 3, 4, 5})
	fmt.Println(squares, err)
	// Output:
	// [1 4 9 16 25] <nil>
}

// Run streams jobs through one worker: while it squares one number, the
// next is already waiting in its stdin.
func ExamplePool_Run() {
	ctx := context.Background()
	cmd, err := processpool.Self("square")
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, err := processpool.New[int, int](ctx, cmd, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	n := 0
	next := func() (int, time.Duration, bool) { // the jobs: 1 to 5
		n++
		return n, 0, n <= 5 // 0: the pool's job deadline
	}
	done := func(n, sq int, err error) error { // each outcome, in order
		fmt.Println(n, sq, err)
		return err // an error would stop Run
	}
	err = pool.Run(ctx, next, done)
	fmt.Printf("%v %+v\n", err, pool.Stats())
	// Output:
	// 1 1 <nil>
	// 2 4 <nil>
	// 3 9 <nil>
	// 4 16 <nil>
	// 5 25 <nil>
	// <nil> {Started:1 Crashed:0 TimedOut:0 Retried:0 Jobs:5 SentAhead:4}
}

// An error from the worker's function comes back as a RemoteError and the
// worker goes on; a crash replaces the worker and retries the job once.
func ExamplePool_Do() {
	ctx := context.Background()
	cmd, err := processpool.Self("square")
	if err != nil {
		fmt.Println(err)
		return
	}
	pool, err := processpool.New[int, int](ctx, cmd, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()

	_, err = pool.Do(ctx, -1)
	var remote *processpool.RemoteError
	if errors.As(err, &remote) {
		fmt.Println("remote error:", remote.Msg)
	}

	_, err = pool.Do(ctx, 13) // panics in every worker that tries it
	var crash *processpool.CrashError
	if errors.As(err, &crash) {
		fmt.Println("crashed twice:", crash.Previous != nil,
			"exit code:", crash.ExitCode(),
			"panic in stderr:", strings.Contains(crash.Stderr, "panic: unlucky 13"))
	}

	n, err := pool.Do(ctx, 12) // a fresh worker takes the empty slot
	fmt.Println(n, err)
	fmt.Printf("%+v\n", pool.Stats())
	// Output:
	// remote error: negative input -1
	// crashed twice: true exit code: 2 panic in stderr: true
	// 144 <nil>
	// {Started:3 Crashed:2 TimedOut:0 Retried:1 Jobs:2 SentAhead:0}
}

// A worker program checks IsWorker first thing in main, and serves its
// function on stdin and stdout until the pool closes stdin. (Not run: this
// package's TestMain does the same for the worker named "square".)
func ExampleServe() {
	if processpool.IsWorker("square") {
		if err := processpool.Serve(context.Background(), os.Stdin, os.Stdout, square); err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// ... the parent's main goes on here, and calls processpool.Self("square").
}
