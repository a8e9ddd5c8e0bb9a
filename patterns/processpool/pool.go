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
	"slices"
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
	// SentAhead counts the requests that Run sent to a worker while it
	// ran the job before them.
	SentAhead int
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

// isClosed reports whether Close has been called.
func (p *Pool[Req, Resp]) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// enter registers a call of Do or Run, unless the pool is closed.
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
	var (
		resp  Resp
		err   error
		taken bool // next has given the job
		ended bool // done has got its outcome
	)
	runErr := p.Run(ctx,
		func() (Req, time.Duration, bool) {
			if taken {
				return req, 0, false
			}
			taken = true
			return req, timeout, true
		},
		func(_ Req, r Resp, e error) error {
			resp, err, ended = r, e, true
			return nil
		})
	if ended {
		// The job ended; what Run saw after it (Close was called, or
		// ctx ended) is not this job's business.
		return resp, err
	}
	var zero Resp
	return zero, runErr
}

// pipeAhead is the largest request frame, header included, that Run sends
// to a worker while the worker runs the job before it. A pipe holds at
// least PIPE_BUF bytes, 512 in POSIX (4 KiB on Linux), so such a write
// never waits for the worker, and can never deadlock with a worker that
// waits for us to read a large response. Larger requests wait for the
// response to the job before them.
const pipeAhead = 512

// Run takes one worker, as [Pool.Do] does, and runs jobs on it one after
// another until next reports that there are no more. next returns each
// job's request and the deadline of each attempt at it (as
// [Pool.DoTimeout]'s timeout: 0 means [Command.JobTimeout], negative none),
// and done gets the job's response, or its error, as Do would return it.
//
// While the worker runs a job, Run has already taken the next one from
// next and sent its request (if its frame is at most 512 bytes): the
// worker reads it as soon as it has answered, and goes from one job to the
// next without waiting for a round trip through the parent. The deadline
// of each attempt counts from the moment the worker can start it: when its
// request is sent, or, for a request sent ahead, when the answer to the
// job before it comes. Python's ProcessPoolExecutor, for the same reason,
// keeps one call more than it has workers in the queue its workers read
// (EXTRA_QUEUED_CALLS).
//
// A job sent ahead waits for the job before it, even if another worker is
// idle: Run suits many jobs of about the same size, such as the ranges of
// an integral. For jobs whose sizes vary, [Pool.Do] and [Map], which send
// each job to an idle worker, balance the load better.
//
// next and done are called from Run's goroutine, never at once; done is
// called once for each job that next gave, in the same order, unless Run
// stops early. Both should return promptly: Run calls them while the
// worker runs a job, and the time they take counts against that job's
// deadline (a next that waits for work to arrive belongs in Do's callers). The job's failures are Do's: a crash or a timeout is retried
// once on a fresh worker, a second one is a [*CrashError], a worker's
// error a [*RemoteError], a request that cannot be encoded an error that
// says so; done decides: if it returns nil, Run goes on with the next job
// (starting a fresh worker if the job's worker died), and if it returns
// an error, Run takes no more jobs, waits for the answer to a request it
// had sent ahead (done is not called for it), and returns that error.
//
// Run returns nil once every job next gave has been passed to done. If
// ctx is done, Run kills the worker (as Do does), drops the jobs not yet
// passed to done, and returns ctx.Err(); if the pool's ctx (New's) is
// done, an error that wraps its cause. After Close has been called, Run
// takes no more jobs: it finishes the ones it has, passing them to done,
// and returns [ErrClosed].
func (p *Pool[Req, Resp]) Run(ctx context.Context, next func() (Req, time.Duration, bool),
	done func(Req, Resp, error) error) error {
	if !p.enter() {
		return ErrClosed
	}
	defer p.jobs.Done()
	var w *worker
	select {
	case w = <-p.slots: // we hold this slot until we send it back
	case <-p.closing: // Close waits for running jobs, not waiting ones
		return ErrClosed
	case <-p.ctx.Done(): // the workers are being killed
		return p.ctxErr()
	case <-ctx.Done(): // the caller gave up waiting
		return ctx.Err()
	}
	s := &session[Req, Resp]{p: p, ctx: ctx, w: w, next: next, done: done, more: true}
	// Whatever happens, the slot goes back, with the worker that now
	// fills it: the same, a replacement, or nil.
	defer func() { p.slots <- s.w }()
	select {
	case <-p.closing: // Close was called while we waited: start nothing
		return ErrClosed
	default: // still open
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.run()
}

// A session is one call of Run: a worker slot, and the jobs taken for it.
// Only Run's goroutine uses it.
type session[Req, Resp any] struct {
	p    *Pool[Req, Resp]
	ctx  context.Context
	w    *worker // the slot's worker; nil when it needs a fresh one
	next func() (Req, time.Duration, bool)
	done func(Req, Resp, error) error

	// queue holds the jobs taken from next and not yet passed to done,
	// oldest first: the one the worker runs, and at most one more.
	queue []*job[Req]
	more  bool  // next has not yet said there are no more
	stop  error // why Run takes no more jobs: ErrClosed, or done's error
	drain bool  // done returned an error: jobs still in flight are not passed to it
}

// A job is a request that Run took from next.
type job[Req any] struct {
	req     Req
	timeout time.Duration // each attempt's deadline; 0 for none
	// Its request on the current worker: encoded is set once the
	// frame is in the worker's frameWriter (waiting for flush), sent
	// once it was written, with ID id. encErr is why it could not be
	// encoded.
	encoded, sent bool
	id            uint64
	encErr        error
	first         *CrashError // the failure of its first attempt
}

func (s *session[Req, Resp]) run() error {
	for {
		if err := s.ctx.Err(); err != nil {
			if slices.ContainsFunc(s.queue, func(j *job[Req]) bool { return j.sent }) {
				// The worker owes an answer: it cannot serve another
				// caller before it has given it.
				s.w.discard()
				s.lost()
			}
			s.dropUnsent()
			return err
		}
		if s.drain {
			// We must still read the answers the worker owes before
			// the slot goes back.
			s.dropUnsent()
		}
		if len(s.queue) == 0 && !s.take() {
			return s.stop
		}
		if err := s.step(); err != nil {
			return err
		}
	}
}

// take takes the next job from next, and reports whether it did: not if
// next has no more, Close was called, or Run is stopping.
func (s *session[Req, Resp]) take() bool {
	if !s.more || s.stop != nil {
		return false
	}
	if s.p.isClosed() {
		s.stop = ErrClosed
		return false
	}
	req, timeout, ok := s.next()
	if !ok {
		s.more = false
		return false
	}
	if timeout == 0 {
		timeout = s.p.cmd.JobTimeout
	}
	s.queue = append(s.queue, &job[Req]{req: req, timeout: jobTimeout(timeout)})
	return true
}

// dropUnsent drops the jobs whose requests were not sent. A request
// encoded but not sent is forgotten, or the next frame would refer to the
// type definitions in it.
func (s *session[Req, Resp]) dropUnsent() {
	s.queue = slices.DeleteFunc(s.queue, func(j *job[Req]) bool {
		if j.encoded && !j.sent {
			s.w.fw.drop()
		}
		return !j.sent
	})
}

// lost records that the worker is gone: every job will be sent again, to
// a fresh one.
func (s *session[Req, Resp]) lost() {
	s.w = nil
	for _, j := range s.queue {
		j.encoded, j.sent, j.encErr = false, false, nil
	}
}

// encode encodes j's request for the worker, unless it is already.
func (s *session[Req, Resp]) encode(j *job[Req]) {
	if j.encoded || j.encErr != nil {
		return
	}
	s.w.nextID++
	j.id = s.w.nextID
	if err := s.w.fw.encode(request[Req]{ID: j.id, Req: j.req}); err != nil {
		s.w.nextID-- // nothing was sent with this ID
		j.encErr = fmt.Errorf("processpool: cannot send the request: %w", err)
		return
	}
	j.encoded = true
}

// step runs the job at the head of the queue on the worker, starting a
// fresh worker if needed, sends the next job ahead of its answer, and
// reads its answer. It returns an error only when Run must return it.
func (s *session[Req, Resp]) step() error {
	var zero Resp
	head := s.queue[0]
	if s.w == nil {
		w, err := s.p.start(s.ctx)
		if err != nil {
			switch {
			case s.ctx.Err() != nil:
				return s.ctx.Err()
			case s.p.ctx.Err() != nil:
				return s.p.ctxErr()
			case head.first != nil:
				err = fmt.Errorf("%w\nand no fresh worker could start to retry it: %w", head.first, err)
			}
			s.end(zero, err)
			return nil
		}
		s.w = w
	}
	w := s.w
	s.encode(head)
	if head.encErr != nil { // nothing was sent; the worker is idle
		s.end(zero, head.encErr)
		return nil
	}

	// If ctx ends during the job, or its deadline passes, we kill the
	// worker: that ends our write or read with an error. Both are in
	// place before the write, which blocks if the worker does not read.
	killed := make(chan struct{})
	stop := context.AfterFunc(s.ctx, func() { w.kill(); close(killed) })
	expired := make(chan struct{})
	var deadline *time.Timer
	if head.timeout > 0 {
		deadline = time.AfterFunc(head.timeout, func() { w.kill(); close(expired) })
	}
	var err error
	if !head.sent {
		err = w.fw.flush()
		head.sent = err == nil
	}
	if err == nil {
		s.sendAhead()
	}
	var r response[Resp]
	if err == nil {
		r, err = readResponse[Resp](w.fr, head.id)
	}
	timedOut := deadline != nil && !deadline.Stop()
	if timedOut {
		<-expired // the kill has been sent; the timer's func has returned
	}
	if !stop() {
		// Killed: whatever we read, the worker is gone.
		<-killed
		w.discard()
		s.lost()
		return s.ctx.Err()
	}
	switch {
	case timedOut && err == nil: // the answer came as the deadline passed
		w.discard()
		s.lost()
	case timedOut: // the kill ended the read, or the write
		return s.crashed(w.crash("job", &TimeoutError{Timeout: head.timeout}))
	case err != nil: // a crash, or the pool's ctx killed it
		crash := w.crash("job", err)
		if crash.ExitCode() == 0 && errors.Is(err, io.EOF) {
			crash.Cause = fmt.Errorf("the worker exited with status 0 in the middle of a job, "+
				"without answering (does the job call os.Exit?): %w", err)
		}
		return s.crashed(crash)
	}
	s.p.count(func(st *Stats) { st.Jobs++ })
	if r.Err != "" {
		s.end(zero, &RemoteError{PID: w.pid, Msg: r.Err})
	} else {
		s.end(r.Resp, nil)
	}
	return nil
}

// sendAhead takes the job after the head, if there is one to take, and
// sends its request if its frame is small enough to wait in the pipe
// (pipeAhead). A larger one stays encoded until the head is answered.
func (s *session[Req, Resp]) sendAhead() {
	if len(s.queue) == 1 && !s.drain {
		s.take()
	}
	if len(s.queue) < 2 {
		return
	}
	j := s.queue[1]
	if j.sent {
		return
	}
	s.encode(j)
	if j.encoded && s.w.fw.size() <= pipeAhead {
		// If the write fails, the worker is gone, and reading the
		// head's answer says how.
		j.sent = s.w.fw.flush() == nil
		if j.sent {
			s.p.count(func(st *Stats) { st.SentAhead++ })
		}
	}
}

// crashed handles the head's worker dying (it has been discarded): the
// job goes back to the queue for a retry on a fresh worker, or, for a
// second failure, to done.
func (s *session[Req, Resp]) crashed(crash *CrashError) error {
	s.lost()
	if s.p.ctx.Err() != nil {
		return s.p.ctxErr()
	}
	s.p.count(func(st *Stats) {
		st.Crashed++
		if crash.timedOut() {
			st.TimedOut++
		}
	})
	head := s.queue[0]
	switch {
	case s.drain: // its outcome is not wanted
		s.queue = s.queue[1:]
	case head.first != nil:
		crash.Previous = head.first
		s.end(*new(Resp), crash)
	default:
		head.first = crash
		s.p.count(func(st *Stats) { st.Retried++ })
	}
	return nil
}

// end removes the head of the queue and passes its outcome to done,
// unless Run is draining.
func (s *session[Req, Resp]) end(resp Resp, err error) {
	head := s.queue[0]
	s.queue = s.queue[1:]
	if s.drain {
		return
	}
	if derr := s.done(head.req, resp, err); derr != nil {
		s.stop, s.drain = derr, true
	}
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
