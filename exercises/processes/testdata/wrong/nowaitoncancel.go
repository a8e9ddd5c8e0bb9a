// Wrong: a command killed because ctx was done is never waited for, so it stays a zombie.
// It reads the command's output to the end, then, seeing ctx done, skips
// Wait ("it was killed: there is no exit status to collect"). A killed
// process stays in the process table until its parent waits for it.
// Caught by: TestCancelKillsRunningAndStartsNoMore
package processes

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	cmd := exec.CommandContext(ctx, name, slices.Concat(args, []string{file})...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		res.Err = err
		return res
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		res.Err = err
		return res
	}
	if err := cmd.Start(); err != nil {
		res.Err = err
		return res
	}
	var out, errOut bytes.Buffer
	var copies sync.WaitGroup
	copies.Go(func() { io.Copy(&out, stdout) })
	copies.Go(func() { io.Copy(&errOut, stderr) })
	copies.Wait()
	res.Stdout, res.Stderr = out.String(), errOut.String()
	if err := ctx.Err(); err != nil {
		res.Err = err // killed: nothing left to collect, or so it seems
		return res
	}
	res.Err = cmd.Wait()
	res.ExitCode = cmd.ProcessState.ExitCode()
	return res
}
