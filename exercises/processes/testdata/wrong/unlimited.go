// Wrong: limit is checked, and then ignored: every command starts at once.
// Ten commands with a limit of 3 run ten at a time, and with a limit of 2
// the files behind two running commands start with them, so a cancel has
// more to kill than it should.
// Caught by: TestAtMostLimitAtOnce, TestCancelKillsRunningAndStartsNoMore
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
	var wg sync.WaitGroup
	for i, file := range files {
		if err := ctx.Err(); err != nil {
			results[i] = Result{File: file, ExitCode: -1, Err: err}
			continue
		}
		wg.Go(func() {
			results[i] = runOne(ctx, name, args, file)
		})
	}
	wg.Wait()
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
