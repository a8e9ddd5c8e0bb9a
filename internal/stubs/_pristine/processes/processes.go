// Package processes runs an external command once per input file, a few
// at a time, and collects what each run did: its exit status, its output
// and its error output. When its context is done (Ctrl-C), it kills the
// commands that are running, starts no more, and waits for every one it
// started.
package processes

import "context"

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
	// TODO: return an error naming the limit if it is below 1.
	//
	// TODO: for each file, in order, wait for a free slot (at most limit
	// commands at once) or for ctx to be done, whichever comes first;
	// once ctx is done, start nothing more. Run each command in a
	// goroutine of its own, and wait for all of them before returning.
	//
	// TODO: for one file, build the command with exec.CommandContext, so
	// that it is killed when ctx is done, on a command line of its own
	// (name, args..., file). Collect its stdout and stderr while it runs,
	// wait for it on every path, and fill in its Result.
	return nil, nil
}
