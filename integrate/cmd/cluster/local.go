package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The bounds on a local worker process's start and stop. Both only turn
// a worker that cannot start, or will not stop (it was stopped with
// SIGSTOP), into an error or a kill instead of a hang: a worker is ready
// in tens of milliseconds, and stops within its PullWait.
const (
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

// A local is the worker processes this command starts on this machine:
// this program again, with -worker -child, one chunk at a time each. It
// owns them: stop (closing their stdin) is the join point, and a worker
// that exits before it, all of them, fails the runs that use the local
// (see bind).
type local struct {
	procs []*proc

	// ctx is cancelled, with errAllGone's cause, when every process has
	// exited before stop; and when stop begins.
	ctx    context.Context
	cancel context.CancelCauseFunc

	parent   context.Context // startLocal's: when done, the workers are killed
	stopping atomic.Bool     // stop has begun: an exit is expected
	alive    atomic.Int64    // processes not yet exited
	warn     io.Writer       // where an unexpected exit is reported
}

// A proc is one worker process.
type proc struct {
	cmd   *exec.Cmd
	name  string         // host:pid, as the worker names itself
	stdin io.WriteCloser // closed by stop: the worker's signal to stop
	tail  *tail          // the end of its stderr, for error messages

	ready  chan struct{} // closed when it prints its ready line
	exited chan struct{} // closed once it has exited and been reaped
	// Set before exited is closed, read after:
	err   error // cmd.Wait's error
	early bool  // it exited before stop, and was reported then
}

// A workerLine is told of each line a local worker prints (its ready
// line, each chunk it starts and finishes): the tests watch them.
type workerLine func(pid int, line string)

// startLocal starts n worker processes, worker i connected to urls[i],
// and returns once every one is ready to take chunks (its ready line),
// with the time that took. It returns an error, and leaves nothing
// running, if a worker cannot start, exits first, or is not ready
// within readyTimeout. The workers' stderr goes to stderr.
//
// ctx bounds their life: when it is done, every worker is killed. stop is
// owed all the same, and is the join point.
func startLocal(ctx context.Context, urls []string, args []string, stderr io.Writer, onLine workerLine) (*local, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, fmt.Errorf("starting the workers: %w", err)
	}
	host := hostname()
	lctx, cancel := context.WithCancelCause(ctx)
	l := &local{ctx: lctx, cancel: cancel, parent: ctx, warn: stderr}
	begin := time.Now()
	for _, url := range urls {
		cmd := exec.CommandContext(ctx, exe, append([]string{"-worker", "-child", "-nats", url}, args...)...)
		p := &proc{cmd: cmd, tail: &tail{}, ready: make(chan struct{}), exited: make(chan struct{})}
		cmd.Stderr = io.MultiWriter(p.tail, stderr)
		out, err := cmd.StdoutPipe()
		if err == nil {
			p.stdin, err = cmd.StdinPipe()
		}
		if err == nil {
			err = cmd.Start()
		}
		if err != nil {
			l.stop()
			return nil, 0, fmt.Errorf("starting a worker: %w", err)
		}
		p.name = host + ":" + strconv.Itoa(cmd.Process.Pid)
		l.procs = append(l.procs, p)
		l.alive.Add(1)
		// The process's goroutine: it reads the worker's lines until
		// its stdout closes, then reaps it. It ends when the worker
		// exits, which stop makes sure of.
		go l.watch(p, out, onLine)
	}
	timer := time.NewTimer(readyTimeout)
	defer timer.Stop()
	for _, p := range l.procs {
		select {
		case <-p.ready: // this one is ready; on to the next
			continue
		case <-p.exited: // it died first
			err = fmt.Errorf("worker process %s exited before it was ready: %v%s", p.name, p.err, p.tail.quote())
		case <-timer.C: // it hangs
			err = fmt.Errorf("worker process %s not ready after %v%s", p.name, readyTimeout, p.tail.quote())
		case <-ctx.Done(): // Ctrl-C
			err = ctx.Err()
		}
		l.stop()
		return nil, 0, err
	}
	return l, time.Since(begin), nil
}

// errAllGone is the cause of a local's ctx when every worker has exited
// unexpectedly.
var errAllGone = errors.New("every local worker process exited")

// watch reads p's lines until its stdout closes, then reaps it.
func (l *local) watch(p *proc, out io.Reader, onLine workerLine) {
	s := bufio.NewScanner(out)
	ready := false
	for s.Scan() {
		line := s.Text()
		if !ready && strings.HasPrefix(line, "ready:") {
			ready = true
			close(p.ready)
		}
		if onLine != nil {
			onLine(p.cmd.Process.Pid, line)
		}
	}
	// We have read everything: now Wait may close the pipe.
	_, _ = io.Copy(io.Discard, out)
	p.err = p.cmd.Wait()
	p.early = !l.stopping.Load()
	// We close exited last: once stop has seen it closed for every
	// process, no goroutine of ours writes anything any more.
	defer close(p.exited)
	left := l.alive.Add(-1)
	if !p.early {
		return
	}
	fmt.Fprintf(l.warn, "cluster: worker process %s exited: %v; its chunk, if it had one, goes to another worker after AckWait%s\n",
		p.name, exitText(p.err), p.tail.quote())
	if left == 0 {
		l.cancel(fmt.Errorf("%w (the last one, %s: %v)%s", errAllGone, p.name, exitText(p.err), p.tail.quote()))
	}
}

// exitText describes how a worker ended.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// names returns the workers' names, host:pid.
func (l *local) names() []string {
	out := make([]string, len(l.procs))
	for i, p := range l.procs {
		out[i] = p.name
	}
	return out
}

// bind returns a ctx that is ctx, also cancelled with the cause when
// every worker of l has exited, and the function that releases it.
func (l *local) bind(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	release := context.AfterFunc(l.ctx, func() { cancel(context.Cause(l.ctx)) })
	return ctx, func() {
		release()
		cancel(nil)
	}
}

// stop stops every worker and waits until each has exited and been
// reaped: it closes their stdin, which a worker takes as the order to
// give its chunks back and exit, and kills those that have not exited
// within stopTimeout (a worker stopped with SIGSTOP). It returns an error
// for each worker that had to be killed or did not exit cleanly; one
// that had already exited was reported when it did, and one killed
// because startLocal's ctx is done is not an error.
func (l *local) stop() error {
	if l.stopping.Swap(true) {
		return nil
	}
	l.cancel(errors.New("the workers were stopped"))
	for _, p := range l.procs {
		_ = p.stdin.Close()
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	var errs []error
	for _, p := range l.procs {
		select {
		case <-p.exited: // it stopped
		case <-timer.C: // it will not: we kill it
			_ = p.cmd.Process.Kill()
			<-p.exited
			errs = append(errs, fmt.Errorf("worker process %s did not stop within %v: killed", p.name, stopTimeout))
			continue
		}
		if p.err != nil && !p.early && l.parent.Err() == nil {
			errs = append(errs, fmt.Errorf("worker process %s: %v%s", p.name, p.err, p.tail.quote()))
		}
	}
	return errors.Join(errs...)
}

// A tail keeps the last tailSize bytes written to it: the end of a
// worker's stderr, where its last error is. Its Write is called by the
// goroutine that copies the worker's stderr, its quote by others.
type tail struct {
	mu  sync.Mutex // protects buf
	buf []byte
}

const tailSize = 2048

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = t.buf[len(t.buf)-tailSize:]
	}
	return len(b), nil
}

// quote returns ": its stderr ended with: ..." or "" if it wrote nothing.
func (t *tail) quote() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.buf))
	if s == "" {
		return ""
	}
	return "; its stderr ended with:\n" + s
}

// hostname names this machine in a worker's name.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}
