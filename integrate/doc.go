// Package integrate computes a definite integral ∫ f(x) dx from a to b
// with N intervals in three ways that give the same answer, bit for bit:
// on one goroutine ([Serial]), across goroutines ([Goroutines]), and
// across worker processes ([Processes], or a reusable [Pool]). It is the
// workbook's measurement of what each way of running Go in parallel
// costs and gains; the command integrate/cmd/integrate prints the table.
//
//	p := integrate.Problem{F: "x2", A: 0, B: 10, N: 100_000_000}
//	v, err := integrate.Goroutines(ctx, p, runtime.GOMAXPROCS(0))
//
// # The computation
//
// A [Problem] names its integrand (see [Integrands]) or gives a Go
// function, and chooses a [Rule]: [Left] (the Python notes' rule),
// [Midpoint] (the default), [Trapezoid] or [Simpson]. The N points are
// cut into blocks of [BlockSize]; each block is summed by a kernel with
// four independent accumulators, and the block sums are added by a
// pairwise tree in block order. Workers compute whole blocks and hand
// back one sum per block; the parent adds them. The blocks and the tree
// depend only on N, so neither the mode nor the worker count can change
// a single rounding: the result depends on (integrand, a, b, N, rule)
// alone. Each point is computed from its index, x = a + (i+offset)·dx,
// never by adding dx again and again.
//
// # The SIMD build
//
// Built with GOEXPERIMENT=simd on amd64 (Go 1.26's experimental package
// simd/archsimd), the integrands made of arithmetic, square root and
// division (x2, x3, inv1px2, sqrt1mx2) are summed by a vector kernel
// instead: 32 running sums in four 8-lane registers (AVX-512) or eight
// 4-lane ones (AVX2 and FMA), chosen when the program runs, with a
// portable Go version that gives the same bits on any other CPU. Every
// mode uses it, so the modes still agree to the last bit, and the
// speedups multiply: about 10 times per core, times the cores.
// [Integrand.Kernel] names the kernel a build runs. The vector kernel's
// bits differ from the scalar kernel's in the last place or two; both
// are as close to the exact integral. The default build, and every build
// that is not amd64, keeps the scalar kernels. The package README has the
// figures, each with its build.
//
// # Chunks for other programs
//
// A program that sends the work elsewhere (the cluster command,
// integrate/cmd/cluster, sends it through a task queue to other
// machines) uses the processes mode's parts: [Split] cuts a problem into
// [Chunk] values, names and numbers only; [Chunk.Sums] computes one, in
// any process of the same build; and [Combine] adds the chunks' sums, in
// any order, with Serial's bits. Sums refuses, with a [*KernelError], a
// chunk whose kernel is not its own, and Combine a set of chunks that
// does not cover the problem's blocks exactly once.
//
// # Concurrency contract
//
// Every function here is safe to call from several goroutines at once;
// none has package state. [Serial], [Goroutines] and [Pool.Integrate]
// check their ctx between blocks (every [BlockSize] points) and return
// ctx.Err() when it is done. Goroutines returns only after every goroutine
// it started has returned. [Processes] returns only after every worker
// process it started has exited and been waited for, even on error or
// cancellation; a [Pool] owns its processes until [Pool.Close]. A worker
// that crashes is replaced and its range of blocks retried once; a range
// that fails twice ends the run with a [*ChunkError] naming it.
// [Chunk.Sums] checks its ctx between blocks too. Bad input is reported
// before any work starts, with an error that matches [ErrInvalid].
//
// # When to use
//
// Use [Goroutines] for CPU-bound work in one Go program: goroutines run in
// parallel on every core, with no interpreter lock, and share memory, so
// handing them work is cheap and they beat [Serial] on far smaller
// problems than processes do. Use processes when the work must be
// isolated (a crash must not take the parent down, or the code is not
// yours to trust) or spread beyond one program; starting a process costs
// much more than starting a goroutine, so they pay off only on large
// problems, and a [Pool] started once pays that cost once, then only a
// round trip per integral. The package README (integrate/README.md) gives
// the measured break-even points and costs, each with the command and the
// machine that produced it. In Python the choice is forced: threads
// cannot run Python code in parallel (the GIL), so CPU work needs
// multiprocessing; in Go it is a choice about isolation, not speed.
//
// # Pitfalls
//
//   - The processes mode re-executes the program itself (os.Executable) as
//     its workers. Any program that uses [Processes] or [NewPool] must call
//     [ServeWorkerIfChild] first thing in main (a test binary: in
//     TestMain), or each worker would run the whole program again: the Go
//     form of Python's if __name__ == "__main__" guard.
//   - Only registered integrands cross a process boundary: the request
//     carries a name, not code. A Go func value cannot be serialised, as
//     Python's pickle cannot send a lambda to a Pool. [Problem.Func] works
//     in the serial and goroutine modes only.
//   - A plain func costs an indirect call per point, which the compiler
//     cannot inline: it is several times slower than a registered
//     integrand's kernel (BenchmarkEval measures both; the README has the
//     figures).
//   - Adding floats in a different order gives different bits. A naive
//     parallel sum (one partial sum per worker, then the total) changes
//     with the worker count; this package never lets the worker count
//     decide the order.
//   - More workers than cores is no faster: the extra goroutines do the
//     same work, taking turns on the same cores.
//   - A result's bits depend on the build: the SIMD build sums x2, x3,
//     inv1px2 and sqrt1mx2 in another order than the default build. Compare
//     results from one build; a worker process refuses a request from a
//     parent whose kernel differs from its own.
//   - The SIMD build runs the scalar kernels (sin, exp, ...) slower than
//     the default build does: in Go 1.26 the runtime's asynchronous
//     preemption leaves the wide registers' upper halves dirty, and scalar
//     floating-point code slows down after it. Keep it opt-in, and say
//     which build a figure comes from.
//
// # The Python equivalents
//
// Serial is the notes' integrate(f, a, b, N) loop, compiled instead of
// interpreted. Goroutines is their threading_integrate with a Queue of
// results, except that here the threads run in parallel.
// Processes is multiprocessing.Pool(n).map over chunks of the interval,
// with workers started once per run. integrate/python/ has the Python
// versions, and the package README compares them on the same machine.
package integrate
