// The benchreport command regenerates docs/benchmarks.md, the one page
// that holds the workbook's measured figures, from fresh runs on the
// machine it runs on. `make report` runs it.
//
// Usage, from the module root:
//
//	go run ./internal/cmd/benchreport [-count 3] [-benchtime 200ms] [-o docs/benchmarks.md] [-only dir,...]
//
// It finds every package under lessons/, patterns/ and integrate/ that has
// benchmarks, runs them with go test -bench (one package at a time, so
// that they do not compete for the cores), and writes a table per package:
// the median of -count runs of each benchmark, with the range of ns/op.
// It also runs the integrate command at N = 10^8 (the speedup table and
// chart that integrate/README.md quotes) and measures the accuracy of
// naive and block summation for the integrate README's accuracy table.
// Every table says the command that reproduces it; the page's header says
// the date, the machine and the Go version.
//
// Run it on a quiet machine: other load on the cores shows up as noise,
// and as missing speedup in anything parallel.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stderr, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, progress io.Writer, args []string) error {
	fset := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	count := fset.Int("count", 3, "runs of each benchmark (go test -count); the report gives the median")
	benchtime := fset.Duration("benchtime", 200*time.Millisecond, "go test -benchtime for each run")
	out := fset.String("o", filepath.Join("docs", "benchmarks.md"), "the page to write")
	only := fset.String("only", "", "comma-separated package directories to run (default: all); the others are left out of the page")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fset.Args())
	}
	if *count < 1 {
		return fmt.Errorf("-count must be at least 1, got %d", *count)
	}
	if *benchtime <= 0 {
		return fmt.Errorf("-benchtime must be positive, got %v", *benchtime)
	}

	dirs, err := benchDirs(".")
	if err != nil {
		return err
	}
	if *only != "" {
		want := strings.Split(*only, ",")
		for _, d := range want {
			if !slices.Contains(dirs, d) {
				return fmt.Errorf("-only: %s has no benchmarks; those with benchmarks are %s", d, strings.Join(dirs, ", "))
			}
		}
		dirs = want
	}

	var page bytes.Buffer
	writeHeader(&page, machine(ctx), *count, *benchtime)
	for _, d := range dirs {
		fmt.Fprintf(progress, "benchmarking ./%s ...\n", d)
		cmdline := []string{"go", "test", "-run", "^$", "-bench", ".", "-benchtime", benchtime.String(), "-count", fmt.Sprint(*count), "./" + d}
		outp, err := goCommand(ctx, cmdline[1:]...)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(cmdline, " "), err, outp)
		}
		results, err := parseBench(bytes.NewReader(outp))
		if err != nil {
			return err
		}
		if len(results) == 0 {
			return fmt.Errorf("%s printed no benchmark results:\n%s", strings.Join(cmdline, " "), outp)
		}
		writeTable(&page, d, strings.Join(cmdline, " "), summarize(results))
	}
	if *only == "" || slices.Contains(dirs, "integrate") {
		fmt.Fprintln(progress, "running the integrate command at N = 10^8 ...")
		if err := writeIntegrateRun(ctx, &page); err != nil {
			return err
		}
		fmt.Fprintln(progress, "measuring summation accuracy ...")
		if err := writeAccuracy(ctx, &page); err != nil {
			return err
		}
	}
	if err := os.WriteFile(*out, page.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(progress, "wrote %s\n", *out)
	return nil
}

// benchDirs returns the slash-separated directories under lessons/,
// patterns/ and integrate/ (relative to root) whose test files declare a
// benchmark, sorted.
func benchDirs(root string) ([]string, error) {
	found := map[string]bool{}
	for _, top := range []string{"lessons", "patterns", "integrate"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), "_") || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte("\nfunc Benchmark")) {
				rel, _ := filepath.Rel(root, filepath.Dir(p))
				found[filepath.ToSlash(rel)] = true
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	dirs := make([]string, 0, len(found))
	for d := range found {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs, nil
}

// goCommand runs the go command with args and returns what it printed.
func goCommand(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}

// facts describe the machine the figures come from.
type facts struct {
	date, cpu, goVersion, platform string
	cpus                           int
}

func machine(ctx context.Context) facts {
	f := facts{
		date:      time.Now().UTC().Format("2006-01-02"),
		cpu:       "unknown CPU",
		goVersion: runtime.Version(),
		platform:  runtime.GOOS + "/" + runtime.GOARCH,
		cpus:      runtime.NumCPU(),
	}
	if out, err := goCommand(ctx, "env", "GOVERSION"); err == nil {
		f.goVersion = strings.TrimSpace(string(out))
	}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(data)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				f.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	return f
}
