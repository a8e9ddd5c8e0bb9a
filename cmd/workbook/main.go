// Workbook is the student's command line for the Go concurrency workbook.
// It shows where you are in the reading order, runs lessons, and checks
// exercises under the race detector with a plain-language verdict.
//
// Usage, from the module root (or `go run ../../cmd/workbook` from deeper
// inside the clone; it finds the root itself):
//
//	go run ./cmd/workbook                      progress: every exercise's state, the next step
//	go run ./cmd/workbook list                 reading order with Python counterparts
//	go run ./cmd/workbook run [-race] <lesson> [flags...]
//	                                           build and run lessons/<lesson>
//	go run ./cmd/workbook check [-v] <exercise>
//	                                           test exercises/<exercise> with -race, explain the result
//	go run ./cmd/workbook watch [<exercise>]   re-check the current exercise on every save
//	go run ./cmd/workbook hint [-all] <exercise>
//	                                           the next hint (one more per call)
//	go run ./cmd/workbook verify               test every exercise; a summary table
//	go run ./cmd/workbook reset [-yes] <exercise>
//	                                           restore an exercise's stub
//	go run ./cmd/workbook solution [-force] <exercise>
//	                                           the reference solution, once yours passes
//	go run ./cmd/workbook help                 this text
//
// Progress comes from running the tests, not from anything the student
// marks: an exercise passes when its tests pass under the race detector.
// Results are cached in .workbook/progress.json under a hash of the
// exercise's files, so the progress screen only re-tests what changed.
//
// Colour and progress bars appear only when the output is a terminal, and
// colour only if NO_COLOR is unset; otherwise the output is plain text.
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
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/concurrency-workbook/workbook/internal/suggest"
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
		stubs:    pristine(),
		debounce: watchDebounce,
	}
	return wb.run(ctx, stdout, stderr, args)
}

// A workbook is what the command works on. main wires in the real module
// and the catalog; tests wire in a fixture tree and their own lessons.
type workbook struct {
	root     func() (string, error) // finds the module root; asked only by commands that need it
	sections []catalog.Section      // in reading order
	lessons  []catalog.Lesson       // in reading order
	stdin    io.Reader              // given to lessons, and read by reset's question; nil means no input
	stubs    fs.FS                  // the original stubs, <exercise>/<file>.go, for reset
	debounce time.Duration          // how long watch waits for a burst of file events to end
}

// commands are the subcommands, for usage and "did you mean" messages.
var commands = []string{"progress", "list", "run", "check", "watch", "hint", "verify", "reset", "solution", "help"}

const usage = `Workbook is the student's command line for the Go concurrency workbook.

Usage:

	go run ./cmd/workbook                        where you are and what to do next
	go run ./cmd/workbook progress               the same
	go run ./cmd/workbook list                   the lessons in reading order
	go run ./cmd/workbook run [-race] <lesson> [flags...]
	                                             build and run lessons/<lesson>
	go run ./cmd/workbook check [-v] <exercise>  test exercises/<exercise> under
	                                             the race detector and explain
	                                             the result (-v: full output)
	go run ./cmd/workbook watch [<exercise>]     re-check the exercise on every
	                                             save; move on when it passes
	go run ./cmd/workbook hint [-all] <exercise> the next hint, one more per call
	go run ./cmd/workbook verify                 test every exercise, then a table
	go run ./cmd/workbook reset [-yes] <exercise>
	                                             restore the exercise's stub
	go run ./cmd/workbook solution [-force] <exercise>
	                                             the reference solution and its
	                                             notes, once your exercise passes
	go run ./cmd/workbook help                   this text

Progress comes from running the tests: an exercise is done when its tests
pass under the race detector. Results are cached (in .workbook/) by a hash
of the exercise's files, so only what you changed is tested again.
`

// run runs the subcommand named by args[0] (the status with no arguments)
// and turns its error into a message on stderr and an exit code.
func (wb *workbook) run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	var err error
	if len(args) == 0 {
		err = wb.progress(ctx, stdout, stderr, nil)
	} else {
		switch cmd, rest := args[0], args[1:]; cmd {
		case "progress":
			err = wb.progress(ctx, stdout, stderr, rest)
		case "watch":
			err = wb.watch(ctx, stdout, stderr, rest)
		case "hint":
			err = wb.hint(stdout, rest)
		case "verify":
			err = wb.verify(ctx, stdout, stderr, rest)
		case "reset":
			err = wb.reset(stdout, rest)
		case "solution":
			err = wb.solution(ctx, stdout, stderr, rest)
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
	} else if c := suggest.Closest(cmd, commands); c != "" {
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
	return catalog.Lesson{}, &catalog.UnknownError{Kind: "lesson", Name: name, Closest: suggest.Closest(name, names)}
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
	return catalog.Lesson{}, &catalog.UnknownError{Kind: "exercise", Name: name, Closest: suggest.Closest(name, wb.exercises())}
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

// exerciseArg parses args for the subcommand cmd, which takes flags and the
// name of one exercise, and returns the name and the workbook's root. The
// error says what is wrong: a bad flag or a missing name (a *usageError),
// an unknown exercise (naming the closest), or no workbook found.
func (wb *workbook) exerciseArg(fs *flag.FlagSet, args []string, cmd, usage string) (name, root string, err error) {
	name, err = parseOneName(fs, args, cmd, usage, wb.exercises())
	if err != nil {
		return "", "", err
	}
	if _, err := wb.findExercise(name); err != nil {
		return "", "", err
	}
	root, err = wb.root()
	if err != nil {
		return "", "", err
	}
	return name, root, nil
}

// parseOneName parses args for the subcommand cmd, whose flags may come
// before or after the one name it takes, and returns the name. choices
// are the valid names, for the message when the name is missing.
func parseOneName(fs *flag.FlagSet, args []string, cmd, usage string, choices []string) (string, error) {
	var names []string
	for {
		if err := fs.Parse(args); err != nil {
			return "", &usageError{err.Error(), usage}
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(names) {
	case 0:
		return "", &usageError{cmd + " needs the name of an exercise: one of " + strings.Join(choices, ", "), usage}
	case 1:
		return names[0], nil
	default:
		return "", &usageError{fmt.Sprintf("%s takes one exercise; got %q", cmd, names), usage}
	}
}
