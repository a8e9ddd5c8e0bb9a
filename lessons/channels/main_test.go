package main

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"log"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Tests that measure time run inside synctest.Test, where time is fake and
// exact, and where a goroutine blocked forever on a channel is reported:
// synctest.Test panics if one is left when the test function returns. The
// whole package runs under -race in the workbook's checks, which is what
// tests the memory-model claims: a read that the channel operations did
// not order after its write would be reported as a data race.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no waiting, so that it is instant. The
// output is the same on every run: only run's goroutine prints.
func Example() {
	err := run(context.Background(), os.Stdout, []string{"-wait", "0"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// unbuffered: make(chan string): cap 0, len 0
	// unbuffered: the send waited 0s, until the receiver came
	// unbuffered: the receiver got "ping" and read "written before the send"
	// unbuffered: after the send, the sender read "written before the receive"
	//
	// buffered: make(chan int, 3): cap 3, len 0
	// buffered: filling it with no receiver took 0s; len 3
	// buffered: send 4 waited 0s, until a receive took 1 and made room; len 3
	// close: closed with len 3: what was sent stays readable
	// close: v, ok := <-ch: 2 true
	// close: range got 3 4, then ended
	// close: v, ok := <-ch: 0 false (at once, every time)
	//
	// range: count(ctx, 5) sent 1 2 3 4 5; its close ended the loop
	//
	// directions: chan int converts to chan<- int and to <-chan int
	// directions: sum(count(ctx, 10)) = 55
	//
	// nil: var never chan int: nil true; a receive is ready: false
	// nil: merged 7 values (sum 16) in 9 rounds; closed inputs set to nil
	//
	// panics: send on a closed channel: panic: send on closed channel
	// panics: close of a closed channel: panic: close of closed channel
	// panics: close of a nil channel: panic: close of nil channel
	// panics: receive from a closed channel: no panic, got 0 false
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output", line for
// line, and takes exactly the two receivers' 1s delays.
func TestOutputMatchesREADME(t *testing.T) {
	block, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		begin := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, 2*time.Second, time.Since(begin),
			"want the unbuffered and the buffered demo's 1s waits, nothing else")
		assert.Equal(t, block, out.String())
	})
}

// TestUnbufferedSendWaitsForReceiver checks that a send on an unbuffered
// channel returns exactly when the receiver arrives, not before, and that
// each side reads what the other wrote before the handoff (under -race,
// an unordered read would be reported).
func TestUnbufferedSendWaitsForReceiver(t *testing.T) {
	for _, wait := range []time.Duration{0, time.Second, 5 * time.Second} {
		t.Run(wait.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				type result struct {
					h   handoff
					err error
				}
				res := make(chan result, 1) // buffered: the sender never waits
				begin := time.Now()
				go func() {
					h, err := handOff(t.Context(), make(chan string), wait)
					res <- result{h, err}
				}()
				if wait > 0 {
					time.Sleep(wait - time.Millisecond)
					synctest.Wait() // everything that can run has run
					select {
					case <-res:
						t.Fatalf("the send returned before the receiver came at %v", wait)
					default: // still waiting, as it should
					}
				}
				r := <-res
				require.NoError(t, r.err)
				assert.Equal(t, wait, time.Since(begin), "handOff returned after")
				assert.Equal(t, wait, r.h.waited, "the send waited")
				assert.Equal(t, "ping", r.h.got)
				assert.Equal(t, "written before the send", r.h.sawNote)
				assert.Equal(t, "written before the receive", r.h.sawReply)
			})
		})
	}
}

// TestBufferedSendWaitsOnlyWhenFull checks that cap sends return at once
// with no receiver, that the next one waits until a receive makes room,
// and that the receive takes the oldest value (a FIFO queue).
func TestBufferedSendWaitsOnlyWhenFull(t *testing.T) {
	for _, capacity := range []int{1, 3, 20} {
		t.Run(fmt.Sprint("cap=", capacity), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ch := make(chan int, capacity)
				begin := time.Now()
				for i := range capacity {
					ch <- i + 1
				}
				assert.Equal(t, time.Duration(0), time.Since(begin),
					"%d sends into an empty channel of cap %d", capacity, capacity)
				assert.Equal(t, capacity, len(ch))

				waited, took, err := sendWhenFull(t.Context(), ch, 99, 2*time.Second)
				require.NoError(t, err)
				assert.Equal(t, 2*time.Second, waited, "the send into a full channel waited")
				assert.Equal(t, 1, took, "the receive took the oldest value")
				assert.Equal(t, capacity, len(ch), "full again")
			})
		})
	}
}

// TestKthReceiveBeforeSendKPlusCap checks the memory model's rule for
// buffered channels, which is also their timing: with capacity c, the
// (k+c)-th send completes only when the k-th receive has happened. A
// receiver takes one value per second; the sender's first c sends return
// at once, and each later one when the receive that made its room happens.
func TestKthReceiveBeforeSendKPlusCap(t *testing.T) {
	const c, n = 2, 6
	synctest.Test(t, func(t *testing.T) {
		ch := make(chan int, c)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range n {
				time.Sleep(time.Second)
				<-ch
			}
		}()
		begin := time.Now()
		for k := 1; k <= n; k++ {
			ch <- k
			want := time.Duration(max(0, k-c)) * time.Second
			assert.Equal(t, want, time.Since(begin),
				"send %d completed at; want when receive %d happened", k, k-c)
		}
		<-done
	})
}

// TestDrainClosed checks that closing a channel keeps what it holds: the
// receive with ok and range read every value, and only then does a
// receive return the zero value and false, at once.
func TestDrainClosed(t *testing.T) {
	ch := make(chan int, 4)
	for _, v := range []int{7, 8, 9} {
		ch <- v
	}
	close(ch)
	var out bytes.Buffer
	require.NoError(t, drainClosed(log.New(&out, "", 0), ch))
	assert.Equal(t, []string{
		"close: closed with len 3: what was sent stays readable",
		"close: v, ok := <-ch: 7 true",
		"close: range got 8 9, then ended",
		"close: v, ok := <-ch: 0 false (at once, every time)",
	}, readme.Lines(out.String()))
}

// TestCountSendsInOrderAndCloses checks the generator: 1..n in order, and
// a close after the last value, which is what ends a range loop.
func TestCountSendsInOrderAndCloses(t *testing.T) {
	for _, n := range []int{0, 1, 5} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var got []int
				for v := range count(t.Context(), n) { // ends only on close
					got = append(got, v)
				}
				want := []int{}
				for i := range n {
					want = append(want, i+1)
				}
				assert.Equal(t, want, append([]int{}, got...))
			})
		})
	}
}

// TestCountStopsWhenCancelled checks that a consumer that stops early can
// stop the generator by cancelling ctx: the channel is then closed, and
// the goroutine gone (synctest.Test reports one left blocked on its send).
func TestCountStopsWhenCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ch := count(ctx, 1000)
		assert.Equal(t, 1, <-ch)
		assert.Equal(t, 2, <-ch)
		synctest.Wait() // the generator is blocked, sending 3
		cancel()
		synctest.Wait() // the generator has seen ctx.Done and returned
		select {
		case v, ok := <-ch:
			assert.False(t, ok, "received %d after cancel; want the channel closed", v)
		default:
			t.Fatal("the channel is not closed after cancel")
		}
	})
}

// TestSum checks that sum reads until the close.
func TestSum(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		assert.Equal(t, 55, sum(count(t.Context(), 10)))
		assert.Equal(t, 0, sum(count(t.Context(), 0)))
	})
}

// TestCompilerEnforcesDirections type-checks code that misuses a
// directional channel and checks that it does not compile, with the
// errors the README quotes. go/types is the type checker the compiler
// itself uses, so its messages are the compiler's.
func TestCompilerEnforcesDirections(t *testing.T) {
	tests := []struct {
		code    string
		wantErr string
	}{
		{"func f(out chan<- int) { <-out }",
			"invalid operation: cannot receive from send-only channel"},
		{"func f(in <-chan int) { in <- 1 }",
			"invalid operation: cannot send to receive-only channel"},
		{"func f(in <-chan int) { close(in) }",
			"invalid operation: cannot close receive-only channel"},
		{"func f(in <-chan int) { var c chan int = in; _ = c }",
			"cannot use in (variable of type <-chan int) as chan int value"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package p\n"+tt.code, 0)
			require.NoError(t, err)
			_, err = new(types.Config).Check("p", fset, []*ast.File{f}, nil)
			require.Error(t, err, "this compiles, but should not")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}

	// And the conversions that are allowed do compile.
	ok := "func f(c chan int) { var s chan<- int = c; var r <-chan int = c; " +
		"s <- 1; <-r; close(s) }"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", "package p\n"+ok, 0)
	require.NoError(t, err)
	_, err = new(types.Config).Check("p", fset, []*ast.File{f}, nil)
	assert.NoError(t, err)
}

// TestNilChannelNeverReady checks that a nil channel is never ready: a
// select on it and a timer returns at the timer, however long it is.
func TestNilChannelNeverReady(t *testing.T) {
	var never chan int
	assert.False(t, ready(never), "ready(nil)")
	closed := make(chan int)
	close(closed)
	assert.True(t, ready(closed), "ready on a closed channel")

	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		select {
		case <-never:
			t.Fatal("received from a nil channel")
		case <-time.After(time.Hour):
		}
		assert.Equal(t, time.Hour, time.Since(begin))
	})
}

// TestMergeTurnsOffClosedInputs checks merge: every value from both inputs,
// one round per value plus one per close (a closed input whose case was
// not turned off would win round after round), and ctx.Err() on cancel.
func TestMergeTurnsOffClosedInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		values, loops, err := merge(t.Context(), count(t.Context(), 3),
			count(t.Context(), 4))
		require.NoError(t, err)
		slices.Sort(values)
		assert.Equal(t, []int{1, 1, 2, 2, 3, 3, 4}, values)
		assert.Equal(t, 7+2, loops, "select rounds: 7 values and 2 closes")
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		never := make(chan int) // never sent on, never closed
		time.AfterFunc(time.Second, cancel)
		begin := time.Now()
		_, _, err := merge(ctx, never, count(ctx, 2))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, time.Second, time.Since(begin), "merge returned after")
	})
}

// TestPanics checks the three mistakes that panic, with the runtime's
// exact messages, and that a receive from a closed channel does not.
func TestPanics(t *testing.T) {
	closed := make(chan int)
	close(closed)
	var nilCh chan int
	assert.Equal(t, "panic: send on closed channel",
		catch(func() { closed <- 1 }))
	assert.Equal(t, "panic: close of closed channel",
		catch(func() { close(closed) }))
	assert.Equal(t, "panic: close of nil channel",
		catch(func() { close(nilCh) }))
	assert.Equal(t, "no panic", catch(func() { <-closed }))

	var out bytes.Buffer
	require.NoError(t, panics(t.Context(), log.New(&out, "", 0), config{}))
	assert.Contains(t, out.String(),
		"panics: receive from a closed channel: no panic, got 0 false\n")
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) while the
// unbuffered send waits and while the buffered one does. run must return
// ctx.Err() at that very moment, with none of its goroutines left: synctest
// reports any that is still blocked when the test function returns.
func TestCtrlCStopsPromptly(t *testing.T) {
	for _, cancelAt := range []time.Duration{
		0, time.Second / 2, time.Second + time.Second/2,
	} {
		t.Run(cancelAt.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var out bytes.Buffer
				errc := make(chan error, 1) // buffered: the sender never waits
				begin := time.Now()
				if cancelAt == 0 {
					cancel()
				}
				go func() { errc <- run(ctx, &out, nil) }()
				time.Sleep(cancelAt)
				cancel()
				assert.ErrorIs(t, <-errc, context.Canceled)
				assert.Equal(t, cancelAt, time.Since(begin),
					"run returned late: does a wait ignore ctx?")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it prints anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-cap", "0"}, "-cap must be from 1 to 20, got 0"},
		{[]string{"-cap", "21"}, "-cap must be from 1 to 20, got 21"},
		{[]string{"-wait", "-1s"}, "-wait must be from 0s to 1m0s, got -1s"},
		{[]string{"-wait", "2m"}, "-wait must be from 0s to 1m0s, got 2m0s"},
		{[]string{"-wait", "3"}, `invalid value "3" for flag -wait`},
		{[]string{"-size", "4"}, "flag provided but not defined: -size"},
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

// TestFlagLimitsAreAccepted checks the edges of the flags' ranges.
func TestFlagLimitsAreAccepted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, args := range [][]string{
			{"-cap", "1", "-wait", "0"}, {"-cap", "20", "-wait", "1m"},
		} {
			var out bytes.Buffer
			require.NoError(t, run(t.Context(), &out, args), "%v", args)
		}
	})
}

// TestHelp checks that -h prints the flags and is not an error.
func TestHelp(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, []string{"-h"}))
	for _, name := range []string{"-cap", "-wait"} {
		assert.Contains(t, out.String(), name)
	}
}
