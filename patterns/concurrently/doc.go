// Package concurrently runs several calls at once and returns their
// results keyed by name, with one error policy for all of them.
//
//	results, err := concurrently.Run(ctx, map[string]func(context.Context) (float64, error){
//		"power": meter.Read,
//		"freq":  counter.Read,
//	})
//
// [Run] starts every call in its own goroutine and waits for all of them;
// [Sequentially] takes the same map and calls one at a time, in the sorted
// order of the names, stopping at the first error. Both return a map from
// each call's name to its result.
//
// # Sequentially, in a package named concurrently
//
// Sequentially is the one function here that does not run calls at once,
// and it is here on purpose. It is labbench's sequentially, which sits
// beside concurrently in the same Python module, and it is Run's serial
// twin: the same map of calls in, the same map of results out, the same
// [CallError], [ConcurrentError] and [PanicError], the same [Catch]. So
// changing one word at a call site, concurrently.Run to
// concurrently.Sequentially, takes the concurrency out (to debug, to
// measure the serial baseline, or for instruments that must not be driven
// at the same time) and changes nothing else. Read it as "the calls of
// package concurrently, made sequentially". We kept the name rather than
// add a function with another one (InOrder, say): in this package any
// name for a serial call contradicts the package's name just as much, and
// a second name would only break the one-to-one mapping with labbench
// that Python readers look for. A package of its own would have to
// declare the error types again, or import them from here.
//
// # Errors
//
// The error policy is the same for both functions, and for any number of
// calls:
//
//   - If no call fails, the error is nil and the map holds every result.
//   - If exactly one call fails, the error is a *[CallError] that names it
//     and wraps its error, so [errors.Is] and [errors.As] reach the
//     original.
//   - If several fail, the error is a *[ConcurrentError] that lists every
//     failure as a *[CallError], sorted by name; errors.Is and errors.As
//     look at each of them.
//   - A call that panics fails with a *[PanicError] that holds the panic's
//     value and the stack of the goroutine that panicked, wrapped in the
//     call's *CallError ("name: concurrently: panic: <value>"). The other
//     calls are unaffected. PanicError has the workbook's one panic-error
//     shape (Value, Stack, and Unwrap to the value when it is an error),
//     described in full in docs/concepts.md.
//   - Without the [Catch] option the map is nil whenever any call failed;
//     with Catch it holds the results of the calls that succeeded.
//
// Without the [FailFast] option every call runs to completion, whatever
// the others do. With it, the first failure cancels the context the other
// calls were given, and a call that then returns [context.Canceled] is
// taken as stopped, not failed: it is in neither the results nor the
// error.
//
// # Why the options are functions
//
// Catch and FailFast are two on/off switches, and they are functional
// options ([Option]) rather than the fields of an options struct because
// of what the call sites read. Most calls take neither, and stay
// concurrently.Run(ctx, calls): a struct parameter would add a nil or an
// empty Options{} to every one of them, and a variadic ...Options would
// accept two structs and have to decide which wins. A call that takes one
// names it, concurrently.Run(ctx, calls, concurrently.Catch()), with its
// contract in its own doc comment. What they cost is known and small: an
// Option cannot be printed or compared, and Sequentially accepts FailFast,
// which changes nothing there (a struct field would be accepted too). If
// a setting ever needs a value rather than a switch, or callers need to
// build options up and pass them around, a struct wins, and we will
// switch.
//
// # When to use
//
// Use this package for a handful of independent, I/O-bound calls whose
// results you want by name: reading several instruments, querying several
// services, loading several files. The calls are known up front, each
// returns one value of the same type, and you want every failure reported,
// not only the first.
//
// For a stream of jobs, or many thousands of them, use a bounded worker
// pool; for calls of different result types, or when the first error must
// win and the rest do not matter, use [golang.org/x/sync/errgroup]
// directly.
//
// # Pitfalls
//
//   - Run starts one goroutine per call and bounds nothing: a map of ten
//     thousand calls starts ten thousand goroutines at once.
//   - Cancellation only asks. A call that ignores its ctx keeps Run waiting
//     until it returns, with or without FailFast.
//   - Run does not watch ctx itself. If ctx is done, every call is still
//     started and given it; a call that returns ctx.Err() fails like any
//     other.
//   - A recovered panic is still a bug. The state the call touched may be
//     half-updated; treat a *PanicError as a bug to fix, not a failure to
//     retry.
//   - The calls share whatever their closures capture. Run guards only its
//     own bookkeeping; a variable two calls write needs its own lock.
package concurrently
