// Wrong: each command line is append(args, file), which writes the file into the caller's args when it has room.
// Every goroutine then writes and reads the same element of the caller's
// array: a data race, and a command may get another command's file.
// Caught by: TestArgsWithSpareCapacity
package processes

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
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
	results := make([]Result, len(files))
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, file := range files {
		if ctx.Err() == nil {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			results[i] = Result{File: file, ExitCode: -1, Err: err}
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = runOne(ctx, name, args, file)
		})
	}
	wg.Wait()
	return results, ctx.Err()
}

func runOne(ctx context.Context, name string, args []string, file string) Result {
	cmd := exec.CommandContext(ctx, name, append(args, file)...)
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
