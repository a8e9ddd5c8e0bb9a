// Wrong: each goroutine appends its result as its command finishes, so the results come in the order the commands finished, not the order of files.
// Caught by: TestResultsInInputOrderWhenFinishedOutOfOrder
package processes

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"sync"
)

type Result struct {
	File     string
	ExitCode int
	Stdout   string
	Stderr   string
	Err      error
}

func RunAll(ctx context.Context, limit int, name string, args []string,
	files []string) ([]Result, error) {
	if limit < 1 {
		return nil, fmt.Errorf("processes: limit must be at least 1, got %d", limit)
	}
	var (
		mu      sync.Mutex // guards results
		results []Result
	)
	add := func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, r) // wrong: in the order they finish
	}
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, file := range files {
		if ctx.Err() == nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			add(Result{File: file, ExitCode: -1, Err: err})
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			add(runOne(ctx, name, args, file))
		})
	}
	wg.Wait()
	if results == nil {
		results = []Result{}
	}
	return results, ctx.Err()
}

func runOne(ctx context.Context, name string, args []string, file string) Result {
	cmd := exec.CommandContext(ctx, name, slices.Concat(args, []string{file})...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return Result{File: file, ExitCode: code, Stdout: stdout.String(),
		Stderr: stderr.String(), Err: err}
}
