// Package processpool maps a named function over a list of items on a
// pool of worker processes, built by hand with os/exec and encoding/gob:
// Python's multiprocessing.Pool.map. Each worker is a long-lived child
// process that answers jobs on its stdin and stdout (see ServeWorker, in
// worker.go); a worker that crashes is replaced and its job retried once;
// every worker is reaped before Map returns.
package processpool

import "context"

// Map starts min(workers, len(items)) worker processes with cmd, sends
// them the items, one Job{fn, item} at a time per worker, and returns
// fn(item) for every item, in input order: out[i] answers items[i],
// whatever order the jobs finish in.
//
// A worker that crashes (its stdout ends before it replies: it panicked,
// exited or was killed) is reaped and replaced by a fresh process, and
// its job is sent again, once. A second crash on the same item fails Map;
// so does an error the function returned in the worker. The error names
// the item by index, function and value ("processpool: item 6:
// double(7): ..."). The first error wins: it stops the other workers,
// even in the middle of a job, and Map returns it with nil results.
//
// If ctx is done, Map kills every worker, even in the middle of a job,
// and returns ctx.Err(); if it is done before Map is called, Map starts
// nothing. Whatever happens, Map returns only after every worker it
// started has exited and been waited for: no child process is left,
// running or zombie. Map returns an error, and starts nothing, if workers
// is below 1 or cmd.Path is empty.
func Map(ctx context.Context, cmd Command, workers int, fn string, items []int) ([]int, error) {
	// TODO: reject workers below 1 ("processpool: workers = 0; want at
	// least 1") and an empty cmd.Path ("processpool: Command.Path is
	// empty"), and return ctx.Err() if ctx is already done. No items: an
	// empty result, and no worker.
	//
	// TODO: start min(workers, len(items)) goroutines, each owning one
	// worker process at a time: exec.CommandContext (so that the end of a
	// ctx kills it), cmd.Env added to os.Environ(), a gob.Encoder on its
	// stdin and a gob.Decoder on its stdout. Hand them the items' indexes
	// over a channel, in order, and have each write its answer to its own
	// index of the result.
	//
	// TODO: a Reply with an Err fails Map ("processpool: item 1:
	// refuse-negative(-2): negative item -2"). An error from Encode or
	// Decode means the worker died: reap it, start a fresh one and send
	// the same Job again; a second crash fails Map, naming the item. The
	// first error stops everything else (errgroup.WithContext).
	//
	// TODO: on every path, close each live worker's stdin and Wait for
	// it; kill and Wait for a dead or stuck one. When ctx is done, return
	// ctx.Err().
	return nil, nil
}
