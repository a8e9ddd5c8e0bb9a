// Package processes runs an external command once per input file, a few
// at a time, and collects what each run did: its exit status, its output
// and its error output. When its context is done (Ctrl-C), it kills the
// commands that are running, starts no more, and waits for every one it
// started.
package processes

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"sync"
)

// A Result is what one command, run on one file, did.
type Result struct {
	File     string // the file the command was given, last on its command line
	ExitCode int    // its exit status; -1 if it never started, or a signal ended it
	Stdout   string // everything it wrote to its standard output
	Stderr   string // everything it wrote to its standard error
	// Err is nil if the command ran and exited with status 0. Otherwise it
	// says why not: an *exec.ExitError for a non-zero status or a signal
	// (a command killed because ctx was done ends with "signal: killed");
	// the error from starting it (exec.ErrNotFound, say); or ctx.Err() if
	// ctx was done before its turn came, and it was never started.
	Err error
}

// RunAll runs the command name with args, followed by one file, for each
// of files: for file f, the command line is name, args..., f. At most
// limit commands run at once; the others wait for a free slot, in the
// order of files. A failing command does not stop the others.
//
// RunAll returns one Result per file, in the order of files, once every
// command it started has exited and been waited for: no child process is
// left behind, running or zombie. Each command's output is read while it
// runs, so a command may write any amount.
//
// If ctx is done first, the commands that are running are killed, no new
// one is started, and RunAll returns, once each started command has been
// waited for, the results (the files never started have ctx.Err() as
// their Err) and ctx.Err(). Otherwise the error is nil. A limit below 1
// is an error, and nothing is run.
func RunAll(ctx context.Context, limit int, name string, args []string,
	files []string) ([]Result, error) {
	if limit < 1 {
		return nil, fmt.Errorf("processes: limit must be at least 1, got %d", limit)
	}
	results := make([]Result, len(files))
	// The channel is the limit: one buffer slot per command that may run.
	// A slot is taken before the command's goroutine starts, and given
	// back when the command has been waited for.
	slots := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, file := range files {
		// We look at ctx before the select: with ctx done and a slot
		// free, a select picks either case at random.
		if ctx.Err() == nil {
			select {
			case slots <- struct{}{}: // a slot is ours
			case <-ctx.Done(): // Ctrl-C while we waited for a slot
			}
		}
		if err := ctx.Err(); err != nil {
			results[i] = Result{File: file, ExitCode: -1, Err: err}
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			results[i] = runOne(ctx, name, args, file) // only this goroutine writes results[i]
		})
	}
	wg.Wait() // every command has been waited for
	return results, ctx.Err()
}

// runOne runs name with args and file, and returns what it did. The
// command is killed if ctx is done, and always waited for.
func runOne(ctx context.Context, name string, args []string, file string) Result {
	// slices.Concat makes a new slice: append(args, file) could write file
	// into spare room of the caller's args, which every goroutine shares.
	cmd := exec.CommandContext(ctx, name, slices.Concat(args, []string{file})...)
	// With buffers as Stdout and Stderr, exec copies each stream in a
	// goroutine of its own while the command runs, and Wait joins them:
	// nothing waits on a full pipe, and both are complete when Run returns.
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run() // Start, then Wait: the command is reaped on every path
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode() // -1 if a signal ended it
	}
	return Result{File: file, ExitCode: code, Stdout: stdout.String(),
		Stderr: stderr.String(), Err: err}
}
