package processpool

import (
	"context"
	"encoding"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// A Pool runs jobs of type Req on long-lived worker processes, which
// answer with a Resp. Make one with [New]; it must not be copied. Its
// methods are safe for concurrent use.
//
// Each worker is owned by a slot, and a job holds its slot from the moment
// it takes an idle worker until it returns, so a worker runs one job at a
// time and at most [New]'s workers jobs run at once. A slot whose worker
// died is empty until the next job that takes it starts a fresh worker.
//
// The pool starts one goroutine per worker process, the reaper, which
// calls exec.Cmd.Wait and so ends when the process exits: at the end of
// its input after [Pool.Close], when killed (a job's ctx or deadline,
// New's ctx, a crash, Close's grace period), or when it crashes. Close is their join
// point: when it returns, every worker has been reaped and every reaper
// has returned.
type Pool[Req, Resp any] struct {
	cmd  Command
	size int
	// ctx is the pool's lifetime: New's ctx, also cancelled by Close.
	// Contexts are usually not stored, but this one is what every
	// worker is started with (exec.CommandContext), so that its end
	// kills them all, even the replacements started later.
	ctx    context.Context
	cancel context.CancelFunc

	// slots holds one entry per slot that no job holds: an idle worker,
	// or nil for a slot that needs a fresh one. Its capacity is the
	// number of slots, so sending a slot back never blocks.
	slots   chan *worker
	closing chan struct{} // closed by Close: waiting jobs give up
	done    chan struct{} // closed when the first Close has finished

	jobs    sync.WaitGroup // calls of Do between enter and return; Close waits for them
	reapers sync.WaitGroup // one per worker ever started; Close waits for them

	mu     sync.Mutex // protects closed and stats
	closed bool
	stats  Stats

	closeErr error // written by the first Close before it closes done
}

// Stats are counts since [New].
type Stats struct {
	Started  int // worker processes started, replacements included
	Crashed  int // jobs' workers that died, broke the protocol or timed out
	TimedOut int // of those, the workers killed for not answering in time
	Retried  int // jobs retried on a fresh worker after a crash
	Jobs     int // jobs that got a response: a value or a RemoteError
}

// worker is one worker process. Its fields, except exited and stderr, are
// used only by the holder of its slot (a Do, or Close once every Do has
// returned); passing the slot through Pool.slots synchronizes them.
type worker struct {
	cmd    *exec.Cmd
	pid    int
	stdin  io.WriteCloser
	fw     *frameWriter // writes to stdin
	stdout *os.File     // our end of the stdout pipe
	fr     *frameReader // reads from stdout
	stderr *tail
	nextID uint64
	// exited is closed by the reaper once cmd.Wait has returned: the
	// process is reaped and cmd.ProcessState is set.
	exited chan struct{}
}

// kill sends the worker SIGKILL. It is harmless if the process has
// already exited, even if it was reaped (os.Process remembers).
func (w *worker) kill() { _ = w.cmd.Process.Kill() }

// discard kills the worker if it still runs, waits until it is reaped and
// closes our end of its stdout. Only the holder of its slot may call it.
func (w *worker) discard() {
	w.kill()
	<-w.exited
	w.stdout.Close()
}

// crash discards the worker and describes it.
func (w *worker) crash(op string, cause error) *CrashError {
	w.discard()
	return &CrashError{Op: op, PID: w.pid, State: w.cmd.ProcessState,
		Cause: cause, Stderr: w.stderr.String()}
}

// New starts workers worker processes with cmd, all at once, and returns
// when each has sent its hello frame: the cost of starting a process is
// paid here, once per worker, not per job. If any fails to start, New
// stops the others and returns the first error, which for a worker that
// exited or wrote anything but the hello is a [*CrashError] with
// its exit status and stderr.
//
// ctx bounds the pool's life: when it is done, every worker (replacements
// included) is killed and reaped, a running [Pool.Do] returns an error
// that wraps context.Cause(ctx), and later calls of Do return it at once.
// The caller must still call [Pool.Close], the join point.
//
// New returns an error if workers < 1, if cmd.Path is empty, or if Req or
// Resp cannot be sent with gob: a func or a channel anywhere in the type
// (which gob would silently drop from a struct), or a struct with no
// exported fields, such as sync.Mutex.
func New[Req, Resp any](ctx context.Context, cmd Command, workers int) (*Pool[Req, Resp], error) {
	if workers < 1 {
		return nil, fmt.Errorf("processpool: workers = %d; want at least 1", workers)
	}
	if cmd.Path == "" {
		return nil, errors.New("processpool: Command.Path is empty")
	}
	if err := checkSendable[request[Req]]("Req"); err != nil {
		return nil, err
	}
	if err := checkSendable[response[Resp]]("Resp"); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &Pool[Req, Resp]{
		cmd:     cmd,
		size:    workers,
		ctx:     pctx,
		cancel:  cancel,
		slots:   make(chan *worker, workers),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	ws := make([]*worker, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { ws[i], errs[i] = p.start(ctx) })
	}
	wg.Wait()
	for _, w := range ws {
		p.slots <- w
	}
	for _, err := range errs {
		if err != nil {
			_ = p.Close() // stops and reaps the workers that did start
			return nil, err
		}
	}
	return p, nil
}

// start starts a worker and waits for its hello. If ctx is done first, it
// kills the worker and returns ctx.Err(). On error, no process is left:
// it was never started, or it has been reaped.
func (p *Pool[Req, Resp]) start(ctx context.Context) (*worker, error) {
	cmd := exec.CommandContext(p.ctx, p.cmd.Path, p.cmd.Args...)
	cmd.Env = append(os.Environ(), p.cmd.Env...)
	cmd.WaitDelay = p.cmd.grace()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("processpool: %w", err)
	}
	// We make the stdout pipe ourselves, rather than with StdoutPipe,
	// so that the reaper's cmd.Wait never closes it under a reader.
	stdoutR, stdoutW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("processpool: %w", err)
	}
	cmd.Stdout = stdoutW
	stderr := &tail{out: p.cmd.Stderr}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		stdoutR.Close()
		stdoutW.Close()
		return nil, fmt.Errorf("processpool: starting worker: %w", err)
	}
	// The child has its copy of the write end. Ours must go, or reads
	// would never see the end of the stream when the child dies.
	stdoutW.Close()
	w := &worker{
		cmd:    cmd,
		pid:    cmd.Process.Pid,
		stdin:  stdin,
		stdout: stdoutR,
		fw:     newFrameWriter(stdin),
		fr:     newFrameReader(&stdoutReader{stdoutR}, fromWorker),
		stderr: stderr,
		exited: make(chan struct{}),
	}
	p.reapers.Go(func() {
		_ = cmd.Wait() // the outcome is in cmd.ProcessState
		// The process is gone, and all it wrote is in the pipe: a read
		// gets that, then the end of the stream. But if a process it
		// started still holds its stdout, a read would block forever,
		// so we give reads a deadline, the grace period, as WaitDelay
		// does for stderr. (Closing the pipe here, or a deadline of
		// now, could throw away a response the worker did write.)
		_ = stdoutR.SetReadDeadline(time.Now().Add(p.cmd.grace()))
		close(w.exited)
	})
	p.count(func(s *Stats) { s.Started++ })

	// If ctx ends before the hello, or the start-up deadline passes, we
	// kill the worker, which ends the read.
	killed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { w.kill(); close(killed) })
	expired := make(chan struct{})
	var deadline *time.Timer
	timeout := p.cmd.startTimeout()
	if timeout > 0 {
		deadline = time.AfterFunc(timeout, func() { w.kill(); close(expired) })
	}
	var h hello
	err = w.fr.read(&h)
	timedOut := deadline != nil && !deadline.Stop()
	if timedOut {
		<-expired // the kill has been sent; the timer's func has returned
	}
	if !stop() {
		<-killed
		w.discard()
		return nil, ctx.Err()
	}
	if timedOut {
		// Even if the hello came as the deadline passed, the worker
		// has been killed.
		err = &StartTimeoutError{Timeout: timeout}
	}
	if err != nil {
		c := w.crash("start", fmt.Errorf("waiting for the hello frame: %w", err))
		if p.ctx.Err() != nil {
			return nil, p.ctxErr()
		}
		return nil, c
	}
	return w, nil
}

// stdoutReader reads a worker's stdout, and explains the error of a read
// that the reaper's deadline ended.
type stdoutReader struct{ f *os.File }

func (r *stdoutReader) Read(b []byte) (int, error) {
	n, err := r.f.Read(b)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errStdoutHeld
	}
	return n, err
}

var errStdoutHeld = errors.New("the worker exited, but a process it started holds its stdout open")

func (p *Pool[Req, Resp]) ctxErr() error {
	return fmt.Errorf("processpool: the pool's context is done: %w", context.Cause(p.ctx))
}

func (p *Pool[Req, Resp]) count(f func(*Stats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.stats)
}

// enter registers a call of Do, unless the pool is closed.
func (p *Pool[Req, Resp]) enter() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.jobs.Add(1) // never concurrent with jobs.Wait: Close sets closed first
	return true
}

// Do sends req to an idle worker, waiting until one is free, and returns
// its response. It is safe for concurrent use; each call holds one worker
// for the whole job.
//
// If fn returned an error in the worker, Do returns a [*RemoteError] with
// its message, and the worker goes on serving. If the worker crashes (it
// exits, even with status 0, is killed, or writes anything that is not a
// valid response) or does not answer within the job's deadline
// ([Command.JobTimeout]; the pool then kills it with SIGKILL, which ends a
// stopped process too, and reaps it), Do replaces it with a fresh process
// and sends req once more, with a deadline of its own. If that attempt
// fails too, Do returns a [*CrashError] for it, with the first in
// Previous: "worker crashed twice running the job", with the second
// worker's exit status and stderr tail, or "job timed out twice" when
// neither answered in time, which matches [ErrJobTimeout] with errors.Is.
// req must therefore be safe to run twice. If req cannot be encoded, Do
// returns that error and sends nothing.
//
// If ctx is done while Do waits for a worker, Do returns ctx.Err(). If ctx
// is done while the job runs, Do kills the worker (a process in the middle
// of a job cannot be interrupted any other way), waits until it is
// reaped, and returns ctx.Err(); the next job to take its slot starts a
// fresh worker. If the pool's ctx (New's) is done, Do returns an error
// that wraps its cause. After Close has been called, Do returns
// [ErrClosed] and starts nothing.
func (p *Pool[Req, Resp]) Do(ctx context.Context, req Req) (Resp, error) {
	return p.DoTimeout(ctx, req, 0)
}

// DoTimeout is [Pool.Do] with timeout, instead of [Command.JobTimeout], as
// the deadline of each attempt at the job: positive is the deadline, 0
// means the pool's JobTimeout, and negative means no deadline. Use it
// when the time a job may take depends on the job, such as a chunk's
// size.
func (p *Pool[Req, Resp]) DoTimeout(ctx context.Context, req Req, timeout time.Duration) (Resp, error) {
	var zero Resp
	if timeout == 0 {
		timeout = p.cmd.JobTimeout
	}
	timeout = jobTimeout(timeout)
	if !p.enter() {
		return zero, ErrClosed
	}
	defer p.jobs.Done()
	var w *worker
	select {
	case w = <-p.slots: // we hold this slot until we send it back
	case <-p.closing: // Close waits for running jobs, not waiting ones
		return zero, ErrClosed
	case <-p.ctx.Done(): // the workers are being killed
		return zero, p.ctxErr()
	case <-ctx.Done(): // the caller gave up waiting
		return zero, ctx.Err()
	}
	// Whatever happens, the slot goes back, with the worker that now
	// fills it: the same, a replacement, or nil.
	defer func() { p.slots <- w }()
	select {
	case <-p.closing: // Close was called while we waited: start nothing
		return zero, ErrClosed
	default: // still open
	}
	if err := ctx.Err(); err != nil {
		return zero, err
	}

	var first *CrashError
	for {
		if w == nil {
			var err error
			if w, err = p.start(ctx); err != nil {
				if first != nil {
					return zero, fmt.Errorf("%w\nand no fresh worker could start to retry it: %w", first, err)
				}
				return zero, err
			}
		}
		resp, alive, err := p.run(ctx, w, req, timeout)
		if !alive {
			w = nil
		}
		var crash *CrashError
		if !errors.As(err, &crash) {
			var remote *RemoteError
			if err == nil || errors.As(err, &remote) {
				p.count(func(s *Stats) { s.Jobs++ })
			}
			return resp, err
		}
		p.count(func(s *Stats) {
			s.Crashed++
			if crash.timedOut() {
				s.TimedOut++
			}
		})
		if first != nil {
			crash.Previous = first
			return zero, crash
		}
		first = crash
		p.count(func(s *Stats) { s.Retried++ })
	}
}

// run sends req to w and reads the response, within timeout if it is not
// 0. alive reports whether w can run another job; if not, it has been
// killed and reaped.
func (p *Pool[Req, Resp]) run(ctx context.Context, w *worker, req Req, timeout time.Duration) (_ Resp, alive bool, _ error) {
	var zero Resp
	w.nextID++
	id := w.nextID
	// If ctx ends during the job, or its deadline passes, we kill the
	// worker: that ends our write or read with an error. Both are in
	// place before the write, which blocks if the worker does not read.
	killed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { w.kill(); close(killed) })
	expired := make(chan struct{})
	var deadline *time.Timer
	if timeout > 0 {
		deadline = time.AfterFunc(timeout, func() { w.kill(); close(expired) })
	}
	err := w.fw.write(request[Req]{ID: id, Req: req})
	var r response[Resp]
	if err == nil {
		r, err = readResponse[Resp](w.fr, id)
	}
	timedOut := deadline != nil && !deadline.Stop()
	if timedOut {
		<-expired // the kill has been sent; the timer's func has returned
	}
	if !stop() {
		// Killed: whatever we read, the worker is gone.
		<-killed
		w.discard()
		return zero, false, ctx.Err()
	}
	var eerr *encodeError
	switch {
	case timedOut && err == nil: // the answer came as the deadline passed
		w.discard()
		if r.Err != "" {
			return zero, false, &RemoteError{PID: w.pid, Msg: r.Err}
		}
		return r.Resp, false, nil
	case timedOut: // the kill ended the read, or the write
		crash := w.crash("job", &TimeoutError{Timeout: timeout})
		if p.ctx.Err() != nil {
			return zero, false, p.ctxErr()
		}
		return zero, false, crash
	case errors.As(err, &eerr): // nothing was sent; the worker is idle
		return zero, true, fmt.Errorf("processpool: cannot send the request: %w", err)
	case err != nil: // a crash, or the pool's ctx killed it
		crash := w.crash("job", err)
		if p.ctx.Err() != nil {
			return zero, false, p.ctxErr()
		}
		if crash.ExitCode() == 0 && errors.Is(err, io.EOF) {
			crash.Cause = fmt.Errorf("the worker exited with status 0 in the middle of a job, "+
				"without answering (does the job call os.Exit?): %w", err)
		}
		return zero, false, crash
	case r.Err != "":
		return zero, true, &RemoteError{PID: w.pid, Msg: r.Err}
	}
	return r.Resp, true, nil
}

// Close stops the pool: Do and Map return [ErrClosed] from now on, and
// calls waiting for a worker give up with it. Close then waits for the
// running jobs to finish (it does not cancel them: cancel their ctx, or
// New's, for that; a hung one ends at its deadline), closes each
// worker's stdin so that [Serve] returns and the worker exits, waits up
// to [Command.Grace] for them to exit, kills any still running, and reaps
// them all.
//
// When Close returns, no worker process and no goroutine of the pool is
// left. It returns nil if every worker exited with status 0, and
// otherwise an error with a [*CrashError] for each that did not (none if
// New's ctx was done first: those were killed on purpose). Close is
// idempotent: a second call waits for the first and returns its result.
func (p *Pool[Req, Resp]) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.done
		return p.closeErr
	}
	p.closed = true
	p.mu.Unlock()
	close(p.closing)
	p.jobs.Wait()

	// Every Do has returned its slot: we hold them all.
	var ws []*worker
	for range p.size {
		if w := <-p.slots; w != nil {
			ws = append(ws, w)
		}
	}
	killedByCtx := p.ctx.Err() != nil
	for _, w := range ws {
		_ = w.stdin.Close() // end of input: Serve returns nil
	}
	// After the grace period, cancelling the pool's ctx kills every
	// worker still running (exec.CommandContext).
	var graceOver atomic.Bool
	timer := time.AfterFunc(p.cmd.grace(), func() {
		graceOver.Store(true)
		p.cancel()
	})
	p.reapers.Wait()
	timer.Stop()
	p.cancel()
	for _, w := range ws {
		w.stdout.Close()
	}

	var errs []error
	for _, w := range ws {
		if killedByCtx || w.cmd.ProcessState.Success() {
			continue
		}
		cause := errors.New("did not exit with status 0 after its stdin was closed")
		if graceOver.Load() {
			cause = fmt.Errorf("%w (workers still running after %v were killed)", cause, p.cmd.grace())
		}
		errs = append(errs, &CrashError{Op: "close", PID: w.pid,
			State: w.cmd.ProcessState, Cause: cause, Stderr: w.stderr.String()})
	}
	p.closeErr = errors.Join(errs...)
	close(p.done)
	return p.closeErr
}

// Stats returns the pool's counts since New.
func (p *Pool[Req, Resp]) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Workers returns the number of worker slots: New's workers.
func (p *Pool[Req, Resp]) Workers() int { return p.size }

var (
	gobEncoder      = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshaler = reflect.TypeFor[encoding.BinaryMarshaler]()
)

// checkSendable returns an error if a frame of type F cannot carry its
// Req or Resp (what) to another process: gob fails on it, or would
// silently drop a func or chan field.
func checkSendable[F any](what string) error {
	frame := reflect.TypeFor[F]()
	root, _ := frame.FieldByName(what)
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type, path string) error
	walk = func(t reflect.Type, path string) error {
		if seen[t] {
			return nil
		}
		seen[t] = true
		if t.Implements(gobEncoder) || reflect.PointerTo(t).Implements(gobEncoder) ||
			t.Implements(binaryMarshaler) || reflect.PointerTo(t).Implements(binaryMarshaler) {
			return nil // it encodes itself
		}
		switch t.Kind() {
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			where := ""
			if path != "" {
				where = ": " + path[1:] + " is a " + t.String()
			}
			return fmt.Errorf("processpool: %s type %v cannot be sent to a worker process%s; "+
				"gob sends data, not funcs or channels (as pickle cannot send a lambda)",
				what, root.Type, where)
		case reflect.Pointer, reflect.Slice, reflect.Array:
			return walk(t.Elem(), path)
		case reflect.Map:
			if err := walk(t.Key(), path); err != nil {
				return err
			}
			return walk(t.Elem(), path)
		case reflect.Struct:
			for i := range t.NumField() {
				if f := t.Field(i); f.IsExported() {
					if err := walk(f.Type, path+"."+f.Name); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	if err := walk(root.Type, ""); err != nil {
		return err
	}
	var zero F
	if err := gob.NewEncoder(io.Discard).Encode(zero); err != nil {
		return fmt.Errorf("processpool: %s type %v cannot be sent to a worker process: %w", what, root.Type, err)
	}
	return nil
}
