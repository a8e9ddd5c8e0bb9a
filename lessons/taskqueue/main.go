// The taskqueue command shows a durable task queue that workers on any
// machine pull jobs from, Go's answer to Celery with RabbitMQ and to RQ
// with Redis, on NATS JetStream, mechanism by mechanism with the raw
// jetstream API.
//
// By default it embeds a NATS server with JetStream in the process (file
// storage in a temporary directory, removed at the end), listening on a
// random port of 127.0.0.1 for the worker processes it starts; with -nats
// it uses a real server instead. It creates a work-queue stream, a
// durable pull consumer and a key-value bucket for the results, then
// shows: a producer that enqueues jobs with message IDs, and a job
// enqueued twice but done once; workers in goroutines, each pulling one
// job at a time; what Consume()'s prefetch does when its worker crashes;
// workers in processes of their own (this binary again, in worker mode),
// one of them killed mid-job and its job done by another after AckWait,
// with InProgress keeping a long job from being delivered twice; a poison
// job that fails MaxDeliver times and is moved to a dead-letter stream by
// its worker; and a shutdown in which a worker naks the job it holds.
//
// Usage:
//
//	go run ./lessons/taskqueue [-nats URL] [-workers n] [-procs n] [-ackwait d]
//	go run ./lessons/taskqueue -worker -nats URL [-name name]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "taskqueue:", err)
		os.Exit(1)
	}
}

// run runs the lesson, or with -worker one worker process. It returns
// ctx.Err() as soon as ctx is done (Ctrl-C). Every goroutine it starts has
// returned, every worker process it starts has been reaped, and the
// embedded server has shut down, when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}
	if cfg.worker {
		return serveWorker(ctx, w, cfg)
	}
	return demo(ctx, w, cfg)
}

// The lesson's limits on its consumer.
const (
	maxDeliver    = 3 // deliveries of a job before its worker gives up on it
	maxAckPending = 4 // jobs handed out and not yet acked, across all workers
)

// A lesson holds what the lesson's sections share.
type lesson struct {
	out     *log.Logger
	cfg     config
	url     string                        // what worker processes dial
	connect func() (*nats.Conn, error)    // a new connection for this process
	js      jetstream.JetStream           // on the producer's connection
	cons    jetstream.Consumer            // the workers' consumer, on the same
	results jetstream.KeyValue            // the results bucket, on the same
	dead    jetstream.Stream              // the dead letters
	exe     string                        // this program, run again as a worker
	procs   []*proc                       // the worker processes started
	events  chan event                    // what the worker processes did
	made    []func(context.Context) error // deletes what setUp made
}

// demo runs the lesson's sections, printing to w.
func demo(ctx context.Context, w io.Writer, cfg config) (err error) {
	// We print through one Logger: it writes each line in one call, so
	// lines from different goroutines never tear.
	l := &lesson{out: log.New(w, "", 0), cfg: cfg, events: make(chan event)}
	if l.exe, err = os.Executable(); err != nil {
		return err
	}
	if cfg.nats == "" {
		// We embed a server: no install, nothing to start by hand. Its
		// store is a temporary directory, removed when we are done.
		dir, err := os.MkdirTemp("", "taskqueue-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		ns, err := startServer(dir)
		if err != nil {
			return err
		}
		defer func() {
			ns.Shutdown()
			ns.WaitForShutdown() // every goroutine of the server has ended
		}()
		// Our own connections need no socket: InProcessServer connects
		// through memory. The worker processes dial its loopback port.
		l.url = ns.ClientURL()
		l.connect = func() (*nats.Conn, error) {
			return nats.Connect(l.url, nats.InProcessServer(ns))
		}
		l.out.Printf("An embedded NATS server with JetStream: file storage in a"+
			" temporary directory, listening on %s for worker processes", l.url)
	} else {
		l.url = cfg.nats
		l.connect = func() (*nats.Conn, error) { return nats.Connect(cfg.nats) }
		l.out.Printf("The NATS server at %s", l.url)
	}
	nc, err := l.connect()
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", l.url, err)
	}
	defer nc.Close()
	if l.js, err = jetstream.New(nc); err != nil {
		return err
	}
	// Whatever happens, we stop and reap the worker processes, then
	// delete what we made on the server (which matters on a real server),
	// even on Ctrl-C: hence a context of its own, with a deadline. Note
	// the order of the defers: the workers go first, or they would see
	// their queue vanish under them.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, del := range slices.Backward(l.made) {
			err = errors.Join(err, del(cctx))
		}
	}()
	defer func() { err = errors.Join(err, l.stopProcs()) }()

	sections := []func(context.Context) error{
		l.setUp, l.produce, l.goroutines, l.prefetch, l.processes, l.poison, l.shutdown,
	}
	for _, section := range sections {
		err := section(ctx)
		// A section cut short by Ctrl-C fails in many ways (a closed
		// connection, a pull that returned early): we say what happened.
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return err
		}
	}
	what := "the streams and the bucket are deleted"
	if cfg.nats == "" {
		what += "; the embedded server shuts down, and its directory is removed"
	}
	l.out.Printf("\nDone: %s", what)
	return nil
}

// startServer starts a NATS server with JetStream in this process, with
// its store in dir, listening on a random port of 127.0.0.1.
func startServer(dir string) (*server.Server, error) {
	ns, err := server.NewServer(&server.Options{
		Host:      "127.0.0.1", // loopback only
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  dir,
		NoLog:     true,
		NoSigs:    true, // Ctrl-C is ours to handle, not the server's
	})
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, errors.New("embedded server: not ready after 10s")
	}
	return ns, nil
}

// setUp is section 1: the stream, the consumer, the bucket and the
// dead-letter stream.
func (l *lesson) setUp(ctx context.Context) error {
	// A server without JetStream has no streams to offer; we say so
	// before anything else fails for that reason.
	if _, err := l.js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("the server at %s: %w", l.url, err)
	}
	// We start from nothing. On a real server, a run cut short may have
	// left the lesson's streams behind, with jobs in them.
	for _, name := range []string{streamName, deadName, "KV_" + bucketName} {
		err := l.js.DeleteStream(ctx, name)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("deleting stream %s: %w", name, err)
		}
	}

	// The queue is a stream: every message published to tasks.> is kept,
	// on disk, until a worker acks it. Work-queue retention deletes a
	// message once it is acked, and allows one consumer per subject:
	// each job goes to one worker, as from RabbitMQ's queue or RQ's list.
	tasks, err := l.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:      streamName,
		Subjects:  []string{"tasks.>"},
		Retention: jetstream.WorkQueuePolicy,
		Storage:   jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("creating stream %s: %w", streamName, err)
	}
	l.made = append(l.made, func(ctx context.Context) error {
		return l.js.DeleteStream(ctx, streamName)
	})
	// Workers pull from one durable consumer: the server remembers which
	// jobs it has handed out. Each must be acked within AckWait, or it is
	// delivered again; after MaxDeliver deliveries it is not; and at most
	// MaxAckPending are out at once, across every worker.
	l.cons, err = tasks.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       consumerName,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       l.cfg.ackWait,
		MaxDeliver:    maxDeliver,
		MaxAckPending: maxAckPending,
	})
	if err != nil {
		return fmt.Errorf("creating consumer %s: %w", consumerName, err)
	}
	// Results go to a key-value bucket (a stream underneath), one key per
	// job ID; dead letters to a stream of their own.
	l.results, err = l.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: bucketName, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", bucketName, err)
	}
	l.made = append(l.made, func(ctx context.Context) error {
		return l.js.DeleteKeyValue(ctx, bucketName)
	})
	l.dead, err = l.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: deadName, Subjects: []string{"dead.>"}, Storage: jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("creating stream %s: %w", deadName, err)
	}
	l.made = append(l.made, func(ctx context.Context) error {
		return l.js.DeleteStream(ctx, deadName)
	})

	l.out.Printf("\n1. The queue: stream %s, subjects tasks.>, work-queue retention"+
		" (a job leaves the stream once acked)", streamName)
	l.out.Printf("  consumer %s: pull, explicit acks, AckWait %v, MaxDeliver %d,"+
		" MaxAckPending %d", consumerName, l.cfg.ackWait, maxDeliver, maxAckPending)
	l.out.Printf("  bucket %s: each job's result under its ID; stream %s: the jobs"+
		" that failed %d times", bucketName, deadName, maxDeliver)
	return nil
}

// enqueue publishes job-n with payload t, and its ID as the message ID.
// It returns once the server has stored it (or found it a duplicate).
func (l *lesson) enqueue(ctx context.Context, n int, t task) (*jetstream.PubAck, error) {
	id := jobID(n)
	data, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	ack, err := l.js.Publish(ctx, "tasks."+id, data, jetstream.WithMsgID(id))
	if err != nil {
		return nil, fmt.Errorf("enqueueing %s: %w", id, err)
	}
	return ack, nil
}

// jobID names job n.
func jobID(n int) string { return "job-" + strconv.Itoa(n) }

// jobNumber is the n of a job ID from jobID, for sorting.
func jobNumber(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "job-"))
	return n
}

// produce is section 2: six jobs, and one of them again.
func (l *lesson) produce(ctx context.Context) error {
	l.out.Print("\n2. The producer enqueues job-1 ... job-6, each with its ID as the" +
		" message ID (the Nats-Msg-Id header)")
	// Publish returns the server's answer, a PubAck: the job is on disk.
	// Note that core NATS's plain publish would return before that.
	var first, last uint64
	for n := 1; n <= 6; n++ {
		ack, err := l.enqueue(ctx, n, task{N: n})
		if err != nil {
			return err
		}
		if n == 1 {
			first = ack.Sequence
		}
		last = ack.Sequence
	}
	l.out.Printf("  job-1 ... job-6: stored as messages %d to %d of %s", first, last, streamName)

	// A producer that retries after a lost answer publishes the same job
	// twice. The server remembers each message ID for a while (the
	// stream's Duplicates window) and stores the second copy not at all.
	ack, err := l.enqueue(ctx, 3, task{N: 3})
	if err != nil {
		return err
	}
	info, err := l.streamInfo(ctx)
	if err != nil {
		return err
	}
	l.out.Printf("  job-3 again: duplicate %t, message %d: the server keeps one copy per"+
		" ID for %v", ack.Duplicate, ack.Sequence, info.Config.Duplicates)
	l.out.Printf("  %s holds %d jobs", streamName, info.State.Msgs)
	return nil
}

// streamInfo asks the server about the work queue's stream.
func (l *lesson) streamInfo(ctx context.Context) (*jetstream.StreamInfo, error) {
	s, err := l.js.Stream(ctx, streamName)
	if err != nil {
		return nil, err
	}
	return s.Info(ctx)
}

// report returns a worker's report function that sends each event on
// events, or gives up when ctx is done.
func report(ctx context.Context, events chan<- event) func(event) {
	return func(e event) {
		select {
		case events <- e: // the lesson has it
		case <-ctx.Done(): // the lesson has stopped listening
		}
	}
}

// goroutines is section 3: workers in goroutines do the six jobs.
func (l *lesson) goroutines(ctx context.Context) (err error) {
	n := l.cfg.workers
	l.out.Printf("\n3. %d workers in goroutines; each pulls one job at a time, stores its"+
		" result, then acks", n)
	// Each worker has its own goroutine, and they share our connection: a
	// NATS connection carries any number of pulls at once. We stop them
	// when the jobs are done, and wait for them, on every path.
	wctx, cancel := context.WithCancel(ctx)
	events := make(chan event)
	errs := make([]error, n)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		err = errors.Join(err, errors.Join(errs...))
	}()
	for i := range n {
		wk, err := newWorker(ctx, l.js, fmt.Sprintf("worker %d", i+1), report(wctx, events))
		if err != nil {
			return err
		}
		wg.Go(func() { errs[i] = wk.run(wctx) })
	}

	done := map[string]event{}
	err = collect(ctx, events, func(e event) bool {
		if e.what == "done" {
			done[e.job] = e
		}
		return len(done) == 6
	})
	if err != nil {
		return err
	}
	l.printDone(done)
	// The acks were DoubleAcks, so the server has recorded each one: the
	// work-queue stream has deleted the jobs.
	info, err := l.streamInfo(ctx)
	if err != nil {
		return err
	}
	l.out.Printf("  6 jobs, each done once (job-3, enqueued twice, too); %s holds %d jobs",
		streamName, info.State.Msgs)
	return nil
}

// collect receives events until enough says it has all it needs, or ctx
// is done.
func collect(ctx context.Context, events <-chan event, enough func(event) bool) error {
	for {
		select {
		case e := <-events: // a worker did something
			if enough(e) {
				return nil
			}
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
	}
}

// printDone prints one line per done event, in job order.
func (l *lesson) printDone(done map[string]event) {
	for _, id := range slices.SortedFunc(maps.Keys(done), func(a, b string) int {
		return jobNumber(a) - jobNumber(b)
	}) {
		e := done[id]
		l.out.Printf("  %s: %s (delivery %d, %s)", id, e.detail, e.delivery, e.worker)
	}
}

// prefetch is section 4: a worker that pulls with Consume() and crashes.
func (l *lesson) prefetch(ctx context.Context) (err error) {
	for n := 7; n <= 14; n++ {
		if _, err := l.enqueue(ctx, n, task{N: n}); err != nil {
			return err
		}
	}
	l.out.Print("\n4. Worker A pulls with Consume(), which asks for up to 500 jobs" +
		" ahead; job-7 ... job-14 are queued")

	// Worker A has a connection of its own, so that it can crash alone.
	// Consume calls our function for each job as it arrives; ours hands
	// it over on a channel, with room for every queued job, so that it
	// never blocks.
	ncA, err := l.connect()
	if err != nil {
		return err
	}
	defer ncA.Close()
	jsA, err := jetstream.New(ncA)
	if err != nil {
		return err
	}
	consA, err := jsA.Consumer(ctx, streamName, consumerName)
	if err != nil {
		return err
	}
	held := make(chan jetstream.Msg, 8)
	cc, err := consA.Consume(func(m jetstream.Msg) { held <- m })
	if err != nil {
		return err
	}
	defer func() { cc.Stop(); <-cc.Closed() }()

	// The server hands A as many jobs as MaxAckPending allows. Note that
	// A can work on only one: the others wait in its buffer, and their
	// AckWait runs all the same.
	var got []jetstream.Msg
	for len(got) < maxAckPending {
		select {
		case m := <-held: // a job has arrived at A
			got = append(got, m)
		case <-ctx.Done(): // Ctrl-C
			return ctx.Err()
		}
	}
	info, err := l.cons.Info(ctx)
	if err != nil {
		return err
	}
	l.out.Printf("  the server has handed A %d jobs (NumAckPending %d), %s ... %s:"+
		" MaxAckPending %d caps it", len(got), info.NumAckPending,
		got[0].Headers().Get(jetstream.MsgIDHeader),
		got[len(got)-1].Headers().Get(jetstream.MsgIDHeader), maxAckPending)

	// A does the first job and stores its result, then crashes before its
	// ack: its connection closes, as a killed process's would. Nothing
	// tells the server that A's jobs are free: only AckWait will.
	first := got[0]
	id := first.Headers().Get(jetstream.MsgIDHeader)
	var t task
	if err := json.Unmarshal(first.Data(), &t); err != nil {
		return err
	}
	value, err := square(ctx, t)
	if err != nil {
		return err
	}
	r, _ := json.Marshal(result{Value: value, Worker: "worker A", Delivery: 1})
	resultsA, err := jsA.KeyValue(ctx, bucketName)
	if err != nil {
		return err
	}
	if _, err := resultsA.Put(ctx, id, r); err != nil {
		return err
	}
	cc.Stop()
	ncA.Close()
	crashed := time.Now()
	l.out.Printf("  A does %s, stores its result, and crashes before its ack: its"+
		" connection closes", id)

	// Worker B pulls one job at a time, as in section 3.
	wctx, cancel := context.WithCancel(ctx)
	events := make(chan event)
	var wg sync.WaitGroup
	var runErr error
	defer func() {
		cancel()
		wg.Wait()
		err = errors.Join(err, runErr)
	}()
	wk, err := newWorker(ctx, l.js, "worker B", report(wctx, events))
	if err != nil {
		return err
	}
	wg.Go(func() { runErr = wk.run(wctx) })

	var waited time.Duration
	settled := map[string]event{}
	err = collect(ctx, events, func(e event) bool {
		if e.what != "done" && e.what != "skip" {
			return false
		}
		if len(settled) == 0 {
			waited = time.Since(crashed)
		}
		settled[e.job] = e
		return len(settled) == 8
	})
	if err != nil {
		return err
	}
	l.out.Printf("  worker B, pulling one job at a time, waits %v for its first job:"+
		" A's %d jobs wait out AckWait, and, as they fill MaxAckPending, so does every"+
		" other job", waited.Round(10*time.Millisecond), len(got))
	skip := settled[id]
	delete(settled, id)
	l.out.Printf("  %s: delivery %d: %s; B acks it without doing it again",
		id, skip.delivery, skip.detail)
	l.printDone(settled)
	return nil
}

// A proc is a worker process: this program, run again with -worker.
type proc struct {
	name   string
	cmd    *exec.Cmd
	ctx    context.Context    // done once the worker has been told to stop
	cancel context.CancelFunc // interrupts it
	quit   chan struct{}      // closed when the lesson stops listening to it
	reader sync.WaitGroup     // the goroutine that reads its stdout
	stderr bytes.Buffer       // written by exec's goroutine until Wait returns
	reaped bool
	err    error // how it ended, once reaped
}

// startProc starts a worker process called name, which sends what it
// prints, as events, to l.events.
func (l *lesson) startProc(ctx context.Context, name string) (*proc, error) {
	// When pctx is done, exec interrupts the worker, as Ctrl-C would: it
	// naks the job it holds and exits. Note WaitDelay: a worker that has
	// not exited 5 s later is killed.
	pctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(pctx, l.exe, "-worker", "-nats", l.url, "-name", name)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	p := &proc{name: name, cmd: cmd, ctx: pctx, cancel: cancel, quit: make(chan struct{})}
	cmd.Stderr = &p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	l.procs = append(l.procs, p)
	// One goroutine reads the worker's lines to the end of its stdout,
	// which comes when the worker exits; once the lesson has stopped
	// listening, it reads on and drops them.
	p.reader.Go(func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			e, ok := parseEvent(sc.Text())
			if !ok {
				continue
			}
			select {
			case l.events <- e: // the lesson has it
			case <-p.quit: // the lesson no longer listens
			}
		}
	})
	return p, nil
}

// kill kills the worker at once (SIGKILL on Unix: it cannot nak, flush,
// or do anything at all) and reaps it.
func (p *proc) kill() error {
	_ = p.cmd.Process.Kill() // fails only if it has exited already
	return p.reap()
}

// stop interrupts the worker and reaps it.
func (p *proc) stop() error {
	p.cancel()
	return p.reap()
}

// reap stops listening to the worker, reads what is left of its stdout
// and waits for it. It does so once; later calls return the same error.
func (p *proc) reap() error {
	if p.reaped {
		return p.err
	}
	p.reaped = true
	close(p.quit)
	// Note the order: every read from the stdout pipe must be done before
	// Wait, which closes it.
	p.reader.Wait()
	err := p.cmd.Wait()
	p.cancel()
	// After an interrupt, exec reports the ctx's error even when the
	// worker exited with status 0, as a stopped worker should. A worker
	// interrupted while it was still starting, before it could catch the
	// signal, dies of it: it held no job, so that is a clean stop too.
	if ps := p.cmd.ProcessState; ps != nil &&
		(ps.Success() || p.ctx.Err() != nil && diedOf(ps, syscall.SIGINT)) {
		err = nil
	}
	if msg := strings.TrimSpace(p.stderr.String()); err != nil && msg != "" {
		err = fmt.Errorf("%w: %s", err, msg)
	}
	p.err = err
	return err
}

// diedOf reports whether the process was ended by signal sig.
func diedOf(ps *os.ProcessState, sig syscall.Signal) bool {
	ws, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	})
	return ok && ws.Signaled() && ws.Signal() == sig
}

// stopProcs stops every worker process still running, and reaps it.
func (l *lesson) stopProcs() error {
	var errs []error
	for _, p := range l.procs {
		if !p.reaped {
			errs = append(errs, p.stop())
		}
	}
	return errors.Join(errs...)
}

// proc returns the worker process called name, or nil.
func (l *lesson) proc(name string) *proc {
	for _, p := range l.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// String describes p: "worker 2 (pid 1234)".
func (p *proc) String() string {
	return fmt.Sprintf("%s (pid %d)", p.name, p.cmd.Process.Pid)
}

// processes is section 5: workers in processes of their own, one killed
// mid-job.
func (l *lesson) processes(ctx context.Context) error {
	n := l.cfg.procs
	l.out.Printf("\n5. %d worker processes: this program again, with -worker -nats %s", n, l.url)
	// We start the workers, and wait until each says it is ready.
	var started []string
	for i := range n {
		p, err := l.startProc(ctx, fmt.Sprintf("worker %d", i+1))
		if err != nil {
			return err
		}
		started = append(started, p.String())
	}
	ready := 0
	if err := collect(ctx, l.events, func(e event) bool {
		if e.what == "ready" {
			ready++
		}
		return ready == n
	}); err != nil {
		return err
	}
	l.out.Printf("  %s are ready", strings.Join(started, ", "))

	// job-15 takes longer than AckWait: the worker that does it must say
	// it is still at it (InProgress), or the server gives it to another.
	long := l.cfg.ackWait * 3 / 2
	if _, err := l.enqueue(ctx, 15, task{N: 15, Work: long}); err != nil {
		return err
	}
	for n := 16; n <= 19; n++ {
		if _, err := l.enqueue(ctx, n, task{N: n, Work: 50 * time.Millisecond}); err != nil {
			return err
		}
	}
	l.out.Printf("  job-15 takes %v, longer than AckWait: its worker calls InProgress every"+
		" %v; job-16 ... job-19 take 50ms each", long, l.cfg.ackWait/4)

	// We kill the worker that starts job-15, as soon as it has. It dies
	// holding the job, unacked.
	done := map[string]event{}
	var victim *proc
	if err := collect(ctx, l.events, func(e event) bool {
		if e.what == "done" {
			done[e.job] = e
		}
		if e.what == "start" && e.job == "job-15" {
			victim = l.proc(e.worker)
		}
		return victim != nil
	}); err != nil {
		return err
	}
	if victim == nil {
		return errors.New("job-15 was started by a worker we did not start")
	}
	killErr := victim.kill()
	killed := time.Now()
	l.out.Printf("  %s starts job-15; we kill it with SIGKILL, mid-job: %v", victim, killErr)

	// A supervisor would start a worker in its place; so do we.
	p, err := l.startProc(ctx, fmt.Sprintf("worker %d", n+1))
	if err != nil {
		return err
	}
	var after time.Duration
	ready = 0
	if err := collect(ctx, l.events, func(e event) bool {
		switch e.what {
		case "ready":
			ready++
		case "start":
			if e.job == "job-15" {
				after = time.Since(killed)
			}
		case "done":
			done[e.job] = e
		}
		return ready == 1 && len(done) == 5
	}); err != nil {
		return err
	}
	l.out.Printf("  %s starts in its place", p)
	l.printDone(done)
	l.out.Printf("  job-15 went to a live worker %v after the kill: the server waited"+
		" AckWait for an ack, or an InProgress, that never came", after.Round(100*time.Millisecond))
	l.out.Printf("  and it was delivered twice, not three times: while it ran past AckWait," +
		" the InProgress of its new worker kept the idle one from getting it")
	return nil
}

// poison is section 6: a job that fails every time.
func (l *lesson) poison(ctx context.Context) error {
	l.out.Printf("\n6. A poison job: job-20 fails every time; its worker naks it with a %v"+
		" delay, and on the last delivery (MaxDeliver %d) moves it to %s", retryDelay,
		maxDeliver, deadName)
	if _, err := l.enqueue(ctx, 20, task{N: -20}); err != nil {
		return err
	}
	var tries []event
	if err := collect(ctx, l.events, func(e event) bool {
		if e.job == "job-20" && (e.what == "retry" || e.what == "dead") {
			tries = append(tries, e)
		}
		return e.job == "job-20" && e.what == "dead"
	}); err != nil {
		return err
	}
	for _, e := range tries {
		what := "nak'ed, to come back in " + retryDelay.String()
		if e.what == "dead" {
			what = "written to dead.job-20, then terminated"
		}
		l.out.Printf("  job-20, delivery %d: %s: %s", e.delivery, e.detail, what)
	}
	// The worker published the dead letter and had the server's PubAck
	// before it said so: it is in the stream.
	m, err := l.dead.GetLastMsgForSubject(ctx, "dead.job-20")
	if err != nil {
		return err
	}
	l.out.Printf("  %s holds job-20, with its last error: %s",
		deadName, m.Header.Get(errorHeader))
	return nil
}

// shutdown is section 7: the workers stop, and the job in hand comes back.
func (l *lesson) shutdown(ctx context.Context) error {
	l.out.Print("\n7. Shutdown: job-21 would take an hour; once a worker has started it," +
		" we interrupt every worker, as Ctrl-C would")
	if _, err := l.enqueue(ctx, 21, task{N: 21, Work: time.Hour}); err != nil {
		return err
	}
	var start event
	if err := collect(ctx, l.events, func(e event) bool {
		start = e
		return e.what == "start" && e.job == "job-21"
	}); err != nil {
		return err
	}
	// We stop the idle workers first, then the one that holds job-21.
	// Note the order: a nak makes the server deliver the job again at
	// once, and an idle worker that is stopping may be waiting on a pull
	// that it no longer reads. A worker that has exited has withdrawn its
	// pull (it flushes before it exits).
	holder := l.proc(start.worker)
	stopped := 0
	for _, p := range l.procs {
		if p.reaped || p == holder {
			continue
		}
		if err := p.stop(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		stopped++
	}
	// A worker stopped mid-job hands the job back at once (Nak), rather
	// than leave it to wait out AckWait. We hear it say so, then reap it.
	holder.cancel()
	if err := collect(ctx, l.events, func(e event) bool {
		return e.what == "nak" && e.job == "job-21"
	}); err != nil {
		return err
	}
	nakAt := time.Now()
	if err := holder.stop(); err != nil {
		return fmt.Errorf("%s: %w", holder.name, err)
	}
	l.out.Printf("  we stop %s first; then %s, stopped mid-job, naks job-21 and exits",
		count(stopped, "idle worker"), holder.name)
	l.out.Printf("  every worker exited with status 0, and is reaped")

	// With no worker left, we take job-21 ourselves: it is there at once.
	msg, err := l.cons.Next(jetstream.FetchContext(ctx))
	if err != nil {
		return err
	}
	meta, err := msg.Metadata()
	if err != nil {
		return err
	}
	l.out.Printf("  we pull %s: delivery %d, %v after the nak, not AckWait; we terminate it",
		msg.Headers().Get(jetstream.MsgIDHeader), meta.NumDelivered,
		time.Since(nakAt).Round(100*time.Millisecond))
	return msg.TermWithReason("the lesson is over")
}

// sleep waits d, or until ctx is done, whichever comes first. It returns
// nil once d has passed (at once if d <= 0, as time.Sleep does), and
// ctx.Err() if ctx is done first, or already. In a lesson the sleep stands
// for real work or I/O; unlike time.Sleep, it ends as soon as ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	// We look at ctx first: when both cases below are ready, select picks
	// one at random (docs/concepts.md, "When several cases are ready").
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop() // frees the timer at once if ctx is done first
	select {
	case <-timer.C: // d has passed: the work is done
		return nil
	case <-ctx.Done(): // cancelled, or Ctrl-C: give up now
		return ctx.Err()
	}
}

// count says "1 job" or "2 jobs".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
