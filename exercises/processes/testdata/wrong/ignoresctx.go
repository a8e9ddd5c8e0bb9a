// Wrong: the commands are started with exec.Command, and the loop never looks at ctx.
// A cancel kills nothing and stops nothing: RunAll waits for commands that
// wait for ever, and would then start the rest.
// Caught by: TestCancelKillsRunningAndStartsNoMore, TestAlreadyCancelledStartsNothing
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
	results := make([]Result, len(files))
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, file := range files {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = runOne(name, args, file)
		})
	}
	wg.Wait()
	return results, ctx.Err()
}

func runOne(name string, args []string, file string) Result {
	cmd := exec.Command(name, slices.Concat(args, []string{file})...)
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
