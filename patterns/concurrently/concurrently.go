package concurrently

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// An Option changes how [Run] and [Sequentially] treat failures.
type Option func(*config)

// config holds the options of one Run or Sequentially call.
type config struct {
	catch    bool // return the successful results alongside the error
	failFast bool // the first failure cancels the other calls' ctx
}

// Catch makes [Run] and [Sequentially] return the results of the calls
// that succeeded even when some failed. The map then has no key for a
// call that failed (or, in Sequentially, was never called), and the error
// still reports every failure. Without Catch, the map is nil whenever the
// error is not.
func Catch() Option { return func(c *config) { c.catch = true } }

// FailFast makes the first failure in [Run] cancel the context passed to
// the other calls, with the failure's *[CallError] as the context's
// cause ([context.Cause]). Run still waits for every call to return.
//
// A call that returns an error matching [context.Canceled] after FailFast
// has cancelled its context is taken to have been stopped, not to have
// failed on its own: it has no result, and it is left out of the error,
// which reports only the failures. Without FailFast, every call runs to
// completion.
//
// Sequentially always stops at the first failure; FailFast changes
// nothing there.
func FailFast() Option { return func(c *config) { c.failFast = true } }

// A CallError is the failure of one named call: the error it returned, or
// a *[PanicError] if it panicked.
type CallError struct {
	Name string // the call's key in the map given to Run or Sequentially
	Err  error  // what the call returned, never nil
}

// Error returns the call's name and its error: "name: error".
func (e *CallError) Error() string { return e.Name + ": " + e.Err.Error() }

// Unwrap returns the call's error, so that [errors.Is] and [errors.As]
// reach it.
func (e *CallError) Unwrap() error { return e.Err }

// A ConcurrentError reports that several calls failed. Its Failures are
// sorted by Name, one per failed call; it is never made with fewer than
// two.
type ConcurrentError struct {
	Failures []*CallError
}

// Error returns the number of failures and each failure, in name order:
// "2 calls failed: a: error; b: error".
func (e *ConcurrentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls failed", len(e.Failures))
	for i, f := range e.Failures {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// Unwrap returns every failure, so that [errors.Is] and [errors.As] look
// at each call's error in turn.
func (e *ConcurrentError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f
	}
	return errs
}

// A PanicError is what a call's panic becomes: the value it panicked with
// and the stack of its goroutine at the panic, as [debug.Stack] formats
// it, which names the function that panicked. Run and Sequentially wrap it
// in the call's *[CallError], so its message reads
// "name: concurrently: panic: <value>".
//
// It has the workbook's one panic-error shape, shared with
// futures.PanicError and described in docs/concepts.md ("A panic turned
// into an error"): Value and Stack, an Error method that reads
// "concurrently: panic: <value>", and an Unwrap method that returns Value
// when it is an error, so that [errors.Is] and [errors.As] reach a runtime
// error or an error the call panicked with.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

// Error returns "concurrently: panic: " and the panic's value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("concurrently: panic: %v", e.Value)
}

// Unwrap returns the panic's value if it is an error (as a runtime error
// is), and nil otherwise.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Run calls every function in calls, each in its own goroutine, all at
// once, and blocks until every one of them has returned. Each is given a
// context derived from ctx. Run returns a map from each call's name to
// its result, and an error that follows the package's policy: nil if no
// call failed, the *[CallError] of the only call that failed, or a
// *[ConcurrentError] listing every failure in name order. Without
// [Catch], the map is nil whenever the error is not.
//
// A call that panics fails with a *[PanicError]; the other calls are
// unaffected. With [FailFast], the first failure cancels the context the
// other calls were given; without it, every call runs to completion.
//
// Every goroutine Run starts has returned when Run returns, and each
// call's return synchronizes before Run's return (see
// https://go.dev/ref/mem), so the caller may read whatever the calls
// wrote. Run does not watch ctx itself; see the package's Pitfalls. The
// context given to the calls is cancelled when Run returns. An empty calls
// gives an empty map and a nil error. Run panics if a function in calls is
// nil.
func Run[T any](ctx context.Context, calls map[string]func(context.Context) (T, error), opts ...Option) (map[string]T, error) {
	cfg := configure(opts)
	names := sortedNames(calls)

	// Each goroutine writes only its own slot, outcomes[i], so the slots
	// need no lock; wg.Wait makes every write visible to us. A map
	// written by all of them would need a mutex.
	outcomes := make([]outcome[T], len(names))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			o := &outcomes[i]
			o.value, o.err = call(ctx, name, calls[name])
			if o.err != nil && cfg.failFast {
				// Only the first cause counts; later calls are no-ops.
				cancel(o.err)
			}
		})
	}
	wg.Wait()

	var failures []*CallError
	for i := range outcomes {
		o := &outcomes[i]
		if o.err != nil && !(cfg.failFast && stoppedByFailFast(ctx, o.err)) {
			failures = append(failures, o.err)
		}
	}
	return results(cfg, names, outcomes, failures)
}

// Sequentially calls the functions in calls one at a time, in the sorted
// order of their names, each in the calling goroutine, and returns the
// same map as [Run]. It is Run's serial twin, labbench's sequentially;
// the package doc says why it lives in a package named concurrently. It stops at the first call that fails, and calls none
// after it; the error is that call's *[CallError] (a call that panics
// fails with a *[PanicError]). With [Catch], the map holds the results of
// the calls made before the failure.
//
// Before each call Sequentially checks ctx: if ctx is done it calls no
// more and returns context.Cause(ctx), unwrapped, with the results so far
// under Catch and a nil map without it. [FailFast] changes nothing.
// Sequentially panics if a function in calls is nil.
func Sequentially[T any](ctx context.Context, calls map[string]func(context.Context) (T, error), opts ...Option) (map[string]T, error) {
	cfg := configure(opts)
	names := sortedNames(calls)
	out := make(map[string]T, len(names))
	fail := func(err error) (map[string]T, error) {
		if cfg.catch {
			return out, err
		}
		return nil, err
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return fail(context.Cause(ctx))
		}
		v, err := call(ctx, name, calls[name])
		if err != nil {
			return fail(err)
		}
		out[name] = v
	}
	return out, nil
}

// An outcome is what one call of Run produced.
type outcome[T any] struct {
	value T
	err   *CallError // nil if the call succeeded
}

// configure applies opts to a zero config.
func configure(opts []Option) config {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// sortedNames returns the keys of calls in sorted order, and panics if a
// function is nil: it is a bug in the caller, better found before any
// call starts than as a failure of one of them.
func sortedNames[T any](calls map[string]func(context.Context) (T, error)) []string {
	names := make([]string, 0, len(calls))
	for name, f := range calls {
		if f == nil {
			panic(fmt.Sprintf("concurrently: call %q is nil", name))
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// call calls f and names its error. It turns a panic into a *PanicError:
// we recover in the goroutine that panicked, the only place a panic can be
// recovered, and take the stack there, while it still shows the frames
// that panicked.
func call[T any](ctx context.Context, name string, f func(context.Context) (T, error)) (v T, cerr *CallError) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, cerr = zero, &CallError{Name: name, Err: &PanicError{Value: r, Stack: debug.Stack()}}
		}
	}()
	v, err := f(ctx)
	if err != nil {
		var zero T
		return zero, &CallError{Name: name, Err: err}
	}
	return v, nil
}

// stoppedByFailFast reports whether err is a call's answer to FailFast's
// cancel rather than a failure of its own: it matches context.Canceled,
// the ctx Run gave the calls was cancelled by a failure (its cause is a
// *CallError, where a cancel of the caller's ctx would have left the
// caller's cause), and err is not that failure itself.
func stoppedByFailFast(ctx context.Context, err *CallError) bool {
	var cause *CallError
	return errors.Is(err, context.Canceled) &&
		errors.As(context.Cause(ctx), &cause) && cause != err
}

// results builds Run's return values from the outcomes and the failures,
// which are in name order because the outcomes are.
func results[T any](cfg config, names []string, outcomes []outcome[T], failures []*CallError) (map[string]T, error) {
	var err error
	switch len(failures) {
	case 0:
	case 1:
		err = failures[0]
	default:
		err = &ConcurrentError{Failures: failures}
	}
	if err != nil && !cfg.catch {
		return nil, err
	}
	out := make(map[string]T, len(names))
	for i, name := range names {
		if outcomes[i].err == nil {
			out[name] = outcomes[i].value
		}
	}
	return out, err
}
