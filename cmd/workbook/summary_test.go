package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/exercise"
	"github.com/stretchr/testify/assert"
)

// The outputs below are what "go test -json -race" printed (the text of
// its output events) for small exercises written to fail in each way, with
// the module at root.
const root = "/home/student/workbook"

const failingOutput = `=== RUN   TestAdd
    stub_test.go:7: Add(2, 3) = 0; want 5
--- FAIL: TestAdd (0.00s)
=== RUN   TestAddZero
    stub_test.go:13: a passing test's log line
--- PASS: TestAddZero (0.00s)
=== RUN   TestAddMany
    stub_test.go:18: adding many
        second line
    stub_test.go:20: Add(1, 1) = 0; want 2
--- FAIL: TestAddMany (0.00s)
FAIL
FAIL	github.com/concurrency-workbook/workbook/exercises/stub	0.012s
`

const buildOutput = `# github.com/concurrency-workbook/workbook/exercises/broken [github.com/concurrency-workbook/workbook/exercises/broken.test]
exercises/broken/broken.go:4:2: declared and not used: x
exercises/broken/broken.go:5:13: undefined: c
FAIL	github.com/concurrency-workbook/workbook/exercises/broken [build failed]
`

const raceOutput = `=== RUN   TestCount
==================
WARNING: DATA RACE
Read at 0x00c000018258 by goroutine 10:
  github.com/concurrency-workbook/workbook/exercises/racy.Count.func1()
      /home/student/workbook/exercises/racy/racy.go:11 +0x2e

Previous write at 0x00c000018258 by goroutine 13:
  github.com/concurrency-workbook/workbook/exercises/racy.Count.func1()
      /home/student/workbook/exercises/racy/racy.go:11 +0x44

Goroutine 10 (running) created at:
  sync.(*WaitGroup).Go()
      /usr/local/go/src/sync/waitgroup.go:238 +0x72
  github.com/concurrency-workbook/workbook/exercises/racy.TestCount()
      /home/student/workbook/exercises/racy/racy_test.go:6 +0x2e

Goroutine 13 (finished) created at:
  sync.(*WaitGroup).Go()
      /usr/local/go/src/sync/waitgroup.go:238 +0x72
==================
==================
WARNING: DATA RACE
Write at 0x00c000018258 by goroutine 87:
  github.com/concurrency-workbook/workbook/exercises/racy.Count.func1()
      /home/student/workbook/exercises/racy/racy.go:11 +0x44

Previous write at 0x00c000018258 by goroutine 74:
  github.com/concurrency-workbook/workbook/exercises/racy.Count.func1()
      /home/student/workbook/exercises/racy/racy.go:11 +0x44

Goroutine 87 (running) created at:
  sync.(*WaitGroup).Go()
      /usr/local/go/src/sync/waitgroup.go:238 +0x72
==================
    testing.go:1712: race detected during execution of test
--- FAIL: TestCount (0.00s)
FAIL
FAIL	github.com/concurrency-workbook/workbook/exercises/racy	0.013s
`

const timeoutOutput = `=== RUN   TestLock
panic: test timed out after 10s
	running tests:
		TestLock (10s)

goroutine 6 [running]:
testing.(*M).startAlarm.func1()
	/usr/local/go/src/testing/testing.go:2802 +0x605

goroutine 1 [chan receive]:
testing.(*T).Run(0xc000134008, {0x6457a4, 0x8}, 0x653190)
	/usr/local/go/src/testing/testing.go:2109 +0xb3e

goroutine 5 [sync.Mutex.Lock, 1 minutes]:
sync.(*Mutex).Lock(0x566a01?)
	/usr/local/go/src/sync/mutex.go:46 +0x15
github.com/concurrency-workbook/workbook/exercises/hang.Lock(0xc000018258)
	/home/student/workbook/exercises/hang/hang.go:5 +0x31
github.com/concurrency-workbook/workbook/exercises/hang.TestLock(0xc000134248?)
	/home/student/workbook/exercises/hang/hang_test.go:5 +0x45
created by testing.(*T).Run in goroutine 1
	/usr/local/go/src/testing/testing.go:2101 +0xb13
FAIL	github.com/concurrency-workbook/workbook/exercises/hang	10.014s
`

const hangcheckOutput = `=== RUN   TestInc
    mutex_test.go:40: Inc did not return within 5s: a deadlock (a lock never released?)
--- FAIL: TestInc (5.00s)
FAIL
FAIL	github.com/concurrency-workbook/workbook/exercises/mutex	5.020s
`

const leakOutput = `=== RUN   TestStart
--- PASS: TestStart (0.00s)
=== RUN   TestStartVerify
    leak_test.go:7: found unexpected goroutines:
        [Goroutine 21 in state chan receive, with github.com/concurrency-workbook/workbook/exercises/leak.Start.func1 on top of the stack:
        github.com/concurrency-workbook/workbook/exercises/leak.Start.func1()
        	/home/student/workbook/exercises/leak/leak.go:3 +0x31
        created by github.com/concurrency-workbook/workbook/exercises/leak.Start in goroutine 20
        	/home/student/workbook/exercises/leak/leak.go:3 +0x9a
         Goroutine 23 in state chan receive, with github.com/concurrency-workbook/workbook/exercises/leak.Start.func1 on top of the stack:
        github.com/concurrency-workbook/workbook/exercises/leak.Start.func1()
        	/home/student/workbook/exercises/leak/leak.go:3 +0x31
        created by github.com/concurrency-workbook/workbook/exercises/leak.Start in goroutine 22
        	/home/student/workbook/exercises/leak/leak.go:3 +0x9a
        ]
--- FAIL: TestStartVerify (0.44s)
FAIL
FAIL	github.com/concurrency-workbook/workbook/exercises/leak	0.457s
`

const mainLeakOutput = `=== RUN   TestStart
--- PASS: TestStart (0.00s)
PASS
goleak: Errors on successful test run: found unexpected goroutines:
[Goroutine 8 in state chan send, with github.com/concurrency-workbook/workbook/exercises/leak.Start.func1 on top of the stack:
github.com/concurrency-workbook/workbook/exercises/leak.Start.func1()
	/home/student/workbook/exercises/leak/leak.go:3 +0x31
created by github.com/concurrency-workbook/workbook/exercises/leak.Start in goroutine 7
	/home/student/workbook/exercises/leak/leak.go:3 +0x9a
]
FAIL	github.com/concurrency-workbook/workbook/exercises/leak	0.458s
`

const panicOutput = `=== RUN   TestGet
--- FAIL: TestGet (0.00s)
panic: assignment to entry in nil map [recovered, repanicked]

goroutine 20 [running]:
testing.tRunner.func1.2({0x618460, 0x7c32f0})
	/usr/local/go/src/testing/testing.go:1974 +0x419
panic({0x618460?, 0x7c32f0?})
	/usr/local/go/src/runtime/panic.go:860 +0x13a
github.com/concurrency-workbook/workbook/exercises/crash.Get(...)
	/home/student/workbook/exercises/crash/crash.go:3
github.com/concurrency-workbook/workbook/exercises/crash.TestGet(0xc0000da248?)
	/home/student/workbook/exercises/crash/crash_test.go:5 +0x32

goroutine 21 [chan receive]:
github.com/concurrency-workbook/workbook/exercises/crash.wait()
	/home/student/workbook/exercises/crash/crash.go:9 +0x32
FAIL	github.com/concurrency-workbook/workbook/exercises/crash	0.015s
`

const parallelOutput = `=== RUN   TestTable
=== RUN   TestTable/n
=== PAUSE TestTable/n
=== RUN   TestTable/n#01
=== PAUSE TestTable/n#01
=== CONT  TestTable/n#01
    sub_test.go:10: n = 2; want 1
--- FAIL: TestTable/n#01 (0.00s)
=== CONT  TestTable/n
    sub_test.go:12: a passing subtest's log line
--- PASS: TestTable/n (0.00s)
--- FAIL: TestTable (0.00s)
FAIL
FAIL	github.com/concurrency-workbook/workbook/exercises/sub	0.012s
`

const testifyOutput = "=== RUN   TestBalance\n" +
	"    mutex_test.go:30: \n" +
	"        \tError Trace:\t/home/student/workbook/exercises/mutex/mutex_test.go:30\n" +
	"        \t            \t/home/student/workbook/exercises/mutex/helper_test.go:12\n" +
	"        \tError:      \tNot equal: \n" +
	"        \t            \texpected: 42\n" +
	"        \t            \tactual  : 0\n" +
	"        \t            \t\n" +
	"        \t            \tDiff:\n" +
	"        \t            \t--- Expected\n" +
	"        \t            \t+++ Actual\n" +
	"        \tTest:       \tTestBalance\n" +
	"        \tMessages:   \tbalance after depositing 30 and 12\n" +
	"--- FAIL: TestBalance (0.00s)\n" +
	"FAIL\n"

func TestSummarizePass(t *testing.T) {
	r := exercise.Result{Built: true, Passed: true, Output: "=== RUN   TestAdd\n--- PASS: TestAdd (0.00s)\nPASS\n"}
	assert.Equal(t, "PASS mutex: all tests pass under the race detector\n", summarize(root, "mutex", r, true))
	assert.Equal(t, "PASS mutex: all tests pass, but unverified for data races: the race detector is not available here\n",
		summarize(root, "mutex", r, false))
}

func TestSummarizeFailure(t *testing.T) {
	tests := []struct {
		name     string
		exercise string
		result   exercise.Result
		want     []string // in this order
		notWant  []string
	}{
		{
			name:     "failing tests show their own messages",
			exercise: "stub",
			result:   exercise.Result{Built: true, Failed: []string{"TestAdd", "TestAddMany"}, Output: failingOutput},
			want: []string{
				"FAIL stub\n",
				"\n" + verdictFailed + "\n",
				"    TestAdd\n        stub_test.go:7: Add(2, 3) = 0; want 5\n",
				"    TestAddMany\n        stub_test.go:18: adding many\n            second line\n        stub_test.go:20: Add(1, 1) = 0; want 2\n",
				"\nFor everything the tests printed: go run ./cmd/workbook check -v stub\n",
			},
			notWant: []string{"passing test's log line", "TestAddZero", "=== RUN", "--- FAIL", verdictRace, verdictBuild, verdictUnknown},
		},
		{
			name:     "a build failure shows the compiler's errors",
			exercise: "broken",
			result:   exercise.Result{Output: buildOutput},
			want: []string{
				"FAIL broken\n",
				"\n" + verdictBuild + "\n",
				"    exercises/broken/broken.go:4:2: declared and not used: x\n    exercises/broken/broken.go:5:13: undefined: c\n",
			},
			notWant: []string{"# github.com", "[build failed]", verdictUnknown},
		},
		{
			name:     "a data race shows where in the exercise, and the report's start",
			exercise: "racy",
			result:   exercise.Result{Built: true, Race: true, Failed: []string{"TestCount"}, Output: raceOutput},
			want: []string{
				"\n" + verdictRace + "\n",
				"    exercises/racy/racy.go:11: read by goroutine 10\n",
				"    exercises/racy/racy.go:11: previous write by goroutine 13\n",
				"    The race detector's report begins:\n      WARNING: DATA RACE\n      Read at 0x00c000018258 by goroutine 10:\n",
				"          exercises/racy/racy.go:11 +0x2e\n",
				"      Previous write at 0x00c000018258 by goroutine 13:\n",
				"    (2 race reports in all)\n",
				"    TestCount\n        testing.go:1712: race detected during execution of test\n",
			},
			notWant: []string{"created at", "by goroutine 87", root, verdictDeadlock},
		},
		{
			name:     "a timeout names the test and where the exercise's goroutines are stuck",
			exercise: "hang",
			result:   exercise.Result{Built: true, Deadlock: true, Output: timeoutOutput},
			want: []string{
				"\n" + verdictDeadlock + "\n",
				"    panic: test timed out after 10s\n",
				"    running tests: TestLock\n",
				"    exercises/hang/hang.go:5: goroutine blocked in sync.Mutex.Lock\n",
				"\n" + verdictFailed + "\n    TestLock\n",
			},
			notWant: []string{"goroutine 6", "chan receive", verdictCrash, verdictUnknown},
		},
		{
			name:     "a hang the test caught itself shows its message",
			exercise: "mutex",
			result:   exercise.Result{Built: true, Deadlock: true, Failed: []string{"TestInc"}, Output: hangcheckOutput},
			want: []string{
				"\n" + verdictDeadlock + "\n",
				"    TestInc\n        mutex_test.go:40: Inc did not return within 5s: a deadlock (a lock never released?)\n",
			},
		},
		{
			name:     "leaked goroutines show where they are, once per place",
			exercise: "leak",
			result:   exercise.Result{Built: true, Leak: true, Failed: []string{"TestStartVerify"}, Output: leakOutput},
			want: []string{
				"\n" + verdictLeak + "\n",
				"    exercises/leak/leak.go:3: goroutine still running, blocked in chan receive (2 goroutines)\n",
				"    TestStartVerify\n        leak_test.go:7: found unexpected goroutines:\n\nFor everything",
			},
		},
		{
			name:     "goroutines leaked past the last test are reported without a failed test",
			exercise: "leak",
			result:   exercise.Result{Built: true, Leak: true, Output: mainLeakOutput},
			want: []string{
				"\n" + verdictLeak + "\n",
				"    exercises/leak/leak.go:3: goroutine still running, blocked in chan send\n",
			},
			notWant: []string{verdictFailed, verdictUnknown},
		},
		{
			name:     "a panic shows its message and where the panicking goroutine was",
			exercise: "crash",
			result:   exercise.Result{Built: true, Failed: []string{"TestGet"}, Output: panicOutput},
			want: []string{
				"\n" + verdictCrash + "\n",
				"    panic: assignment to entry in nil map\n",
				"    exercises/crash/crash.go:3: goroutine 20\n",
				"    TestGet\n",
			},
			notWant: []string{"repanicked", "crash.go:9", verdictDeadlock},
		},
		{
			name:     "parallel subtests keep their own messages",
			exercise: "sub",
			result:   exercise.Result{Built: true, Failed: []string{"TestTable/n#01", "TestTable"}, Output: parallelOutput},
			want: []string{
				"    TestTable/n#01\n        sub_test.go:10: n = 2; want 1\n    TestTable\n",
			},
			notWant: []string{"passing subtest's log line"},
		},
		{
			name:     "testify's messages keep what was expected, not where",
			exercise: "mutex",
			result:   exercise.Result{Built: true, Failed: []string{"TestBalance"}, Output: testifyOutput},
			want: []string{
				"    TestBalance\n        mutex_test.go:30:\n",
				"\tError:      \tNot equal:\n",
				"\texpected: 42\n", "\tactual  : 0\n", "\t--- Expected\n", "\t+++ Actual\n",
				"\tMessages:   \tbalance after depositing 30 and 12\n",
			},
			notWant: []string{"Error Trace", "helper_test.go", "Test:"},
		},
		{
			name:     "many failed tests: the first few in full, the rest by name",
			exercise: "many",
			result:   exercise.Result{Built: true, Failed: []string{"TestA", "TestB", "TestC", "TestD", "TestE", "TestF", "TestG"}},
			want:     []string{"    TestE\n    also failed: TestF, TestG\n"},
		},
		{
			name:     "a failure nothing explains shows the last lines",
			exercise: "odd",
			result:   exercise.Result{Built: true, Output: "setup: cannot open fixture\nexit status 3\nFAIL\tgithub.com/concurrency-workbook/workbook/exercises/odd\t0.01s\n"},
			want: []string{
				"\n" + verdictUnknown + "\n    setup: cannot open fixture\n    exit status 3\n",
			},
			notWant: []string{"FAIL\t"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := summarize(root, tt.exercise, tt.result, true)
			assert.True(t, strings.HasPrefix(got, "FAIL "+tt.exercise+"\n"), "summary starts with the FAIL line; got:\n%s", got)
			pos := 0
			for _, w := range tt.want {
				i := strings.Index(got[pos:], w)
				if !assert.GreaterOrEqual(t, i, 0, "summary lacks (after byte %d):\n%s\ngot:\n%s", pos, w, got) {
					return
				}
				pos += i + len(w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, got, w)
			}
		})
	}
}

func TestSummarizeCapsLongOutput(t *testing.T) {
	var out strings.Builder
	out.WriteString("=== RUN   TestLong\n")
	for range 30 {
		out.WriteString("    long_test.go:9: again\n")
	}
	out.WriteString("--- FAIL: TestLong (0.00s)\n")
	got := summarize(root, "long", exercise.Result{Built: true, Failed: []string{"TestLong"}, Output: out.String()}, true)
	assert.Equal(t, maxTestLines, strings.Count(got, "long_test.go:9: again"))
	assert.Contains(t, got, fmt.Sprintf("... (%d more lines)", 30-maxTestLines))
}
