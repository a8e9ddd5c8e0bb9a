// The once command shows how to make something lazily, exactly once,
// however many goroutines ask for it at the same time: sync.Once,
// sync.OnceFunc and sync.OnceValues, what each does when the initialiser
// fails or panics, how to retry until it succeeds, and why the
// double-checked locking people write by hand is a data race in Go.
//
// Ten goroutines ask at the same moment for a connection that does not
// exist yet. Each correct way of making it lazily connects once, and all
// ten callers get the same connection.
//
// Usage:
//
//	go run ./lessons/once [-callers n] [-racy]
//	go run -race ./lessons/once -racy
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "once:", err)
		os.Exit(1)
	}
}

// A conn is a simulated connection: the expensive thing we make lazily.
// Its id numbers the connections made by one connect function, so conn #2
// means that connect ran twice.
type conn struct {
	id int
}

// errRefused is what a connect that fails returns.
var errRefused = errors.New("connect: connection refused")

// errNoRoute is what a connect that panics panics with.
var errNoRoute = errors.New("connect: no route to host")

// A lazyFunc wraps connect in a get function that calls connect on its
// first call, not before, and returns the connection it made to every
// later call. get is safe for concurrent use.
type lazyFunc func(connect func() (*conn, error)) (get func() (*conn, error))

// A strategy is one way to connect lazily.
type strategy struct {
	name string   // as the lesson prints it
	key  string   // as tests and benchmarks name it
	lazy lazyFunc // makes the get function
}

// strategies returns the correct ways to connect lazily, in the order the
// lesson shows them.
func strategies() []strategy {
	return []strategy{
		{"sync.Once", "once", withOnce},
		{"sync.OnceValues", "oncevalues", withOnceValues},
		{"mutex, every call", "mutex", withMutex},
		{"atomic double check", "atomic", withAtomic},
	}
}

// run shows the strategies under concurrent first calls, then sync.OnceFunc,
// then what each strategy does when connect fails and when it panics. It
// checks ctx between the parts and returns ctx.Err() if it is done. Every
// goroutine it starts has returned when it returns.
func run(ctx context.Context, w io.Writer, args []string) error {
	cfg, err := parseFlags(w, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil // the usage is printed; there is nothing else to do
	}
	if err != nil {
		return err
	}

	// We let cfg.callers goroutines ask each strategy for the connection
	// at the same moment, and count how many times it connected. Only one
	// goroutine may connect; the others must wait for it, and then get the
	// connection it made.
	shown := strategies()
	if cfg.racy {
		// The hand-written double check is a data race, on purpose: we
		// run it only when asked to.
		shown = append(shown, strategy{
			"plain double check", "plain", withPlainDoubleCheck})
	}
	fmt.Fprintf(w, "%d goroutines ask for one lazily made connection"+
		" at the same time:\n", cfg.callers)
	for _, s := range shown {
		calls, conns, errs := askAtOnce(cfg.callers, s.lazy)
		fmt.Fprintf(w, "  %-21s connect called %s; %s\n",
			s.name, times(calls), describeAll(conns, errs))
	}
	if cfg.racy {
		fmt.Fprintln(w, "  (the plain double check is a data race all the same:"+
			" try go run -race)")
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// sync.OnceFunc wraps a function with no results: the returned
	// function calls it the first time and does nothing after that, though
	// no call returns before that first one has finished. We call it from
	// every goroutine at once, and it prints one warning.
	fmt.Fprintf(w, "\nsync.OnceFunc: %d goroutines call warn,"+
		" and it prints once:\n", cfg.callers)
	logger := log.New(w, "", 0)
	warn := sync.OnceFunc(func() {
		logger.Print("  warning: the v1 API is deprecated")
	})
	var wg sync.WaitGroup
	for range cfg.callers {
		wg.Go(warn)
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	// We make the first connect fail and let later ones succeed, as when
	// the server is still starting. Note that sync.Once and
	// sync.OnceValues remember the error like any other result: they never
	// call connect again, so the connection never comes. The two locking
	// strategies keep no connection after a failure, so the next call
	// connects again.
	fmt.Fprintln(w, "\nthe first connect fails, a second would succeed;"+
		" 3 calls each:")
	for _, s := range strategies() {
		fmt.Fprintf(w, "  %-21s %s\n", s.name, threeCalls(s.lazy,
			func() (*conn, error) { return nil, errRefused }))
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// We make the first connect panic instead. sync.Once counts a call
	// that panicked as done: later calls of Do return at once and leave
	// the connection nil, with no error to say so. sync.OnceValues (like
	// OnceFunc and OnceValue) panics again, with the same value, on every
	// call. The locking strategies unlock with defer, so a panic releases
	// the lock, and the next call connects again.
	fmt.Fprintln(w, "\nthe first connect panics, a second would succeed;"+
		" 3 calls each:")
	for _, s := range strategies() {
		fmt.Fprintf(w, "  %-21s %s\n", s.name, threeCalls(s.lazy,
			func() (*conn, error) { panic(errNoRoute) }))
	}
	return nil
}

// withOnce connects with a sync.Once. The function passed to Do writes c
// and err, and every caller reads them after Do returns, with no lock.
// That is safe because the return of the one call of f synchronizes
// before the return of every call of once.Do(f) (see
// https://go.dev/ref/mem): no call of Do returns before f has returned,
// and what f wrote is visible to every caller.
func withOnce(connect func() (*conn, error)) func() (*conn, error) {
	var (
		once sync.Once
		c    *conn // written once, inside once.Do
		err  error // likewise
	)
	return func() (*conn, error) {
		once.Do(func() { c, err = connect() })
		return c, err
	}
}

// withOnceValues connects with sync.OnceValues, which is withOnce written
// for us: it calls connect once and returns its two results to every call.
func withOnceValues(connect func() (*conn, error)) func() (*conn, error) {
	return sync.OnceValues(connect)
}

// withMutex takes a lock on every call and connects if there is no
// connection yet: the plainest correct way, and the one to use when a
// failed connect should be tried again. A failure leaves c nil, so the
// next call connects again; a success is kept for good.
func withMutex(connect func() (*conn, error)) func() (*conn, error) {
	var (
		mu sync.Mutex // guards c
		c  *conn
	)
	return func() (*conn, error) {
		mu.Lock()
		defer mu.Unlock() // also on a panic in connect
		if c == nil {
			made, err := connect()
			if err != nil {
				return nil, err // c stays nil: the next call tries again
			}
			c = made
		}
		return c, nil
	}
}

// withAtomic is double-checked locking done right: a lock-free check of
// an atomic.Pointer, then, only while there is no connection, the lock
// and a second check. Like withMutex it retries after a failure; unlike
// it, callers take no lock once the connection is made.
//
// A Store to an atomic.Pointer synchronizes before a Load that sees it
// (https://go.dev/ref/mem), so a caller that loads the pointer also sees
// the conn it points to, fully made. sync.Once works the same way inside:
// an atomic.Bool, checked first, and a mutex.
func withAtomic(connect func() (*conn, error)) func() (*conn, error) {
	var (
		mu sync.Mutex           // held while connecting: one at a time
		c  atomic.Pointer[conn] // nil until connected; then never changes
	)
	return func() (*conn, error) {
		if made := c.Load(); made != nil {
			return made, nil // the fast path: connected, no lock
		}
		mu.Lock()
		defer mu.Unlock()
		if made := c.Load(); made != nil {
			return made, nil // someone connected while we waited
		}
		made, err := connect()
		if err != nil {
			return nil, err
		}
		c.Store(made)
		return made, nil
	}
}

// withPlainDoubleCheck is the double-checked locking people write by hand:
// it checks a plain pointer without the lock, and takes the lock only to
// connect. It returns the right connection, and it is a data race: the
// check reads c while another goroutine may be writing it, and nothing
// orders that read after the write, so a reader that sees c non-nil is not
// even promised to see what the conn holds
// (docs/concepts.md, "The memory model in one page"). The lesson runs it
// only with -racy.
func withPlainDoubleCheck(connect func() (*conn, error)) func() (*conn, error) {
	var (
		mu sync.Mutex // guards c, but the first check skips it
		c  *conn
	)
	return func() (*conn, error) {
		if c != nil { // the data race: an unguarded read of c
			return c, nil
		}
		mu.Lock()
		defer mu.Unlock()
		if c == nil {
			made, err := connect()
			if err != nil {
				return nil, err
			}
			c = made
		}
		return c, nil
	}
}

// askAtOnce starts callers goroutines that all ask one get function, made
// by lazy, for the connection, and waits for them. It returns how many
// times connect ran, and what each caller got, by caller.
//
// The connect it passes to lazy is slow in a way that needs no clock: it
// returns only once every caller has reached the line just before its
// call of get. So whichever caller connects, all the others are asking,
// or about to, while it does: the worst case for a lazy initialiser.
func askAtOnce(callers int, lazy lazyFunc) (calls int, conns []*conn, errs []error) {
	// arrived is a barrier, not a join: each caller marks itself Done
	// before it asks, and connect waits for all of them. No caller blocks
	// before its Done, so connect cannot wait forever.
	var arrived sync.WaitGroup
	arrived.Add(callers)
	var made atomic.Int64 // how many times connect ran
	get := lazy(func() (*conn, error) {
		id := made.Add(1)
		arrived.Wait()
		return &conn{id: int(id)}, nil
	})

	// Each caller writes only its own elements of conns and errs; we read
	// them after wg.Wait, which every caller's writes happen before.
	conns = make([]*conn, callers)
	errs = make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			arrived.Done()
			conns[i], errs[i] = get()
		})
	}
	wg.Wait()
	return int(made.Load()), conns, errs
}

// describeAll says whether every caller got the same connection, and
// which, or how the callers' results differ.
func describeAll(conns []*conn, errs []error) string {
	if err := errors.Join(errs...); err != nil {
		return fmt.Sprintf("some callers got an error: %v", err)
	}
	distinct := map[*conn]bool{}
	for _, c := range conns {
		distinct[c] = true
	}
	if len(distinct) == 1 && conns[0] != nil {
		return fmt.Sprintf("every caller got conn #%d", conns[0].id)
	}
	return fmt.Sprintf("the callers got %d different connections",
		len(distinct))
}

// threeCalls makes a get function with lazy, from a connect whose first
// call does what first does (fail, or panic) and whose later calls
// succeed, and calls get three times, in one goroutine. It describes what
// each call returned or panicked with, separated by slashes, and how many
// times connect ran. "nil, nil" is a call that returned no connection and
// no error.
func threeCalls(lazy lazyFunc, first func() (*conn, error)) string {
	calls := 0 // one goroutine: no lock needed
	get := lazy(func() (*conn, error) {
		calls++
		if calls == 1 {
			return first()
		}
		return &conn{id: calls}, nil
	})
	var results []string
	var firstPanic any // what the first call that panicked panicked with
	for range 3 {
		var c *conn
		var err error
		p := recovered(func() { c, err = get() })
		switch {
		case p != nil && firstPanic == nil:
			firstPanic = p
			results = append(results, "panic")
		case p != nil && p == firstPanic:
			results = append(results, "same panic")
		case p != nil:
			results = append(results, fmt.Sprintf("panic: %v", p))
		case errors.Is(err, errRefused):
			results = append(results, "refused")
		case err != nil:
			results = append(results, "error: "+err.Error())
		case c == nil:
			results = append(results, "nil, nil") // no conn, and no error
		default:
			results = append(results, fmt.Sprintf("conn #%d", c.id))
		}
	}
	return fmt.Sprintf("%s; connect called %s",
		strings.Join(results, " / "), times(calls))
}

// recovered calls f and returns the value f panicked with, or nil if f
// returned normally.
func recovered(f func()) (panicked any) {
	defer func() { panicked = recover() }()
	f()
	return nil
}

// times says "1 time" or "n times".
func times(n int) string {
	if n == 1 {
		return "1 time"
	}
	return fmt.Sprintf("%d times", n)
}
