// Workbook is the student's command line for the Go concurrency workbook.
// It shows where you are in the reading order, runs lessons, and checks
// exercises under the race detector with a plain-language verdict.
//
// Run it from the module root (or `go run ../../cmd/workbook` from deeper
// inside the clone; it finds the root itself). With no arguments it shows
// every exercise's state and the next step; `go run ./cmd/workbook help`
// lists the commands (list, run, check, watch, hint, verify, reset,
// solution), and `help <command>` describes one. The usage, the dispatch and
// the help all come from one table of commands, below.
//
// Progress comes from running the tests, not from anything the student
// marks: an exercise passes when its tests pass under the race detector,
// and is not started while its stub is as shipped. Results are cached in
// .workbook/progress.json under a hash of the exercise's files, so the
// progress screen only tests what changed. The verdicts come from
// internal/exercise's Diagnose; grade.go and render.go turn them into what
// a student reads.
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
	"path/filepath"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/internal/catalog"
	"github.com/concurrency-workbook/workbook/internal/stubs"
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
		stubs:    stubs.FS(),
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

// A command is one subcommand. The table of commands drives dispatch, the
// usage text and "help <command>", as cmd/go's base.Command does, so that
// no command is described in two places.
type command struct {
	name  string // what the student types
	args  string // its flags and arguments, for usage lines
	short string // one line: what it does
	long  string // a paragraph for "help <command>"
	run   func(wb *workbook, ctx context.Context, stdout, stderr io.Writer, args []string) error
}

// usage is the command's usage line.
func (c *command) usage() string {
	return strings.TrimRight("usage: go run ./cmd/workbook "+c.name+" "+c.args, " ")
}

// commands returns the subcommands, in the order help lists them.
func commands() []*command {
	return []*command{
		{name: "progress", short: "where you are and what to do next (the default)",
			long: "Shows every lesson in reading order with its exercise's state (not started,\nfailing, passing), a count per section, and the next step. Only exercises you\nchanged since their last test are tested; a stub you have not touched is \"not\nstarted\" without a test.",
			run:  (*workbook).progress},
		{name: "list", short: "the lessons in reading order, with their Python counterparts",
			run: func(wb *workbook, _ context.Context, stdout, _ io.Writer, args []string) error {
				return wb.list(stdout, args)
			}},
		{name: "run", args: "[-race] <lesson> [flags...]", short: "build and run lessons/<lesson> with its flags",
			long: "Builds the lesson (with the race detector after -race) and runs it with the\nflags after its name. Ctrl-C reaches the lesson; the exit code is the lesson's.",
			run:  (*workbook).runLesson},
		{name: "check", args: "[-v] <exercise>", short: "vet and test an exercise under the race detector; explain the result",
			long: "Runs go vet's checks and the exercise's tests under the race detector and says\nwhat went wrong in plain words: each failing test's message and file:line, and\nwhere your code raced, hung, leaked a goroutine or crashed. A test whose\ngoroutines all sit waiting for 2s (after 3s), or that runs for 20s, is stopped\nas hung. -v adds everything the tests printed. Name the exercise as mutex,\nexercises/mutex, ./exercises/mutex/ or, inside its folder, \".\".",
			run:  (*workbook).check},
		{name: "watch", args: "[<exercise>]", short: "re-check on every save; move on when it passes",
			run: (*workbook).watch},
		{name: "hint", args: "[-all] <exercise>", short: "the next hint, one more per call",
			run: func(wb *workbook, _ context.Context, stdout, _ io.Writer, args []string) error {
				return wb.hint(stdout, args)
			}},
		{name: "verify", short: "test every exercise, then a table",
			run: (*workbook).verify},
		{name: "reset", args: "[-yes] <exercise>", short: "restore the exercise's stub",
			run: func(wb *workbook, _ context.Context, stdout, _ io.Writer, args []string) error {
				return wb.reset(stdout, args)
			}},
		{name: "solution", args: "[-force] <exercise>", short: "the reference solution and its notes, once yours passes",
			run: (*workbook).solution},
		{name: "help", args: "[<command>]", short: "this text, or more about one command",
			run: func(_ *workbook, _ context.Context, stdout, _ io.Writer, args []string) error {
				return help(stdout, args)
			}},
	}
}

// lookup returns the named command, or nil.
func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// commandNames returns the names of the commands.
func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// usageText is the whole usage, made from the command table.
func usageText() string {
	var b strings.Builder
	b.WriteString("Workbook is the student's command line for the Go concurrency workbook.\n\nUsage:\n\n")
	b.WriteString("\tgo run ./cmd/workbook                               where you are and what to do next\n")
	for _, c := range commands() {
		left := c.name
		if c.args != "" {
			left += " " + c.args
		}
		if len(left) > 29 {
			fmt.Fprintf(&b, "\tgo run ./cmd/workbook %s\n\t%51s %s\n", left, "", c.short)
		} else {
			fmt.Fprintf(&b, "\tgo run ./cmd/workbook %-29s %s\n", left, c.short)
		}
	}
	b.WriteString(`
Progress comes from running the tests: an exercise is done when its tests
pass under the race detector. Results are cached (in .workbook/) by a hash
of the exercise's files, so only what you changed is tested again.
Run "go run ./cmd/workbook help <command>" for more about a command.
`)
	return b.String()
}

// help prints the usage, or one command's usage and description.
func help(stdout io.Writer, args []string) error {
	switch len(args) {
	case 0:
		fmt.Fprint(stdout, usageText())
		return nil
	case 1:
		c := lookup(args[0])
		if c == nil {
			return unknownCommand(args[0])
		}
		fmt.Fprintf(stdout, "%s\n\n%s.\n", c.usage(), strings.ToUpper(c.short[:1])+c.short[1:])
		if c.long != "" {
			fmt.Fprintf(stdout, "\n%s\n", c.long)
		}
		return nil
	}
	return &usageError{fmt.Sprintf("help takes at most one command; got %q", args), lookup("help").usage()}
}

// run runs the subcommand named by args[0] (progress with no arguments)
// and turns its error into a message on stderr and an exit code.
func (wb *workbook) run(ctx context.Context, stdout, stderr io.Writer, args []string) int {
	name, rest := "progress", args
	if len(args) > 0 {
		name, rest = args[0], args[1:]
	}
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	var err error
	if c := lookup(name); c != nil {
		err = c.run(wb, ctx, stdout, stderr, rest)
	} else {
		err = unknownCommand(name)
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
	} else if c := suggest.Closest(cmd, commandNames()); c != "" {
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

// findExercise returns the lesson that owns the named exercise, or an
// error saying what is wrong: a lesson that has no exercise, or an unknown
// name (a *catalog.UnknownError naming the closest exercise).
func (wb *workbook) findExercise(name string) (catalog.Lesson, error) {
	for _, l := range wb.lessons {
		if l.Exercise != "" && l.Exercise == name {
			return l, nil
		}
	}
	for _, l := range wb.lessons {
		if l.Name == name {
			if l.Exercise == "" {
				return catalog.Lesson{}, &usageError{fmt.Sprintf("the lesson %s has no exercise", name),
					"The exercises are: " + strings.Join(wb.exercises(), ", ") + "."}
			}
			return l, nil // a lesson's name for its exercise
		}
	}
	return catalog.Lesson{}, &catalog.UnknownError{Kind: "exercise", Name: name, Closest: suggest.Closest(name, wb.exercises())}
}

// exerciseName turns what a student may type for an exercise into its
// name: "mutex", "Mutex", "exercises/mutex", "./exercises/mutex/" (what
// tab completion gives), "exercises/mutex/mutex.go", "solutions/mutex",
// or "." and other paths relative to the working directory, such as from
// inside exercises/mutex. A name that is none of these comes back as it
// was given, lower-cased, for findExercise to judge.
func (wb *workbook) exerciseName(arg, root string) string {
	p := filepath.ToSlash(filepath.Clean(arg))
	if root != "" && (p == "." || p == ".." || strings.HasPrefix(p, "../") || filepath.IsAbs(arg)) {
		if abs, err := filepath.Abs(arg); err == nil {
			if rel, err := filepath.Rel(root, abs); err == nil {
				p = filepath.ToSlash(rel)
			}
		}
	}
	parts := strings.Split(p, "/")
	if len(parts) >= 2 && (parts[0] == "exercises" || parts[0] == "solutions" || parts[0] == "lessons") {
		p = parts[1]
	}
	return strings.ToLower(p)
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

// exerciseArg parses args for the subcommand cmd, which takes flags and
// the name of one exercise, and returns the exercise's name and the
// workbook's root. The error says what is wrong: a bad flag or a missing
// name (a *usageError), an unknown exercise (naming the closest), or no
// workbook found.
func (wb *workbook) exerciseArg(fs *flag.FlagSet, args []string, cmd string) (name, root string, err error) {
	usage := lookup(cmd).usage()
	arg, err := parseOneName(fs, args, cmd, usage, wb.exercises())
	if err != nil {
		return "", "", err
	}
	root, rootErr := wb.root()
	l, err := wb.findExercise(wb.exerciseName(arg, root))
	if err != nil {
		return "", "", err
	}
	if rootErr != nil {
		return "", "", rootErr
	}
	return l.Exercise, root, nil
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
