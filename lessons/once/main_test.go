package main

// The hand-written double check (withPlainDoubleCheck) is the lesson's
// data race, and go test -race would report it and fail this package if it
// ever ran here with more than one caller. So in this process it only runs
// with -callers 1, which has nothing to race with. The run with many
// callers happens in a child process, whose race report the test reads.
//
// No test here uses synctest: a goroutine waiting inside once.Do, or for
// a mutex, is not durably blocked in a synctest bubble. Where callers must
// wait for a connect that the test holds up, the test holds it with a
// channel it closes itself, and hangcheck bounds the wait.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/concurrency-workbook/workbook/internal/lessonchild"
	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if lessonchild.IsChild() {
		main()     // exits 1 by itself on a bad flag
		os.Exit(0) // under -race, exit status 66 if a race was reported
	}
	goleak.VerifyTestMain(m)
}

// Example runs the lesson with three callers. Every line is always the
// same.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-callers", "3"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3 goroutines ask for one lazily made connection at the same time:
	//   sync.Once             connect called 1 time; every caller got conn #1
	//   sync.OnceValues       connect called 1 time; every caller got conn #1
	//   mutex, every call     connect called 1 time; every caller got conn #1
	//   atomic double check   connect called 1 time; every caller got conn #1
	//
	// sync.OnceFunc: 3 goroutines call warn, and it prints once:
	//   warning: the v1 API is deprecated
	//
	// the first connect fails, a second would succeed; 3 calls each:
	//   sync.Once             refused / refused / refused; connect called 1 time
	//   sync.OnceValues       refused / refused / refused; connect called 1 time
	//   mutex, every call     refused / conn #2 / conn #2; connect called 2 times
	//   atomic double check   refused / conn #2 / conn #2; connect called 2 times
	//
	// the first connect panics, a second would succeed; 3 calls each:
	//   sync.Once             panic / nil, nil / nil, nil; connect called 1 time
	//   sync.OnceValues       panic / same panic / same panic; connect called 1 time
	//   mutex, every call     panic / conn #2 / conn #2; connect called 2 times
	//   atomic double check   panic / conn #2 / conn #2; connect called 2 times
}

// TestOutputMatchesREADME runs the lesson with its default flags and
// checks that it prints the README's "Expected output", line for line.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, nil))
	assert.Equal(t, block, out.String())
}

// TestConcurrentFirstCallsConnectOnce checks the lesson's main claim for
// every strategy: 100 goroutines ask for the connection at once, connect
// runs exactly once, and every caller gets the connection it made, and
// sees what connect wrote into it. The test holds connect up until all
// 100 callers have reached their call, so they really do ask while it
// runs. (Whether a caller is already waiting inside get, we cannot see:
// it waits on a mutex. We can see that it is about to call.)
func TestConcurrentFirstCallsConnectOnce(t *testing.T) {
	const callers = 100
	for _, s := range strategies() {
		t.Run(s.key, func(t *testing.T) {
			var calls atomic.Int64
			connecting := make(chan struct{}) // closed by the first connect
			release := make(chan struct{})    // closed by the test: connect may return
			get := s.lazy(func() (*conn, error) {
				n := calls.Add(1)
				if n == 1 {
					close(connecting)
				}
				<-release
				return &conn{id: int(n)}, nil
			})

			conns := make([]*conn, callers)
			ids := make([]int, callers) // what each caller read in its conn
			errs := make([]error, callers)
			hangcheck.Within(t, fmt.Sprintf("%d concurrent first calls", callers), func() {
				var arrived sync.WaitGroup // Done by each caller just before it calls
				arrived.Add(callers)
				var wg sync.WaitGroup
				for i := range callers {
					wg.Go(func() {
						arrived.Done()
						conns[i], errs[i] = get()
						if conns[i] != nil {
							ids[i] = conns[i].id
						}
					})
				}
				arrived.Wait()
				<-connecting
				close(release)
				wg.Wait()
			})

			assert.Equal(t, int64(1), calls.Load(),
				"connect calls for %d concurrent first calls", callers)
			require.NotNil(t, conns[0], "caller 0 got no connection")
			for i := range callers {
				require.NoError(t, errs[i], "caller %d", i)
				require.Same(t, conns[0], conns[i],
					"callers 0 and %d got different connections", i)
				require.Equal(t, 1, ids[i], "caller %d read the wrong id", i)
			}
		})
	}
}

// TestConnectIsLazy checks that making the get function does not connect,
// that the first call does, and that later calls do not.
func TestConnectIsLazy(t *testing.T) {
	for _, s := range strategies() {
		t.Run(s.key, func(t *testing.T) {
			calls := 0
			get := s.lazy(func() (*conn, error) {
				calls++
				return &conn{id: calls}, nil
			})
			assert.Zero(t, calls, "connect ran before the first call")
			first, err := get()
			require.NoError(t, err)
			assert.Equal(t, 1, calls, "connect calls after the first call")
			second, err := get()
			require.NoError(t, err)
			assert.Same(t, first, second, "the second call got another connection")
			assert.Equal(t, 1, calls, "connect calls after the second call")
		})
	}
}

// TestFailuresAndPanics checks what each strategy does when the first
// connect fails or panics and a second would succeed: sync.Once and
// sync.OnceValues keep the first outcome for good, while the locking
// strategies try again and keep the first success.
func TestFailuresAndPanics(t *testing.T) {
	fails := func() (*conn, error) { return nil, errRefused }
	panics := func() (*conn, error) { panic(errNoRoute) }
	tests := []struct {
		key          string
		fails, panic string
	}{
		{"once",
			"refused / refused / refused; connect called 1 time",
			"panic / nil, nil / nil, nil; connect called 1 time"},
		{"oncevalues",
			"refused / refused / refused; connect called 1 time",
			"panic / same panic / same panic; connect called 1 time"},
		{"mutex",
			"refused / conn #2 / conn #2; connect called 2 times",
			"panic / conn #2 / conn #2; connect called 2 times"},
		{"atomic",
			"refused / conn #2 / conn #2; connect called 2 times",
			"panic / conn #2 / conn #2; connect called 2 times"},
	}
	require.Len(t, tests, len(strategies()), "a strategy is missing a case")
	for i, s := range strategies() {
		tt := tests[i]
		require.Equal(t, tt.key, s.key)
		t.Run(s.key, func(t *testing.T) {
			assert.Equal(t, tt.fails, threeCalls(s.lazy, fails), "first connect fails")
			assert.Equal(t, tt.panic, threeCalls(s.lazy, panics), "first connect panics")
		})
	}
}

// TestOncePanicCountsAsDone checks sync.Once's documented behaviour: if f
// panics, the panic reaches the caller of Do, Do counts f as done, and no
// later call, however many at once, calls f.
func TestOncePanicCountsAsDone(t *testing.T) {
	var once sync.Once
	var calls atomic.Int64
	f := func() {
		calls.Add(1)
		panic(errNoRoute)
	}
	assert.Same(t, errNoRoute, recovered(func() { once.Do(f) }),
		"the first Do should panic with f's value")

	const callers = 100
	panicked := make([]any, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { panicked[i] = recovered(func() { once.Do(f) }) })
	}
	wg.Wait()
	assert.Equal(t, int64(1), calls.Load(), "f calls")
	for i, p := range panicked {
		assert.Nil(t, p, "caller %d: a later Do panicked", i)
	}
}

// TestOnceFuncsPanicAgainWithTheSameValue checks the documented behaviour
// of sync.OnceFunc, OnceValue and OnceValues: if f panics, the returned
// function panics with the same value on every call, f having run once.
func TestOnceFuncsPanicAgainWithTheSameValue(t *testing.T) {
	tests := []struct {
		name string
		make func(f func()) func()
	}{
		{"OnceFunc", func(f func()) func() { return sync.OnceFunc(f) }},
		{"OnceValue", func(f func()) func() {
			g := sync.OnceValue(func() int { f(); return 1 })
			return func() { g() }
		}},
		{"OnceValues", func(f func()) func() {
			g := sync.OnceValues(func() (int, error) { f(); return 1, nil })
			return func() { _, _ = g() }
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			g := tt.make(func() {
				calls.Add(1)
				panic(errNoRoute)
			})
			assert.Same(t, errNoRoute, recovered(g), "the first call")

			const callers = 100
			panicked := make([]any, callers)
			var wg sync.WaitGroup
			for i := range callers {
				wg.Go(func() { panicked[i] = recovered(g) })
			}
			wg.Wait()
			assert.Equal(t, int64(1), calls.Load(), "f calls")
			for i, p := range panicked {
				require.Same(t, errNoRoute, p, "caller %d: a later call", i)
			}
		})
	}
}

// TestOnceFuncRunsOnce checks that 100 concurrent calls of a function
// made by sync.OnceFunc run it once, and that each returns only after it
// has returned: every caller sees its write.
func TestOnceFuncRunsOnce(t *testing.T) {
	const callers = 100
	var calls atomic.Int64
	ready := false // written by f, read by every caller after warn returns
	warn := sync.OnceFunc(func() {
		calls.Add(1)
		ready = true
	})
	saw := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			warn()
			saw[i] = ready
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), calls.Load(), "calls of f")
	assert.NotContains(t, saw, false, "a caller returned before f had")
}

// TestRaceDetectorReportsThePlainDoubleCheck checks the lesson's claim
// about the hand-written double check: built with -race and run with
// -racy, the lesson reports a data race in withPlainDoubleCheck, and in
// nothing else, finishes its run, and exits with the race detector's
// status, 66. The double check prints the right answer all the same.
func TestRaceDetectorReportsThePlainDoubleCheck(t *testing.T) {
	cmd := lessonchild.Race(t, "-racy")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run() // starts the child and waits for it to exit

	var exitErr *exec.ExitError
	require.ErrorAs(t, err, &exitErr,
		"want exit status 66 from the race detector\nstderr:\n%s", &stderr)
	assert.Equal(t, 66, exitErr.ExitCode(), "stderr:\n%s", &stderr)
	report := stderr.String()
	assert.Contains(t, report, "WARNING: DATA RACE")
	for _, race := range strings.Split(report, "WARNING: DATA RACE")[1:] {
		// The function is main.withPlainDoubleCheck.func1 in the lesson's
		// binary, and <import path>.withPlainDoubleCheck.func1 in this
		// test binary.
		assert.Contains(t, race, ".withPlainDoubleCheck.func1()",
			"a race report that is not about the plain double check:\n%s", race)
	}
	// The README quotes the report; its line numbers must be ones the
	// detector gives, or the quote has gone stale.
	inReport := map[string]bool{}
	for _, m := range regexp.MustCompile(`once/main\.go:(\d+) `).FindAllStringSubmatch(report, -1) {
		inReport[m[1]] = true
	}
	doc, err := os.ReadFile("README.md")
	require.NoError(t, err)
	quoted := regexp.MustCompile(`(?:lessons/once/main\.go:|, line )(\d+)`).
		FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, quoted, "README.md no longer quotes the report")
	for _, q := range quoted {
		assert.True(t, inReport[q[1]],
			"README.md quotes line %s, which the race report does not name", q[1])
	}

	assert.Contains(t, stdout.String(),
		"  plain double check    connect called 1 time; every caller got conn #1\n",
		"the racy double check should still print the right answer")
	assert.Contains(t, stdout.String(), "the first connect panics",
		"the detector reports races and lets the program run on to the end")
}

// TestPlainDoubleCheckWithOneCaller runs -racy in this process with one
// caller, the only way it is race-free, and checks the line it adds.
func TestPlainDoubleCheckWithOneCaller(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-racy", "-callers", "1"}))
	assert.Contains(t, out.String(),
		"  plain double check    connect called 1 time; every caller got conn #1\n"+
			"  (the plain double check is a data race all the same: try go run -race)\n")
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-callers", "0"}, "-callers must be from 1 to 10000, got 0"},
		{[]string{"-callers", "-1"}, "-callers must be from 1 to 10000, got -1"},
		{[]string{"-callers", "10001"}, "-callers must be from 1 to 10000, got 10001"},
		{[]string{"-callers", "ten"}, `invalid value "ten" for flag -callers`},
		{[]string{"-racy=maybe"}, `invalid boolean value "maybe" for -racy`},
		{[]string{"-goroutines", "4"}, "flag provided but not defined: -goroutines"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), &out, tt.args)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Empty(t, out.String(), "run printed before rejecting its flags")
		})
	}
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-callers", "-racy"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestCancelledContext checks that run stops after the part it is in once
// ctx is done (Ctrl-C), and returns ctx.Err().
func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, []string{"-callers", "2"})
	require.ErrorIs(t, err, context.Canceled)
	assert.NotContains(t, out.String(), "OnceFunc", "run went on after ctx was done")
}

// TestOnceIsUsedUpByTheFirstFunction checks the Pitfalls' claim that a
// Once runs only the first function passed to Do, whichever function a
// later call passes.
func TestOnceIsUsedUpByTheFirstFunction(t *testing.T) {
	var once sync.Once
	var ran []string
	once.Do(func() { ran = append(ran, "f") })
	once.Do(func() { ran = append(ran, "g") })
	assert.Equal(t, []string{"f"}, ran)
}
