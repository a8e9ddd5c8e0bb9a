// Package report is what the integrate command (integrate/cmd/integrate)
// and the cluster command (integrate/cmd/cluster) share: the flags that
// choose the problem, the modes, the worker counts and the output; the
// measurement of a mode, best of K runs, checked to give the same bits
// every time; and the output, a table with a bar chart of speedups, or a
// JSON object per measurement, and the timelines of -timeline.
//
// Each command keeps what is its own: its modes, how it runs them, and
// the flags only it has. The package does not start processes or talk to
// any server, so neither command pays for the other's dependencies (the
// cluster command's NATS server is 25 MB).
package report

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// A Command describes a command that uses this package.
type Command struct {
	// Name is the command's name: the flag set's, and the prefix of its
	// errors and progress lines ("integrate", "cluster").
	Name string
	// Usage is the head of the usage text, before the flags: the usage
	// lines and a sentence on what the command does.
	Usage string
	// Modes are the modes -mode accepts, in the order they are measured;
	// the first is "serial", and the default is all of them.
	Modes []string
	// ModesHelp is how -list describes the modes, after "modes (-mode): ".
	ModesHelp string
}

// A Config is what the shared flags ask for.
type Config struct {
	Name    string // the command's name
	Problem integrate.Problem
	Modes   []string // each once, in the order given
	Workers []int
	Repeat  int
	JSON    bool
	List    bool
	Show    timeline.Flags // -timeline, -ascii, -width, -trace
}

// A UsageError is a bad flag or argument. Flags.Parse has printed it, with
// the usage, to stderr; a command's main exits 2 for it.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Exit ends the program as the commands do when run returns err: with
// status 2 for a UsageError, which Flags.Parse has printed with the
// usage; with status 1 for any other error, which it prints to stderr
// first. It returns if err is nil.
func Exit(err error) {
	var u UsageError
	switch {
	case errors.As(err, &u): // printed already, with the usage
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// Flags are the shared flags on a flag set, to which a command may add its
// own before Parse.
type Flags struct {
	Set *flag.FlagSet

	cmd     Command
	stderr  io.Writer
	c       Config
	n       count
	f       *string
	rule    *string
	mode    *string
	workers *string
}

// NewFlags returns cmd's flag set with the shared flags on it. Parse
// errors and the usage go to stderr.
func NewFlags(cmd Command, stderr io.Writer) *Flags {
	fs := flag.NewFlagSet(cmd.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &Flags{Set: fs, cmd: cmd, stderr: stderr, n: count(100_000_000)}
	f.c.Name = cmd.Name
	f.f = fs.String("f", "x2", "the integrand, by name (see -list)")
	fs.Float64Var(&f.c.Problem.A, "a", 0, "the lower bound")
	fs.Float64Var(&f.c.Problem.B, "b", 10, "the upper bound")
	fs.Var(&f.n, "n", "the number of intervals (1e8 and 100000000 both work)")
	f.rule = fs.String("rule", "midpoint", "the rule: left, midpoint, trapezoid or simpson")
	f.mode = fs.String("mode", strings.Join(cmd.Modes, ","), "the modes to measure, comma-separated")
	f.workers = fs.String("workers", "1,2,4,8", "the worker counts to measure, comma-separated")
	fs.IntVar(&f.c.Repeat, "repeat", 1, "run each measurement `K` times and report the best")
	fs.BoolVar(&f.c.JSON, "json", false, "print one JSON object per measurement instead of the table")
	fs.BoolVar(&f.c.List, "list", false, "list the integrands and rules, then exit")
	f.c.Show.Register(fs)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s\n\nflags:\n", strings.TrimRight(cmd.Usage, "\n"))
		fs.PrintDefaults()
	}
	return f
}

// Parse parses args and checks every shared flag, then calls check, if
// not nil, for the command's own flags. A bad flag, or an error from
// check, is printed to stderr with the usage and returned as a
// UsageError; -h returns flag.ErrHelp after printing the usage.
func (f *Flags) Parse(args []string, check func(Config) error) (Config, error) {
	fs, c := f.Set, &f.c
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return *c, err
		}
		return *c, UsageError{err}
	}
	bad := func(err error) (Config, error) {
		fmt.Fprintln(f.stderr, err)
		fs.Usage()
		return *c, UsageError{err}
	}
	name := f.cmd.Name
	if fs.NArg() > 0 {
		return bad(fmt.Errorf("%s: unexpected argument %q", name, fs.Arg(0)))
	}
	c.Problem.F, c.Problem.N = *f.f, int64(f.n)
	if _, err := integrate.Lookup(*f.f); err != nil {
		return bad(fmt.Errorf("-f: %w", err))
	}
	r, err := integrate.ParseRule(*f.rule)
	if err != nil {
		return bad(fmt.Errorf("-rule: %w", err))
	}
	c.Problem.Rule = r
	c.Modes = nil
	for m := range strings.SplitSeq(*f.mode, ",") {
		if !slices.Contains(f.cmd.Modes, m) {
			return bad(fmt.Errorf("%s: -mode: unknown mode %q (modes: %s)", name, m, strings.Join(f.cmd.Modes, ", ")))
		}
		if !slices.Contains(c.Modes, m) {
			c.Modes = append(c.Modes, m)
		}
	}
	c.Workers = nil
	for w := range strings.SplitSeq(*f.workers, ",") {
		v, err := strconv.Atoi(w)
		if err != nil || v < 1 {
			return bad(fmt.Errorf("%s: -workers: %q is not a worker count of at least 1", name, w))
		}
		c.Workers = append(c.Workers, v)
	}
	if c.Repeat < 1 {
		return bad(fmt.Errorf("%s: -repeat %d: need at least 1", name, c.Repeat))
	}
	if err := c.Show.Check(); err != nil {
		return bad(fmt.Errorf("%s: %w", name, err))
	}
	if c.Show.Timeline && c.JSON {
		return bad(fmt.Errorf("%s: -timeline draws charts, which -json output cannot hold; use one or the other", name))
	}
	if !c.List {
		if err := c.Problem.Check(); err != nil {
			return bad(err)
		}
	}
	if check != nil {
		if err := check(*c); err != nil {
			return bad(err)
		}
	}
	return *c, nil
}

// count is a flag.Value for a number of points: an integer, or a float
// such as 1e8 that is a whole number.
type count int64

func (c *count) String() string { return strconv.FormatInt(int64(*c), 10) }

func (c *count) Set(s string) error {
	if v, err := strconv.ParseInt(s, 0, 64); err == nil {
		*c = count(v)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || math.Abs(v) > 1<<62 {
		return fmt.Errorf("%q is not a whole number", s)
	}
	*c = count(v)
	return nil
}

// A Measurement is one row of the table, or one JSON line.
type Measurement struct {
	Mode string `json:"mode"`
	// Pool is set for the modes that start workers: "cold" if each run
	// started and stopped its workers, "warm" if every run used workers
	// started once, before the runs.
	Pool       string   `json:"pool,omitempty"`
	Workers    int      `json:"workers"`
	F          string   `json:"f"`
	A          float64  `json:"a"`
	B          float64  `json:"b"`
	N          int64    `json:"n"`
	Rule       string   `json:"rule"`
	Kernel     string   `json:"kernel"` // the block kernel, as integrate.Integrand.Kernel names it
	Result     float64  `json:"result"`
	Exact      *float64 `json:"exact"`     // null: no closed form
	AbsError   *float64 `json:"abs_error"` // null: no closed form
	Seconds    float64  `json:"seconds"`   // the best of Repeat runs
	Speedup    float64  `json:"speedup"`   // serial's seconds / Seconds
	Efficiency float64  `json:"efficiency"`
	Repeat     int      `json:"repeat"`
	// StartupSeconds is set for the cold rows only: the time from
	// starting the workers to every one being ready to work, the best of
	// Repeat runs. It is part of Seconds.
	StartupSeconds float64 `json:"startup_seconds,omitempty"`
	// Chunks, ChunkWorkers and ChunkOverheadSeconds are set by the modes
	// that report them (the cluster command's), from the fastest run: how
	// many chunks the problem was cut into, how many workers computed
	// them (with those of other machines), and what each chunk cost on
	// top of its computing, (time × ChunkWorkers − the chunks' computing
	// time) / Chunks.
	Chunks               int     `json:"chunks,omitempty"`
	ChunkWorkers         int     `json:"chunk_workers,omitempty"`
	ChunkOverheadSeconds float64 `json:"chunk_overhead_seconds,omitempty"`

	chart *timeline.Recorder // with -timeline: the spans of the last run
}

// Label names the row in the table, the charts and the trace: the mode,
// and for a mode with workers whether they were cold or warm.
func (m Measurement) Label() string {
	if m.Pool == "" {
		return m.Mode
	}
	return fmt.Sprintf("%s (%s)", m.Mode, m.Pool)
}

// A Run is what one run of a mode reports: its result, and, for a mode
// that starts workers or cuts chunks, what they cost.
type Run struct {
	Value float64
	// Startup is how much of the run's time went to starting worker
	// processes: zero if it started none.
	Startup time.Duration
	// Chunks, ChunkWorkers and ChunkOverhead: see Measurement.
	Chunks        int
	ChunkWorkers  int
	ChunkOverhead time.Duration
}

// A Runner computes the integral once.
type Runner func(ctx context.Context) (Run, error)

// Measure calls run c.Repeat times and fills in m, which names the mode,
// pool and workers, with the fastest run's time and chunk figures, and
// the shortest start-up if run starts processes. Every run must give the
// same bits; a different result would be a bug, and Measure says so.
// progress receives a line before each run.
//
// With -timeline, the last run of every mode but serial gets a ctx that
// carries a SpanFunc (integrate.WithSpans), whose spans PrintCharts
// draws; with -trace each run is a region named after the row.
func Measure(ctx context.Context, c Config, m Measurement, progress io.Writer, run Runner) (Measurement, error) {
	p := c.Problem
	m.F, m.A, m.B, m.N, m.Rule, m.Repeat = p.F, p.A, p.B, p.N, p.Rule.String(), c.Repeat
	// Every mode runs the same kernel: the workers are this program, and
	// refuse a chunk for another kernel than theirs.
	if in, err := integrate.Lookup(p.F); err == nil {
		m.Kernel = in.Kernel()
	}
	m.Seconds = math.Inf(1)
	startup := time.Duration(math.MaxInt64)
	for i := range c.Repeat {
		fmt.Fprintf(progress, "%s: %s, %d workers, run %d of %d ...\n", c.Name, m.Label(), m.Workers, i+1, c.Repeat)
		// With -timeline, the last run reports its pieces of work to a
		// recorder of its own, which PrintCharts draws.
		runCtx := ctx
		if c.Show.Timeline && m.Mode != "serial" && i == c.Repeat-1 {
			rec := timeline.New()
			m.chart = rec
			runCtx = integrate.WithSpans(ctx, func(row, label string, start, end time.Time) {
				rec.Add(row, label, start, end)
			})
		}
		var r Run
		var err error
		start := time.Now()
		trace.WithRegion(runCtx, fmt.Sprintf("%s, %d workers", m.Label(), m.Workers), func() {
			r, err = run(runCtx)
		})
		elapsed := time.Since(start).Seconds()
		if err != nil {
			return m, fmt.Errorf("%s: %s with %d workers: %w", c.Name, m.Label(), m.Workers, err)
		}
		if i > 0 && math.Float64bits(r.Value) != math.Float64bits(m.Result) {
			return m, fmt.Errorf("%s: %s with %d workers gave %v, then %v", c.Name, m.Label(), m.Workers, m.Result, r.Value)
		}
		m.Result = r.Value
		if elapsed < m.Seconds {
			m.Seconds = elapsed
			m.Chunks, m.ChunkWorkers, m.ChunkOverheadSeconds = r.Chunks, r.ChunkWorkers, r.ChunkOverhead.Seconds()
		}
		startup = min(startup, r.Startup)
	}
	if startup > 0 {
		m.StartupSeconds = startup.Seconds()
	}
	if exact, ok := integrate.Exact(p); ok {
		e := math.Abs(m.Result - exact)
		m.Exact, m.AbsError = &exact, &e
	}
	return m, nil
}

// A Kind is a kind of row: a mode, and for a mode with workers, whether
// they are cold or warm. Measure measures it for m.Workers workers,
// usually with the package's Measure.
type Kind struct {
	Mode, Pool string
	Measure    func(ctx context.Context, m Measurement) (Measurement, error)
}

// MeasureAll measures serial, then each kind with each of c.Workers, in
// that order, and computes each row's speedup and efficiency over
// serial. The serial run is every speedup's baseline, so it is measured
// even if c.Modes leaves it out; then it is not among rows. With -json,
// MeasureAll prints each row to stdout as soon as it is measured.
func MeasureAll(ctx context.Context, c Config, stdout, progress io.Writer, kinds []Kind) (base Measurement, rows []Measurement, err error) {
	p := c.Problem
	base, err = Measure(ctx, c, Measurement{Mode: "serial", Workers: 1}, progress,
		func(ctx context.Context) (Run, error) {
			v, err := integrate.Serial(ctx, p)
			return Run{Value: v}, err
		})
	if err != nil {
		return base, nil, err
	}
	base.Speedup, base.Efficiency = 1, 1
	if slices.Contains(c.Modes, "serial") {
		rows = append(rows, base)
		if c.JSON {
			if err := PrintJSON(stdout, base); err != nil {
				return base, nil, err
			}
		}
	}
	for _, k := range kinds {
		for _, w := range c.Workers {
			m, err := k.Measure(ctx, Measurement{Mode: k.Mode, Pool: k.Pool, Workers: w})
			if err != nil {
				return base, nil, err
			}
			m.Speedup = base.Seconds / m.Seconds
			m.Efficiency = m.Speedup / float64(w)
			rows = append(rows, m)
			if c.JSON {
				if err := PrintJSON(stdout, m); err != nil {
					return base, nil, err
				}
			}
		}
	}
	return base, rows, nil
}

// PrintJSON prints m as one line of JSON.
func PrintJSON(w io.Writer, m Measurement) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// PrintTable prints the table of rows, the notes under it (each line as
// given, after an empty line), the bar chart of speedups and the machine
// line. base is the serial measurement, every speedup's baseline.
func PrintTable(w io.Writer, c Config, base Measurement, rows []Measurement, notes []string) error {
	p := c.Problem
	in, _ := integrate.Lookup(p.F)
	fmt.Fprintf(w, "∫ %s dx on [%g, %g], n = %d, %v rule", in.Formula, p.A, p.B, p.N, p.Rule)
	if base.Exact != nil {
		fmt.Fprintf(w, "; exact %.15g", *base.Exact)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "kernel: %s, in every mode\n", base.Kernel)
	if c.Repeat > 1 {
		fmt.Fprintf(w, "each time is the best of %d runs\n", c.Repeat)
	}
	if !slices.Contains(c.Modes, "serial") {
		fmt.Fprintf(w, "speedups are over serial, measured first: %s\n", Seconds(base.Seconds))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%-16s  %7s  %-18s  %9s  %9s  %9s  %7s  %10s\n",
		"mode", "workers", "result", "error", "time", "start-up", "speedup", "efficiency")
	for _, m := range rows {
		errText := "n/a"
		if m.AbsError != nil {
			errText = fmt.Sprintf("%.2g", *m.AbsError)
		}
		startup := "-"
		if m.StartupSeconds > 0 {
			startup = Seconds(m.StartupSeconds)
		}
		fmt.Fprintf(w, "%-16s  %7d  %-18.15g  %9s  %9s  %9s  %6.2fx  %9.0f%%\n",
			m.Label(), m.Workers, m.Result, errText, Seconds(m.Seconds), startup, m.Speedup, 100*m.Efficiency)
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}

	// The bar chart: 20 columns per 1x of speedup, or fewer if the
	// longest bar would pass 60 columns.
	fmt.Fprintln(w)
	fmt.Fprintln(w, "speedup over serial:")
	longest := 0.0
	for _, m := range rows {
		longest = max(longest, m.Speedup)
	}
	scale := min(20, 60/longest)
	for _, m := range rows {
		bar := strings.Repeat("█", int(math.Round(m.Speedup*scale)))
		fmt.Fprintf(w, "%-16s %2d  %s %.2fx\n", m.Label(), m.Workers, bar, m.Speedup)
	}
	fmt.Fprintln(w)
	_, err := fmt.Fprintf(w, "GOMAXPROCS=%d NumCPU=%d %s %s/%s\n",
		runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// PrintCharts draws, for each measurement that has one, the timeline of
// its last run: a row per worker, a bar per range of blocks it computed.
func PrintCharts(w io.Writer, c Config, rows []Measurement) error {
	for _, m := range rows {
		if m.chart == nil {
			continue
		}
		fmt.Fprintf(w, "\n%s, %d workers (the last of %d runs): a bar per range of blocks\n", m.Label(), m.Workers, c.Repeat)
		if err := m.chart.Render(w, timeline.Options{Width: c.Show.Width, ASCII: c.Show.ASCII}); err != nil {
			return err
		}
	}
	return nil
}

// Seconds formats a duration in seconds with a unit that keeps 3 digits.
func Seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

// List prints the integrands, the rules and the modes, for -list.
func List(w io.Writer, cmd Command) error {
	fmt.Fprintln(w, "integrands (-f):")
	for _, in := range integrate.Integrands() {
		exact := "exact integral known"
		if in.Antiderivative == nil {
			exact = "no exact integral"
		}
		domain := ""
		if !math.IsInf(in.Lo, 0) || !math.IsInf(in.Hi, 0) {
			domain = fmt.Sprintf("; defined on [%g, %g]", in.Lo, in.Hi)
		}
		fmt.Fprintf(w, "  %-9s %-26s %s%s\n", in.Name, in.Formula, exact, domain)
	}
	fmt.Fprintln(w, "rules (-rule):")
	for _, r := range integrate.Rules() {
		note := ""
		if r == integrate.Midpoint {
			note = " (default)"
		}
		if r == integrate.Simpson {
			note = " (n must be even)"
		}
		fmt.Fprintf(w, "  %s%s\n", r, note)
	}
	_, err := fmt.Fprintf(w, "modes (-mode): %s\n", cmd.ModesHelp)
	return err
}

// Progress returns stderr if it is a terminal, where progress lines help,
// and io.Discard otherwise, where they would clutter a log.
func Progress(stderr io.Writer) io.Writer {
	f, ok := stderr.(*os.File)
	if !ok {
		return io.Discard
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return io.Discard
	}
	return stderr
}
