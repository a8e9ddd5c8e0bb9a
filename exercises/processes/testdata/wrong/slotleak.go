// Wrong: a command that cannot be started returns early and never gives back its slot, so once limit commands have failed to start, RunAll waits for a free slot for ever.
// The slot is given back by hand at the end of the goroutine, after Wait;
// the early return for a failed Start skips that line, as a forgotten
// Unlock on an early return leaves a mutex locked.
// Caught by: TestMissingCommand
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
			cmd := exec.CommandContext(ctx, name, slices.Concat(args, []string{file})...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout = &stdout
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				results[i] = Result{File: file, ExitCode: -1, Err: err}
				return // wrong: the slot is still taken
			}
			err := cmd.Wait()
			results[i] = Result{File: file, ExitCode: cmd.ProcessState.ExitCode(),
				Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
			<-slots
		})
	}
	wg.Wait()
	return results, ctx.Err()
}
