package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"
)

// interruptGrace is how long a lesson may take to finish after we pass it
// an interrupt before we kill it: time to print its last lines.
const interruptGrace = 5 * time.Second

// runLesson builds lessons/<lesson> and runs it with the flags that follow
// its name, connected to our stdin, stdout and stderr. It returns the
// lesson's exit code as an exitCode.
//
// We build the lesson and run the binary ourselves rather than use
// "go run": go run does not pass an interrupt on to the program it runs
// (it ignores it, counting on the terminal to interrupt the program too),
// and reports every failure as exit status 1. When ctx is done (Ctrl-C,
// which the terminal has also sent the lesson), we send the lesson an
// interrupt and wait up to interruptGrace for it to finish before killing
// it; we always wait for it.
func (wb *workbook) runLesson(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	fs := newFlagSet("run")
	race := fs.Bool("race", false, "build the lesson with the race detector")
	if err := fs.Parse(args); err != nil { // stops at the lesson's name
		return &usageError{err.Error(), lookup("run").usage()}
	}
	if fs.NArg() == 0 {
		return &usageError{"run needs the name of a lesson (see: go run ./cmd/workbook list)", lookup("run").usage()}
	}
	l, err := wb.findLesson(fs.Arg(0))
	if err != nil {
		return err
	}
	root, err := wb.root()
	if err != nil {
		return err
	}

	tmp, err := os.MkdirTemp("", "workbook-run-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	exe := filepath.Join(tmp, l.Name)
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	buildArgs := []string{"build", "-o", exe}
	if *race {
		buildArgs = append(buildArgs, "-race")
	}
	build := exec.CommandContext(ctx, "go", append(buildArgs, "./lessons/"+l.Name)...)
	build.Dir = root
	build.Stdout, build.Stderr = stderr, stderr
	if err := build.Run(); err != nil {
		var exitErr *exec.ExitError
		if ctx.Err() == nil && errors.As(err, &exitErr) {
			return exitCode(exitFail) // the go command has printed why
		}
		return fmt.Errorf("building lessons/%s: %w", l.Name, err)
	}

	cmd := exec.CommandContext(ctx, exe, fs.Args()[1:]...)
	cmd.Dir = root
	cmd.Stdin, cmd.Stdout, cmd.Stderr = wb.stdin, stdout, stderr
	// On Windows, Signal(os.Interrupt) is not supported and fails; there the
	// console has already passed Ctrl-C to the lesson, and WaitDelay kills
	// it if it has not exited in time.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = interruptGrace
	err = cmd.Run() // waits for the lesson, and for its output to be copied
	if cmd.ProcessState == nil {
		return fmt.Errorf("running lessons/%s: %w", l.Name, err) // it never started
	}
	switch code := cmd.ProcessState.ExitCode(); {
	case code == 0:
		return nil // even if interrupted: the lesson stopped cleanly
	case code > 0:
		return exitCode(code) // the lesson has said why, if it had a reason to
	case ctx.Err() != nil:
		return exitCode(exitInterrupted) // killed by our interrupt or after the grace period
	default:
		return fmt.Errorf("lessons/%s: %v", l.Name, cmd.ProcessState)
	}
}
