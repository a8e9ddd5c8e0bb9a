package futures_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/concurrency-workbook/workbook/patterns/futures"
)

// Submit a task, wait for its result, and react when it is done.
func Example() {
	e := futures.NewExecutor(4)
	defer e.Shutdown()

	f := futures.Submit(e, func(context.Context) (int, error) {
		return 6 * 7, nil
	})
	v, err := f.Result(context.Background())
	fmt.Println(v, err, f.Done())

	// A callback added to a done future runs at once, here.
	f.AddDoneCallback(func(f *futures.Future[int]) {
		v, _ := f.Result(context.Background())
		fmt.Println("callback saw", v)
	})
	// Output:
	// 42 <nil> true
	// callback saw 42
}

// Cancel drops a future that has not started; its task never runs.
func ExampleFuture_Cancel() {
	e := futures.NewExecutor(1)
	defer e.Shutdown()

	// The one worker is busy until we close release.
	release := make(chan struct{})
	busy := futures.Submit(e, func(context.Context) (string, error) {
		<-release
		return "busy", nil
	})
	queued := futures.Submit(e, func(context.Context) (string, error) {
		return "queued", nil
	})
	fmt.Println("cancel queued:", queued.Cancel())
	_, err := queued.Result(context.Background())
	fmt.Println(errors.Is(err, futures.ErrCancelled))

	close(release)
	v, _ := busy.Result(context.Background())
	fmt.Println(v, "cancel busy:", busy.Cancel())
	// Output:
	// cancel queued: true
	// true
	// busy cancel busy: false
}

// Map keeps the input order, whatever order the calls finish in.
func ExampleMap() {
	e := futures.NewExecutor(3)
	defer e.Shutdown()

	words := []string{"go", "futures", "map"}
	out, err := futures.Map(context.Background(), e,
		func(_ context.Context, s string) (string, error) {
			return strings.ToUpper(s), nil
		}, words)
	fmt.Println(out, err)
	// Output:
	// [GO FUTURES MAP] <nil>
}

// After Shutdown, Submit returns a future that has failed.
func ExampleExecutor_Shutdown() {
	e := futures.NewExecutor(2)
	e.Shutdown()
	f := futures.Submit(e, func(context.Context) (int, error) { return 1, nil })
	_, err := f.Result(context.Background())
	fmt.Println(err)
	// Output:
	// futures: executor is shut down
}

// ShutdownNow cancels the futures still queued and the context of the
// running task, then waits for that task to return.
func ExampleExecutor_ShutdownNow() {
	e := futures.NewExecutor(1)
	started := make(chan struct{})
	running := futures.Submit(e, func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done() // a long task that watches its ctx
		return "", ctx.Err()
	})
	queued := futures.Submit(e, func(context.Context) (string, error) {
		return "queued", nil
	})
	<-started
	e.ShutdownNow()
	_, err := running.Result(context.Background())
	fmt.Println("running:", err)
	fmt.Println("queued cancelled:", queued.Cancelled())
	// Output:
	// running: context canceled
	// queued cancelled: true
}

// AsCompleted yields futures as they complete. Here each task waits for
// the one before it to be reported, so the order is fixed: the reverse of
// submission.
func ExampleAsCompleted() {
	e := futures.NewExecutor(3)
	defer e.Shutdown()

	// gates[i] is closed when task i may finish.
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var fs []*futures.Future[string]
	for i, name := range []string{"slow", "medium", "fast"} {
		fs = append(fs, futures.Submit(e, func(context.Context) (string, error) {
			<-gates[i]
			return name, nil
		}))
	}
	close(gates[2])
	next := 1
	for f := range futures.AsCompleted(context.Background(), fs...) {
		v, _ := f.Result(context.Background())
		fmt.Println(v)
		if next >= 0 {
			close(gates[next]) // let the next slowest finish
			next--
		}
	}
	// Output:
	// fast
	// medium
	// slow
}
