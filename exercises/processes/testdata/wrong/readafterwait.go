// Wrong: stdout goes into a pipe that is read only after the command has exited.
// A pipe holds about 64 KiB. A command that prints more blocks on its
// write until someone reads, so it never exits, and Run waits for it for
// ever. Small outputs fit in the pipe, and work.
// Caught by: TestLargeOutput
package processes

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
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
	res := Result{File: file, ExitCode: -1}
	r, w, err := os.Pipe()
	if err != nil {
		res.Err = err
		return res
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, name, slices.Concat(args, []string{file})...)
	var stderr bytes.Buffer
	cmd.Stdout = w // an *os.File: the child writes to it directly
	cmd.Stderr = &stderr
	res.Err = cmd.Run()
	w.Close()
	out, _ := io.ReadAll(r) // only now: after the command has exited
	res.Stdout, res.Stderr = string(out), stderr.String()
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	return res
}
