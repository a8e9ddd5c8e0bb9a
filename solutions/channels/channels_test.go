package channels

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Every test runs inside synctest.Test, where time is fake and exact, and
// where a goroutine blocked forever is caught: if every goroutine in the
// bubble is blocked, synctest.Test panics ("deadlock: all goroutines in
// bubble are blocked"), and if one is still blocked when the test function
// returns, it panics too ("blocked goroutines remain"). That is how these
// tests see a range that never ends and a goroutine that leaked.
//
// A goroutine of yours that sends on a closed channel, or closes one twice,
// panics, and a panic in any goroutine ends the whole test binary: the test
// that was running reports it, and the ones after it do not run. Fix that
// first.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// patience is how long (in fake time, so it costs nothing) the tests wait
// for a channel to be closed before they report that it never was.
const patience = time.Hour

// TestTicketsInOrderThenClosed checks that Tickets sends first, ...,
// first+n-1 in order and then closes its channel, at once: a consumer that
// ranges over it must see the loop end.
func TestTicketsInOrderThenClosed(t *testing.T) {
	tests := []struct{ first, n int }{{1, 0}, {100, 1}, {100, 5}, {-2, 4}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("first=%d,n=%d", tt.first, tt.n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				want := []int{}
				for i := range tt.n {
					want = append(want, tt.first+i)
				}
				ch := Tickets(t.Context(), tt.first, tt.n)
				require.NotNil(t, ch, "Tickets returned a nil channel")
				r := drain(ch, tt.n+10)
				assert.Equal(t, want, r.got, "the tickets, in the order they came")
				assert.True(t, r.closed, "the channel was not closed %v after "+
					"the last ticket: a range over it never ends", patience)
				assert.Zero(t, r.at, "the channel was closed after")
			})
		})
	}
}

// TestTicketsStopsWhenConsumerStops checks that a consumer that takes two
// tickets and cancels ctx stops the generator: its channel is closed at
// once, with no ticket pending on it, and its goroutine is gone.
func TestTicketsStopsWhenConsumerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		ch := Tickets(ctx, 1, 1000)
		require.NotNil(t, ch, "Tickets returned a nil channel")
		assert.Equal(t, 1, <-ch)
		assert.Equal(t, 2, <-ch)
		synctest.Wait() // the generator is blocked, sending ticket 3
		cancel()
		synctest.Wait() // the generator has done all it will do
		select {
		case v, ok := <-ch:
			assert.False(t, ok, "received ticket %d after cancel: a send "+
				"that does not select on ctx.Done() still waits for a receiver", v)
		default:
			t.Error("the channel is not closed after cancel: is the generator " +
				"blocked on a send, or did it return without closing?")
		}
	})
}

// TestMergeForwardsEveryValue checks that Merge forwards every value of
// every input, each input's values in their order, and closes its output
// exactly when the last input has closed and been forwarded: no earlier
// (values would be lost, or a forwarder would send on a closed channel),
// no later, and once.
func TestMergeForwardsEveryValue(t *testing.T) {
	tests := []struct {
		name   string
		inputs [][]int
		gaps   []time.Duration // the wait before each send of each input
	}{
		{"no inputs", nil, nil},
		{"one input", [][]int{{1, 2, 3}}, []time.Duration{time.Second}},
		{"three inputs, one empty",
			[][]int{{100, 101, 102}, {}, {300, 301}},
			[]time.Duration{time.Second, time.Second, 2 * time.Second}},
		{"two inputs, one slow",
			[][]int{{10, 11, 12, 13}, {20}},
			[]time.Duration{time.Second, 10 * time.Second}},
		{"two inputs, the slow one first",
			[][]int{{10}, {20, 21, 22}},
			[]time.Duration{10 * time.Second, time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var ins []<-chan int
				var want []int
				var lastClose time.Duration
				sentAt := map[int]time.Duration{} // when each value's input sends it
				for i, vals := range tt.inputs {
					ins = append(ins, source(t.Context(), vals, tt.gaps[i]))
					want = append(want, vals...)
					lastClose = max(lastClose, time.Duration(len(vals))*tt.gaps[i])
					for k, v := range vals {
						sentAt[v] = time.Duration(k+1) * tt.gaps[i]
					}
				}
				out := Merge(t.Context(), ins...)
				require.NotNil(t, out, "Merge returned a nil channel")
				r := drain(out, len(want)+10)
				require.LessOrEqual(t, len(r.got), len(want), "received %v; "+
					"the inputs sent %v: zero values from a closed input? "+
					"Check ok", r.got, want)
				assert.ElementsMatch(t, want, r.got, "the values forwarded")
				for _, vals := range tt.inputs {
					assert.Equal(t, vals, inOrder(r.got, vals),
						"one input's values, in the order they came out")
				}
				for i, v := range r.got {
					if at, ok := sentAt[v]; ok && r.times[i] != at {
						t.Errorf("value %d came out %v after the start; its input "+
							"sent it at %v: Merge must forward from every input at "+
							"once, not wait for one input to close before it reads "+
							"the next", v, r.times[i], at)
					}
				}
				assert.True(t, r.closed, "the output was not closed %v after "+
					"the last input closed", patience)
				assert.Equal(t, lastClose, r.at, "the output was closed after; "+
					"want the moment the last input closed")
			})
		})
	}
}

// TestMergeClosesOnlyAfterItsForwardersStop cancels ctx while Merge's
// forwarder waits for an input that is slow to deliver. The output must
// be closed only once every goroutine of Merge has stopped: a close that
// does not wait for every sender lets a forwarder that is still running
// send on a closed channel, which panics. A forwarder that waits for its
// input and for ctx at once stops at the cancel, and the output may then
// close at once; one that waits for its input alone stops when the input
// delivers, and the output must stay open until then.
func TestMergeClosesOnlyAfterItsForwardersStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := goleak.IgnoreCurrent()
		ctx, cancel := context.WithCancel(t.Context())
		slow := make(chan int) // an input that delivers only when the test says
		out := Merge(ctx, slow)
		require.NotNil(t, out, "Merge returned a nil channel")
		synctest.Wait() // the forwarder waits for slow
		cancel()
		synctest.Wait() // Merge has done all it can before slow delivers
		select {
		case v, ok := <-out:
			running := goleak.Find(before) // Merge's goroutines still there
			// We close slow rather than send on it, so that a forwarder
			// still waiting ends without sending on the closed output.
			close(slow)
			if ok {
				t.Fatalf("received %d after cancel, from an input that sent "+
					"nothing", v)
			}
			if running != nil {
				t.Fatalf("the output was closed at the cancel, while a "+
					"goroutine of Merge was still running (waiting for its "+
					"input): when that input delivers, the forwarder's send "+
					"on the closed output panics. Close the output only after "+
					"every forwarder has returned. Still running: %v", running)
			}
			return // every goroutine of Merge had stopped: a right close
		default: // still open: the forwarder still waits for its input
		}

		select {
		case slow <- 7: // the forwarder takes it, sees ctx done, and returns
		case <-time.After(patience):
			close(slow)
			t.Fatalf("the output is not closed %v after cancel, and Merge "+
				"does not read its input either: is nobody left to close it?",
				patience)
		}
		synctest.Wait() // Merge has done all it will do
		select {
		case v, ok := <-out:
			assert.False(t, ok, "received %d after cancel: the forwarder "+
				"should have stopped, not forwarded it", v)
		default:
			t.Error("the output is not closed after cancel, although Merge's " +
				"only forwarder had nothing left to do: close it once every " +
				"forwarder has returned")
		}
		close(slow)
	})
}

// TestMergeStopsWhenConsumerStops checks that a consumer that takes a few
// values from inputs that never end, and cancels ctx, stops Merge: its
// output is closed at once, with no value pending on it, and none of its
// goroutines is left.
func TestMergeStopsWhenConsumerStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The inputs stop only when the test ends, not on Merge's ctx:
		// Merge must stop by itself.
		ctx, cancel := context.WithCancel(t.Context())
		out := Merge(ctx, unclosed(t.Context(), 100, 1000),
			unclosed(t.Context(), 200, 1000), unclosed(t.Context(), 300, 1000))
		require.NotNil(t, out, "Merge returned a nil channel")
		for range 3 {
			<-out
		}
		time.Sleep(time.Second) // the inputs send their next values
		synctest.Wait()         // every forwarder now holds one to send
		cancel()
		synctest.Wait() // Merge has done all it will do
		select {
		case v, ok := <-out:
			assert.False(t, ok, "received %d after cancel: a send that does "+
				"not select on ctx.Done() still waits for a receiver", v)
		default:
			t.Error("the output is not closed after cancel: is a forwarder " +
				"blocked on a send, or is nobody left to close it?")
		}
	})
}

// TestCollectReturnsEverythingOnClose checks that Collect returns every
// value, in order, with a nil error, at the moment its input is closed.
func TestCollectReturnsEverythingOnClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		got, err := Collect(t.Context(), source(t.Context(), []int{5, 0, 7, 0}, time.Second))
		require.NoError(t, err)
		assert.Equal(t, []int{5, 0, 7, 0}, got,
			"the values in order; a 0 is a value like any other")
		assert.Equal(t, 4*time.Second, time.Since(begin), "Collect returned after")

		got, err = Collect(t.Context(), source(t.Context(), nil, 0))
		require.NoError(t, err)
		assert.Empty(t, got, "from an input closed with nothing sent")
	})
}

// TestCollectHonoursContext checks that Collect returns what it has so far
// and ctx.Err() at the very moment ctx is done, when its input is not
// closed: a range loop would wait for a close that never comes.
func TestCollectHonoursContext(t *testing.T) {
	tests := []struct {
		name    string
		ctx     func(context.Context) (context.Context, context.CancelFunc)
		wantErr error
	}{
		{"deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 3*time.Second)
		}, context.DeadlineExceeded},
		{"cancel", func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(3*time.Second, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := tt.ctx(t.Context())
				defer cancel()
				// Two values at 1s and 2s, then nothing until the test ends.
				in := unclosed(t.Context(), 1, 2)
				begin := time.Now()
				got, err := Collect(ctx, in)
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Equal(t, []int{1, 2}, got, "the values received before ctx was done")
				assert.Equal(t, 3*time.Second, time.Since(begin), "Collect returned after")
			})
		})
	}
}

// TestBoxOffice runs the whole pipeline: two windows, merged, collected.
// Then it stops a consumer early, and checks that cancelling ctx stops
// every goroutine of the pipeline (synctest.Test reports any left).
func TestBoxOffice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		got, err := Collect(t.Context(), Merge(t.Context(),
			Tickets(t.Context(), 100, 3), Tickets(t.Context(), 200, 2)))
		require.NoError(t, err)
		assert.ElementsMatch(t, []int{100, 101, 102, 200, 201}, got)
	})
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		out := Merge(ctx, Tickets(ctx, 100, 1000), Tickets(ctx, 200, 1000))
		require.NotNil(t, out, "Merge returned a nil channel")
		for range 10 {
			<-out
		}
		synctest.Wait() // the pipeline is blocked, sending the next values
		cancel()
		synctest.Wait() // the pipeline has done all it will do
		// Nobody was receiving, so every send chose ctx.Done(): the output
		// is closed, with nothing on it, and everything behind it returned.
		r := drain(out, 10)
		assert.Empty(t, r.got, "values received after cancel")
		assert.True(t, r.closed, "the output was not closed after cancel")
	})
}

// A drained is what drain saw on a channel.
type drained struct {
	got    []int           // the values received, in order
	times  []time.Duration // when each of got came, from drain's start
	closed bool            // the channel was closed
	at     time.Duration   // when the close was seen, from drain's start
}

// drain receives from ch until it is closed, until it has received more
// than limit values, or until patience has passed.
func drain(ch <-chan int, limit int) drained {
	r := drained{got: []int{}}
	begin := time.Now()
	timer := time.NewTimer(patience)
	defer timer.Stop()
	for len(r.got) <= limit {
		select {
		case v, ok := <-ch: // a value, or the close
			if !ok {
				r.closed, r.at = true, time.Since(begin)
				return r
			}
			r.got = append(r.got, v)
			r.times = append(r.times, time.Since(begin))
		case <-timer.C: // never closed
			return r
		}
	}
	return r
}

// source returns a channel on which a goroutine sends vals, waiting gap
// before each, and then closes it. It stops early when ctx is done.
func source(ctx context.Context, vals []int, gap time.Duration) <-chan int {
	ch := make(chan int)
	go func() {
		defer close(ch)
		for _, v := range vals {
			time.Sleep(gap)
			select {
			case ch <- v: // taken
			case <-ctx.Done(): // the test is over
				return
			}
		}
	}()
	return ch
}

// unclosed returns a channel on which a goroutine sends first, first+1,
// ..., first+n-1, one a second, and then waits for ctx without closing it:
// an input that is slow to close, or never ends. The goroutine returns
// when ctx is done.
func unclosed(ctx context.Context, first, n int) <-chan int {
	ch := make(chan int)
	go func() {
		for i := range n {
			select {
			case <-time.After(time.Second): // the next value is ready
			case <-ctx.Done(): // the test is over
				return
			}
			select {
			case ch <- first + i: // taken
			case <-ctx.Done(): // the test is over
				return
			}
		}
		<-ctx.Done()
	}()
	return ch
}

// inOrder returns the values of got that are in vals, in the order they
// appear in got.
func inOrder(got, vals []int) []int {
	out := []int{}
	for _, v := range got {
		if slices.Contains(vals, v) {
			out = append(out, v)
		}
	}
	return out
}
