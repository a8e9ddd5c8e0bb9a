// Package catalog is the workbook's table of contents: the one list of lessons
// in reading order, with each lesson's section, primitive, Python counterpart
// and exercise.
//
// Everything else that lists lessons (lessons/README.md, the reading order in
// the top-level README.md, and the workbook command) is generated from or
// checked against this list by the package's tests, so they cannot drift.
// To add a lesson, add an entry here, then run
//
//	go test ./internal/catalog -update
//
// to regenerate the tables.
package catalog

import (
	"fmt"
	"slices"

	"github.com/concurrency-workbook/workbook/internal/suggest"
)

// A Section groups lessons that teach related primitives.
type Section struct {
	Name  string // short key, as in "locks"
	Title string // heading shown to readers
}

// A Lesson is one entry of the reading order.
type Lesson struct {
	Name      string // directory under lessons/, and the name students type
	Title     string // one line: what the lesson teaches
	Section   string // Section.Name
	Primitive string // the Go constructs it shows
	Python    string // the Python counterpart it replaces
	Exercise  string // directory under exercises/ and solutions/, or ""
}

// Sections returns the sections in reading order.
func Sections() []Section {
	return []Section{
		{"basics", "Goroutines"},
		{"locks", "Shared memory and locks"},
		{"signalling", "Waiting and signalling"},
		{"channels", "Channels"},
		{"composition", "Composing goroutines"},
		{"network", "The network"},
		{"processes", "Processes and parallelism"},
		{"integrate", "Parallel integration"},
		{"patterns", "Patterns"},
		{"machines", "Across machines"},
	}
}

// Lessons returns every lesson in reading order. The slice is new on every
// call, so callers may modify it.
func Lessons() []Lesson {
	return []Lesson{
		{
			Name:      "goroutines",
			Title:     "Start goroutines, wait for them, join with a timeout",
			Section:   "basics",
			Primitive: "go, sync.WaitGroup, wg.Go, select with time.After",
			Python:    "threading.Thread: start, join, join(timeout), is_alive",
			Exercise:  "goroutines",
		},
		{
			Name:      "race",
			Title:     "Lost updates: a data race and the race detector",
			Section:   "locks",
			Primitive: "go test -race, go run -race",
			Python:    "total += amount from many threads",
			Exercise:  "race",
		},
		{
			Name:      "mutex",
			Title:     "Guard shared state with a mutex; lock granularity",
			Section:   "locks",
			Primitive: "sync.Mutex, TryLock",
			Python:    "threading.Lock, with lock:, lock.acquire(False)",
			Exercise:  "mutex",
		},
		{
			Name:      "deadlock",
			Title:     "Deadlocks: re-locking, lock order, and how to find them",
			Section:   "locks",
			Primitive: "sync.Mutex lock order, xxxLocked helpers, TryLock",
			Python:    "threading.RLock; two locks taken in opposite orders",
			Exercise:  "deadlock",
		},
		{
			Name:      "rwmutex",
			Title:     "Many readers or one writer: a read-mostly cache",
			Section:   "locks",
			Primitive: "sync.RWMutex, sync.Map, atomic.Pointer copy-on-write",
			Python:    "no RWLock in the standard library; a Lock, or copy-on-write",
			Exercise:  "rwmutex",
		},
		{
			Name:      "atomic",
			Title:     "Atomics vs a mutex vs local sums; false sharing",
			Section:   "locks",
			Primitive: "atomic.Int64, atomic.Bool, atomic.Pointer, CompareAndSwap",
			Python:    "multiprocessing.Value",
			Exercise:  "atomic",
		},
		{
			Name:      "once",
			Title:     "Initialise exactly once, lazily",
			Section:   "locks",
			Primitive: "sync.Once, sync.OnceValue, sync.OnceValues",
			Python:    "a module-level lock around a lazy global; functools.cache",
			Exercise:  "once",
		},
		{
			Name:      "semaphore",
			Title:     "Limit how many goroutines do something at once",
			Section:   "signalling",
			Primitive: "chan struct{} tokens, semaphore.Weighted, errgroup.SetLimit",
			Python:    "threading.Semaphore, threading.BoundedSemaphore",
			Exercise:  "semaphore",
		},
		{
			Name:      "event",
			Title:     "Events and barriers: wake every waiter at once",
			Section:   "signalling",
			Primitive: "close(ch), context cancellation, sync.Cond, a barrier",
			Python:    "threading.Event, threading.Barrier",
			Exercise:  "event",
		},
		{
			Name:      "cond",
			Title:     "Wait for a condition: a bounded buffer with sync.Cond",
			Section:   "signalling",
			Primitive: "sync.Cond: Wait in a for loop, Signal, Broadcast",
			Python:    "threading.Condition",
			Exercise:  "cond",
		},
		{
			Name:      "channels",
			Title:     "Channels: send, receive, close, range, and what panics",
			Section:   "channels",
			Primitive: "chan, buffered chan, close, range, v, ok := <-ch, nil channels",
			Python:    "queue.Queue between threads, multiprocessing.Pipe",
			Exercise:  "channels",
		},
		{
			Name:      "queue",
			Title:     "Python's queue.Queue as a buffered channel",
			Section:   "channels",
			Primitive: "buffered chan, select with default and a timer, container/heap",
			Python:    "queue.Queue(maxsize): put, get(timeout), put_nowait, task_done, join",
			Exercise:  "queue",
		},
		{
			Name:      "prodcons",
			Title:     "Producers and consumers: who closes, back-pressure, shutdown",
			Section:   "channels",
			Primitive: "M producers, N consumers, a closer goroutine, ctx cancellation",
			Python:    "producer/consumer threads on a Queue with a None sentinel",
			Exercise:  "prodcons",
		},
		{
			Name:      "select",
			Title:     "select, timeouts and context cancellation",
			Section:   "channels",
			Primitive: "select, time.After, time.Timer, context.WithTimeout, AfterFunc",
			Python:    "asyncio.wait_for, asyncio.wait(FIRST_COMPLETED), selectors",
			Exercise:  "select",
		},
		{
			Name:      "pipeline",
			Title:     "Pipelines: stages, fan-out, fan-in, cancellation, order",
			Section:   "composition",
			Primitive: "stage funcs returning <-chan, merge, errgroup.WithContext",
			Python:    "chained generators; queues between thread stages",
			Exercise:  "pipeline",
		},
		{
			Name:      "workerpool",
			Title:     "Bounded parallelism: a pool of workers, results in order",
			Section:   "composition",
			Primitive: "worker goroutines on a jobs channel, errgroup.SetLimit",
			Python:    "ThreadPoolExecutor(max_workers=4), Pool.map",
			Exercise:  "workerpool",
		},
		{
			Name:      "schedule",
			Title:     "Run later, run every, cancel: timers, tickers, a scheduler",
			Section:   "composition",
			Primitive: "time.AfterFunc, time.Ticker, Timer.Stop, container/heap",
			Python:    "sched.scheduler, threading.Timer",
			Exercise:  "schedule",
		},
		{
			Name:      "async",
			Title:     "From asyncio to goroutines: no event loop, no colours",
			Section:   "composition",
			Primitive: "goroutines, errgroup, context deadlines, iter.Seq",
			Python:    "async def, await, asyncio.gather, asyncio.wait_for",
			Exercise:  "async",
		},
		{
			Name:      "server",
			Title:     "Serve many connections: a goroutine each, deadlines, graceful shutdown",
			Section:   "network",
			Primitive: "net.Listener, Accept loop, SetDeadline, http.Server.Shutdown, r.Context()",
			Python:    "Twisted's reactor, asyncio.start_server, socketserver.ThreadingTCPServer",
			Exercise:  "server",
		},
		{
			Name:      "fetch",
			Title:     "Many requests at once: bounded, with timeouts, deadlines and retries",
			Section:   "network",
			Primitive: "http.Client with Timeout, errgroup.SetLimit, context.WithTimeout, Transport.MaxConnsPerHost",
			Python:    "threads with requests, ThreadPoolExecutor.map over URLs, asyncio with aiohttp",
			Exercise:  "fetch",
		},
		{
			Name:      "processes",
			Title:     "Start programs and worker processes: exec, pipes, gob, reaping",
			Section:   "processes",
			Primitive: "os/exec, exec.CommandContext, os.Executable, encoding/gob",
			Python:    "multiprocessing.Process, current_process, Pipe, Queue, subprocess",
			Exercise:  "processes",
		},
		{
			Name:      "processpool",
			Title:     "A pool of long-lived worker processes: patterns/processpool",
			Section:   "processes",
			Primitive: "processpool.Pool, Do, Map, Close; re-exec in worker mode",
			Python:    "multiprocessing.Pool.map, ProcessPoolExecutor",
			Exercise:  "processpool",
		},
		{
			Name:      "parallelism",
			Title:     "Concurrency is not parallelism: CPU-bound vs I/O-bound, GOMAXPROCS",
			Section:   "processes",
			Primitive: "runtime.GOMAXPROCS, runtime.NumCPU, goroutines vs processes",
			Python:    "the GIL: threads for I/O, multiprocessing for CPU",
			Exercise:  "parallelism",
		},
		{
			Name:      "integrate",
			Title:     "Parallel numerical integration: chunks, local sums, one result",
			Section:   "integrate",
			Primitive: "goroutines, per-worker partial sums, reproducible summation",
			Python:    "threading_integrate with a queue.Queue of partial sums",
			Exercise:  "integrate",
		},
		{
			Name:      "simd",
			Title:     "Several numbers per instruction: SIMD lanes, the Go answer to numpy",
			Section:   "integrate",
			Primitive: "simd/archsimd (GOEXPERIMENT=simd): Float64x4, Float64x8, MulAdd; build tags",
			Python:    "numpy vectorisation: np.sum(f(np.arange(...)))",
			Exercise:  "simd",
		},
		{
			Name:      "concurrently",
			Title:     "Run calls at once, results by name: patterns/concurrently",
			Section:   "patterns",
			Primitive: "concurrently.Run, Sequentially, Catch, FailFast",
			Python:    "labbench concurrently, sequentially, Call, ConcurrentException",
			Exercise:  "concurrently",
		},
		{
			Name:      "futures",
			Title:     "Executors and futures: patterns/futures",
			Section:   "patterns",
			Primitive: "futures.Executor, Submit, Future, Map, Wait, AsCompleted",
			Python:    "concurrent.futures: ThreadPoolExecutor, submit, Future, map",
			Exercise:  "futures",
		},
		{
			Name:      "taskqueue",
			Title:     "A task queue across machines: NATS JetStream, what Celery and RQ do",
			Section:   "machines",
			Primitive: "embedded nats-server; jetstream work-queue stream, pull consumer, Ack/Nak/InProgress/Term, KeyValue",
			Python:    "Celery with RabbitMQ (@app.task, acks_late), RQ with Redis (Queue.enqueue, Worker)",
			Exercise:  "taskqueue",
		},
	}
}

// Lookup returns the lesson with the given name.
func Lookup(name string) (Lesson, bool) {
	i := slices.IndexFunc(Lessons(), func(l Lesson) bool { return l.Name == name })
	if i < 0 {
		return Lesson{}, false
	}
	return Lessons()[i], true
}

// Exercises returns the names of every exercise, in reading order.
func Exercises() []string {
	var names []string
	for _, l := range Lessons() {
		if l.Exercise != "" {
			names = append(names, l.Exercise)
		}
	}
	return names
}

// LessonNames returns the names of every lesson, in reading order.
func LessonNames() []string {
	var names []string
	for _, l := range Lessons() {
		names = append(names, l.Name)
	}
	return names
}

// UnknownError reports a name that is not in the catalog.
type UnknownError struct {
	Kind    string // "lesson" or "exercise"
	Name    string
	Closest string // the nearest valid name, or ""
}

func (e *UnknownError) Error() string {
	if e.Closest == "" {
		return fmt.Sprintf("unknown %s %q (see: workbook list)", e.Kind, e.Name)
	}
	return fmt.Sprintf("unknown %s %q; did you mean %q?", e.Kind, e.Name, e.Closest)
}

// FindLesson returns the named lesson, or an *UnknownError naming the
// closest lesson.
func FindLesson(name string) (Lesson, error) {
	if l, ok := Lookup(name); ok {
		return l, nil
	}
	return Lesson{}, &UnknownError{"lesson", name, suggest.Closest(name, LessonNames())}
}

// FindExercise returns the lesson that owns the named exercise, or an
// *UnknownError naming the closest exercise.
func FindExercise(name string) (Lesson, error) {
	for _, l := range Lessons() {
		if l.Exercise != "" && l.Exercise == name {
			return l, nil
		}
	}
	return Lesson{}, &UnknownError{"exercise", name, suggest.Closest(name, Exercises())}
}
