package taskqueue_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/concurrency-workbook/workbook/patterns/taskqueue"
)

// Start a server in this process, enqueue three jobs, run a worker with
// two jobs in flight at most, and wait for the results.
func Example() {
	dir, err := os.MkdirTemp("", "taskqueue-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	srv, err := taskqueue.StartEmbedded(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()
	nc, err := srv.Connect()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()

	ctx := context.Background()
	q, err := taskqueue.Open(ctx, nc, taskqueue.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer q.Close()
	for _, word := range []string{"alpha", "beta", "gamma"} {
		if _, err := q.Enqueue(ctx, taskqueue.Job{ID: word, Data: []byte(word)}); err != nil {
			fmt.Println(err)
			return
		}
	}

	w := &taskqueue.Worker{
		Queue:       q,
		Concurrency: 2,
		Handler: func(ctx context.Context, job taskqueue.Job) ([]byte, error) {
			return bytes.ToUpper(job.Data), nil
		},
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { _ = w.Run(wctx) })

	results, err := q.Wait(ctx, "alpha", "beta", "gamma")
	for _, r := range results {
		fmt.Println(string(r))
	}
	fmt.Println(err)
	stop()
	wg.Wait()
	// Output:
	// ALPHA
	// BETA
	// GAMMA
	// <nil>
}
