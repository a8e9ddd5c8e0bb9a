// Package processpool runs jobs on a pool of long-lived worker processes: Go's
// take on Python's multiprocessing.Pool and
// concurrent.futures.ProcessPoolExecutor. The parent sends each job to an
// idle worker over the worker's stdin and reads the answer from its
// stdout; a worker that crashes, or does not answer within the job's
// deadline, is replaced, and its job retried once.
//
// The worker is usually the same program started again in worker mode:
// its main checks [IsWorker] first thing and calls [Serve]; the parent
// gets the command to start it from [Self], starts the workers with [New]
// and sends jobs with [Pool.Do] or [Map], or streams them through one
// worker with [Pool.Run]. [Pool.Close] is the join point.
//
//	func main() {
//		if processpool.IsWorker("integrate") {
//			if err := processpool.Serve(ctx, os.Stdin, os.Stdout, integrate); err != nil {
//				fmt.Fprintln(os.Stderr, "worker:", err)
//				os.Exit(1)
//			}
//			os.Exit(0)
//		}
//		cmd, err := processpool.Self("integrate")
//		...
//		pool, err := processpool.New[Chunk, float64](ctx, cmd, runtime.NumCPU())
//		...
//		defer pool.Close()
//		sums, err := processpool.Map(ctx, pool, chunks)
//	}
//
// # Contract in brief
//
// Each worker runs one job at a time, so at most New's workers jobs run at
// once; Do waits for an idle worker. A worker's error comes back as a
// [*RemoteError] (message only) and is not retried. A crash, meaning the
// worker exits (with any status, 0 included), is killed, or writes
// anything that is not a valid response, replaces the worker and retries
// the job once on the fresh one; a second crash is returned as a
// [*CrashError] with the exit status and the tail of the worker's stderr.
//
// Every job has a deadline, [Command.JobTimeout] ([DefaultJobTimeout], a
// minute, unless set; negative for none), or [Pool.DoTimeout]'s for one
// job, counted from the moment its request is sent. A worker that has not
// answered by then, because it is stuck, stopped (SIGSTOP) or too slow,
// is killed with SIGKILL, reaped, and replaced, and the job is retried
// once with a deadline of its own; if the retry times out too, Do returns
// a [*CrashError] that says "job timed out twice" and matches
// [ErrJobTimeout] (its Cause is a [*TimeoutError]). A hung worker holds up
// a job for at most two deadlines, not forever. A worker that does not
// send its hello within [Command.StartTimeout] ([DefaultStartTimeout],
// half a minute, unless set) is killed and reaped the same way, and New,
// or the Do that started it, returns a [*CrashError] that matches
// [ErrStartTimeout].
//
// [Pool.Run] keeps one worker busy with many jobs: it sends the next
// request while the worker runs the one before (a request of at most 512
// bytes, which a pipe always holds), so the worker goes from job to job
// without a round trip through the parent. Each job keeps Do's rules
// (retry once, deadline, errors); a job sent ahead has its deadline
// counted from the answer before it, and waits for that answer even if
// another worker is idle.
//
// A job whose ctx ends while it runs is ended the only way a running
// process can be, by killing its worker, which the next job replaces. The
// end of New's ctx kills every worker.
//
// Every worker process is waited for (reaped) by a goroutine of the pool,
// its reaper, which ends when the process exits; Close makes every worker
// exit (the end of its stdin, or a kill after [Command.Grace]) and waits
// for every reaper. When Close returns, no worker process, zombie or
// goroutine of the pool is left. The goroutines of [context.AfterFunc]
// and [time.AfterFunc] that kill a worker when a job's ctx ends or its
// deadline passes are joined by the job before Do returns. [Map] joins its goroutines before it returns.
//
// # Wire format
//
// Each direction of a worker's pipes is a stream of frames. A frame is a
// 9-byte header (the magic bytes F0 'p' 'p' 01, a flags byte, and the
// payload's length as a big-endian uint32) and a payload of encoding/gob
// messages. Each direction is one gob stream, so a type is described once,
// in the first frame that uses it, and later frames carry only values.
//
//   - worker to parent, once, at start: hello{PID int}. New waits for it, so
//     the cost of starting a process is paid once, up front, not per job.
//   - parent to worker: request{ID uint64; Req Req}, IDs 1, 2, 3, ... per
//     worker.
//   - worker to parent, one per request, in order: response{ID uint64;
//     Resp Resp; Err string}; Err is "" for success or fn's error message.
//   - parent closes the worker's stdin: Serve returns nil, the worker exits.
//
// A payload holds at most [MaxFrame] bytes (64 MiB). If a value cannot be
// encoded (say, an unregistered type in an interface) or its frame would
// be larger, the sender sends nothing for it, starts a new gob stream,
// and sets flag 1 on its next frame so that the receiver starts a new
// decoder too; the request fails in the caller, or the response becomes an
// error message.
//
// Anything else on the worker's stdout is corruption: a header without the
// magic bytes (text printed by mistake; the error says that the worker
// wrote to its stdout outside the protocol, and quotes the first bytes),
// a header that claims more than MaxFrame bytes (a corrupt length; the
// error names it and the limit), a payload that is not a frame of the
// expected type, bytes left over, or a response with the wrong ID. The
// parent treats it as a crash: it kills the worker and retries the job
// elsewhere. Because the header gives the length, garbage is caught at
// its first bytes; it can never leave the parent waiting for the rest of
// a message that is not coming, and it can never be taken for an answer.
// A corrupt length is refused before anything is allocated for it, and a
// payload's buffer grows only as its bytes arrive. The worker checks the
// parent's frames the same way: [Serve] returns an error naming the
// corruption, which the worker's main writes to stderr before it exits
// with a non-zero status, and the parent's [*CrashError] shows it.
//
// gob sends data, not code: Req and Resp may hold numbers, strings,
// slices, maps, structs and pointers to them (exported fields only), but
// not funcs, channels or mutexes, just as pickle cannot send a lambda or a
// lock to a Python worker. [New] rejects such types rather than let gob
// drop a func or chan field silently. An interface field works only for
// types registered with gob.Register on both sides.
//
// # When to use
//
// In Python, CPU-bound work needs processes: the GIL lets one thread run
// Python code at a time, so a ThreadPoolExecutor does not use a second
// core and a ProcessPoolExecutor does. Go has no GIL: goroutines run in
// parallel on every core, and a goroutine pool (errgroup with SetLimit,
// patterns/futures) is the right tool for CPU-bound work, at a cost per
// job of nanoseconds instead of the tens of microseconds a round trip to a
// process costs (see the README's benchmarks).
//
// Use processes when you need what only a process boundary gives:
//
//   - Crash containment: a panic, a segfault in cgo code, an os.Exit in a
//     library, or a fatal error such as a concurrent map write kills one
//     worker; the parent survives, replaces it, and retries the job.
//   - Memory limits and leaks: a worker's memory can be limited (ulimit,
//     cgroups) and is all given back when it exits; a leaky library
//     cannot grow the parent.
//   - Isolation: code you do not trust, or that needs its own working
//     directory, environment, user or global state (a C library that is
//     not thread-safe, runtime settings such as GOMAXPROCS).
//   - Killing a job: a goroutine cannot be stopped from outside, a process
//     can; a job that ignores its context ends when its ctx does.
//
// Jobs should be coarse, milliseconds or more, so that the round trip is
// small beside them.
//
// # Pitfalls
//
//   - Printing to stdout in a worker. stdout is the protocol: a stray
//     fmt.Println in fn is corruption, and the job crashes its worker
//     ("the worker wrote to its stdout outside the protocol", with what it
//     wrote). Log to stderr, which the pool keeps the end of for its errors
//     and passes to [Command.Stderr].
//   - A deadline shorter than a job. The job deadline is wall-clock time,
//     and a loaded machine stretches a job's: a worker that is slow, not
//     hung, is killed twice and the job fails. Set [Command.JobTimeout],
//     or [Pool.DoTimeout] per job, to many times what a job takes (the
//     processes mode of integrate uses a bound per point of work plus a
//     floor); it is there to end hangs, not to enforce speed.
//   - Forgetting the worker check. The worker's main must call IsWorker
//     before anything else; a program that starts its own work first
//     (or, under go test, runs the tests) would start a pool in every
//     worker. Make an unknown worker name an error.
//   - Jobs that are not safe to run twice. A crash retries the job on a
//     fresh worker, so a job that crashed half-way through a side effect
//     runs again. Make jobs idempotent, or make the side effect in the
//     parent.
//   - Expecting errors.Is across the boundary. A [*RemoteError] carries a
//     message, not the worker's error value; put what the caller must
//     test in Resp.
//   - Cancelling often. A job's ctx ending kills its worker, and the next
//     job pays for a new process; Map's first error does this to every
//     job still running.
//   - Forgetting Close. Workers hold processes and pipes; call Close in a
//     defer. Close waits for running jobs: end their ctx first if they
//     may run long.
//   - Huge values. Each job is copied twice through a pipe; send
//     descriptions of work (a range, a file name), not the data, when
//     the data is large.
package processpool
