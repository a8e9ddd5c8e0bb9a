// Workbook is the student's command line for the Go concurrency workbook.
// It shows where you are in the reading order, runs lessons, and checks
// exercises under the race detector with a plain-language verdict.
//
// Usage, from the module root (or `go run ../../cmd/workbook` from deeper
// inside the clone; it finds the root itself):
//
//	go run ./cmd/workbook                      reading order, exercise states, next step
//	go run ./cmd/workbook list                 reading order with Python counterparts
//	go run ./cmd/workbook run [-race] <lesson> [flags...]
//	                                           build and run lessons/<lesson>
//	go run ./cmd/workbook check [-v] <exercise>
//	                                           test exercises/<exercise> with -race
//	go run ./cmd/workbook help                 this text
//
// With no arguments it runs every exercise's tests (two at a time; go test
// caches passing results) and prints each one as "passing", "failing" or
// "not started" (failing and unchanged since the last commit), then the
// next step to take.
//
// Exit codes: 0 on success; 1 when a check fails or something goes wrong;
// 2 for a usage error or an unknown name; for run, the lesson's own code;
// 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/concurrency-workbook/workbook/internal/catalog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	stop()
	os.Exit(code)
}

// Exit codes shared by every subcommand.
const (
	exitFail        = 1   // a check failed or something went wrong
	exitUsage       = 2   // bad arguments or an unknown name
	exitInterrupted = 130 // the context was cancelled (Ctrl-C): 128 + SIGINT
)

// run is the whole command, for the workbook found from the working
// directory and the lessons in the catalog. It returns the exit code.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	wb := &workbook{
		root:     workingRoot,
		sections: catalog.Sections(),
		lessons:  catalog.Lessons(),
		stdin:    os.Stdin,
	}
	return wb.run(ctx, stdout, stderr, args)
}

// A workbook is what the command works on. main wires in the real module
// and the catalog; tests wire in a fixture tree and their own lessons.
type workbook struct {
	root     func() (string, error) // finds the module root; asked only by commands that need it
	sections []catalog.Section      // in reading order
	lessons  []catalog.Lesson       // in reading order
	stdin    io.Reader              // given to lessons; nil means no input
}

// commands are the subcommands, for usage and "did you mean" messages.
var commands = []string{"list", "run", "check", "help"}

const usage = `Workbook is the student's command line for the Go concurrency workbook.

Usage:

	go run ./cmd/workbook                        where you are and what to do next
	go run ./cmd/workbook list                   the lessons in reading order
	go run ./cmd/workbook run [-race] <lesson> [flags...]
	                                             build and run lessons/<lesson>
	go run ./cmd/workbook check [-v] <exercise>  test exercises/<exercise> under
	                                             the race detector and explain
	                                             the result (-v: full output)
	go run ./cmd/workbook help                   this text

With no arguments, the command runs every exercise's tests and shows each
exercise as passing, failing, or not started (failing and unchanged since
your last commit), then the next step to take.
`

// run runs the subcommand named by args[0] (the status with no arguments)
// and turns its error into a message on stderr and an exit code.
func (wb *workbook) run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	var err error
	if len(args) == 0 {
		err = wb.status(ctx, stdout, stderr)
	} else {
		switch cmd, rest := args[0], args[1:]; cmd {
		case "list":
			err = wb.list(stdout, rest)
		case "run":
			err = wb.runLesson(ctx, stdout, stderr, rest)
		case "check":
			err = wb.check(ctx, stdout, stderr, rest)
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
		default:
			err = unknownCommand(cmd)
		}
	}
	return exitStatus(ctx, stderr, err)
}

// exitCode is an error that only carries an exit code: whoever returns it
// has already said why.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// A usageError reports arguments the command cannot make sense of.
type usageError struct {
	msg  string // what is wrong
	hint string // the usage of the subcommand, or where to find it
}

func (e *usageError) Error() string { return e.msg }

// seeHelp is the hint for usage errors that are not about one subcommand.
const seeHelp = "Run `go run ./cmd/workbook help` for usage."

func unknownCommand(cmd string) error {
	msg := fmt.Sprintf("unknown command %q", cmd)
	if strings.HasPrefix(cmd, "-") {
		msg = fmt.Sprintf("unknown flag %q", cmd)
	} else if c := catalog.Closest(cmd, commands); c != "" {
		msg += fmt.Sprintf("; did you mean %q?", c)
	}
	return &usageError{msg, seeHelp}
}

// exitStatus prints err (if there is anything left to say) and returns the
// exit code for it.
func exitStatus(ctx context.Context, stderr io.Writer, err error) int {
	var (
		code    exitCode
		usage   *usageError
		unknown *catalog.UnknownError
	)
	switch {
	case err == nil:
		return 0
	case errors.As(err, &code):
		return int(code)
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "workbook: %s\n%s\n", usage.msg, usage.hint)
		return exitUsage
	case errors.As(err, &unknown):
		fmt.Fprintf(stderr, "workbook: %v\n", unknown)
		return exitUsage
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "workbook: interrupted")
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "workbook: %v\n", err)
		return exitFail
	}
}

// findLesson returns the named lesson, or a *catalog.UnknownError naming
// the closest one, as catalog.FindLesson does for the catalog.
func (wb *workbook) findLesson(name string) (catalog.Lesson, error) {
	var names []string
	for _, l := range wb.lessons {
		if l.Name == name {
			return l, nil
		}
		names = append(names, l.Name)
	}
	return catalog.Lesson{}, &catalog.UnknownError{Kind: "lesson", Name: name, Closest: catalog.Closest(name, names)}
}

// findExercise returns the lesson that owns the named exercise, or a
// *catalog.UnknownError naming the closest exercise, as
// catalog.FindExercise does for the catalog.
func (wb *workbook) findExercise(name string) (catalog.Lesson, error) {
	for _, l := range wb.lessons {
		if l.Exercise != "" && l.Exercise == name {
			return l, nil
		}
	}
	return catalog.Lesson{}, &catalog.UnknownError{Kind: "exercise", Name: name, Closest: catalog.Closest(name, wb.exercises())}
}

// exercises returns the exercise names in reading order.
func (wb *workbook) exercises() []string {
	var names []string
	for _, l := range wb.lessons {
		if l.Exercise != "" {
			names = append(names, l.Exercise)
		}
	}
	return names
}

// newFlagSet returns a flag set for a subcommand that reports errors
// instead of printing them, so that run decides what the student sees.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
