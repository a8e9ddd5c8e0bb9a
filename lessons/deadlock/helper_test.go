package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
)

// helperEnv, set to 1 in a child's environment, makes the test binary run
// the lesson's main instead of its tests: the helper-process idiom of
// os/exec's own tests. The tests in hang_unix_test.go use it to run the
// -hang modes, which never return.
const helperEnv = "DEADLOCK_LESSON_RUN_MAIN"

// stuckEnv, in a child's environment, says what the lesson's goroutines
// look like once they are deadlocked, as goroutine states and how many
// goroutines are in each: "sync.Mutex.Lock=2,sync.WaitGroup.Wait=1". The
// child then reports on standard output, with stuckLine, when its
// goroutines are in those states, as the goroutine dump shows them; and,
// with cancelledLine, when a Ctrl-C (SIGINT) has since cancelled main's
// ctx.
const stuckEnv = "DEADLOCK_LESSON_STUCK"

// The lines the child's watcher prints.
const (
	stuckLine     = "watcher: the goroutines are stuck"
	cancelledLine = "watcher: ctx is cancelled"
)

// runHelper runs the lesson's main in this process, with a watcher if
// stuckEnv asks for one. It never returns.
func runHelper() {
	if spec := os.Getenv(stuckEnv); spec != "" {
		want, err := parseStates(spec)
		if err != nil {
			fmt.Fprintln(os.Stderr, "deadlock test helper:", err)
			os.Exit(1)
		}
		// We register for SIGINT before main does, so that no Ctrl-C can
		// come before it is watched for. Registering is all it does: main's
		// signal.NotifyContext gets every SIGINT too.
		interrupts := make(chan os.Signal, 1)
		signal.Notify(interrupts, os.Interrupt)
		go watch(want, interrupts)
	}
	main()     // -hang never returns; anything else exits 1 on an error
	os.Exit(0) // the run ended without hanging, which the test reports
}

// watch waits until the goroutine dump shows goroutines in the states of
// want, at least as many in each as it says, and prints stuckLine. A
// deadlocked goroutine never leaves its state, so from then on the dump
// that SIGQUIT prints shows them there too. It then waits for a SIGINT,
// and until the goroutine that signal.NotifyContext started to cancel ctx
// on it has returned, and prints cancelledLine.
//
// The watcher is part of the test, not of the lesson. It is one more
// goroutine, which the lesson's deadlocks do not involve; the runtime
// would not have reported them anyway (see the lesson's README).
func watch(want map[string]int, interrupts <-chan os.Signal) {
	for !atLeast(states(goroutineDump()), want) {
		runtime.Gosched()
	}
	fmt.Println(stuckLine)

	<-interrupts
	for strings.Contains(goroutineDump(), "os/signal.NotifyContext") {
		runtime.Gosched()
	}
	fmt.Println(cancelledLine)
}

// parseStates parses a spec such as "sync.Mutex.Lock=2,chan send=1".
func parseStates(spec string) (map[string]int, error) {
	want := map[string]int{}
	for part := range strings.SplitSeq(spec, ",") {
		state, n, ok := strings.Cut(part, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 1 {
			return nil, fmt.Errorf("bad %s entry %q", stuckEnv, part)
		}
		want[state] = count
	}
	return want, nil
}

// states counts the goroutines of dump in each state: the text in
// brackets after "goroutine N", without the time it has lasted
// ("[sync.Mutex.Lock, 2 minutes]" counts as "sync.Mutex.Lock").
func states(dump string) map[string]int {
	counts := map[string]int{}
	for _, g := range goroutines(dump) {
		counts[g.state]++
	}
	return counts
}

// atLeast reports whether got has, for each state of want, at least as
// many goroutines as want says.
func atLeast(got, want map[string]int) bool {
	for state, n := range want {
		if got[state] < n {
			return false
		}
	}
	return true
}

// A goroutineStack is one goroutine of a dump.
type goroutineStack struct {
	state string // what it is doing: "running", "sync.Mutex.Lock", ...
	stack string // its header line and frames
}

// goroutines splits a dump, as runtime.Stack, a SIGQUIT or a fatal error
// prints it, into its goroutines. Other text in the dump is skipped.
func goroutines(dump string) []goroutineStack {
	var gs []goroutineStack
	for block := range strings.SplitSeq(dump, "\n\n") {
		block = strings.TrimLeft(block, "\n")
		if !strings.HasPrefix(block, "goroutine ") {
			continue
		}
		header, _, _ := strings.Cut(block, "\n")
		_, state, ok := strings.Cut(header, "[")
		if !ok {
			continue
		}
		state, _, _ = strings.Cut(state, "]")
		state, _, _ = strings.Cut(state, ",")
		gs = append(gs, goroutineStack{state: state, stack: block})
	}
	return gs
}

// goroutineDump returns the stacks of all goroutines, as runtime.Stack
// prints them.
func goroutineDump() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}
