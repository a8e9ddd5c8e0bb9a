package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/concurrency-workbook/workbook/internal/readme"
	"github.com/concurrency-workbook/workbook/internal/timeline/timelinetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// Tests that wait run inside synctest.Test, where time is fake and exact,
// and where a goroutine still blocked when the test function returns makes
// synctest fail the test: a leak cannot pass unnoticed.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with instant consumers and a shutdown cancelled
// before it starts, so that it takes no time and prints the same lines on
// every run.
func Example() {
	err := run(context.Background(), os.Stdout, []string{
		"-items", "3", "-consume", "0", "-stop", "0", "-workers", "2"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 3 producers, 3 items each; 2 consumers; a channel of capacity 2
	//   the closer closed the channel once all 3 producers were done
	//   2 consumers took all 9 items, each exactly once, and stopped at the close
	//
	// back-pressure: an instant producer, a consumer taking 0s an item, capacity 2
	//   item 1: sent at 0s, taken at 0s
	//   item 2: sent at 0s, taken at 0s
	//   item 3: sent at 0s, taken at 0s
	//   item k is sent when item k-2 is taken: the consumer's pace
	//
	// shutdown: 3 endless producers, 2 consumers, cancelled after 0s
	//   all 5 goroutines returned 0s after the cancel
	//   sent 0, taken 0, left in the buffer 0
	//   a cancel stops the work; it does not drain the queue
	//
	// integrate x² over [0, 10]: 2 workers, 1000 steps (a left Riemann sum)
	//   worker 1: 41.541750
	//   worker 2: 291.291750
	//   sum 332.833500; exact 1000/3 = 333.333333; error -0.499833
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output" exactly,
// and takes the time the README says: the back-pressure part ends when the
// consumer has used its last item, and the shutdown part at its cancel.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, want, out.String())
		assert.Equal(t, 6*300*time.Millisecond+time.Second, time.Since(start))
	})
}

// TestEveryItemConsumedExactlyOnce runs many producers and consumers, on
// buffers of several sizes, and checks the multiset of what the consumers
// took: every item, none twice, none lost. Run it with -race: each
// consumer writes only its own slice.
func TestEveryItemConsumedExactlyOnce(t *testing.T) {
	for _, tt := range []struct{ producers, consumers, buf int }{
		{1, 1, 0}, {1, 8, 1}, {8, 1, 3}, {8, 8, 0}, {16, 5, 2}, {5, 16, 64},
	} {
		name := fmt.Sprintf("%d×%d,buf=%d", tt.producers, tt.consumers, tt.buf)
		t.Run(name, func(t *testing.T) {
			const items = 200
			taken, err := pipeline(t.Context(), tt.producers, tt.consumers,
				items, tt.buf)
			require.NoError(t, err)
			require.Len(t, taken, tt.consumers)
			var got, want []string
			for _, items := range taken {
				got = append(got, items...)
			}
			for i := range tt.producers {
				for k := range items {
					want = append(want, fmt.Sprintf("p%d-%d", i+1, k+1))
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			assert.Equal(t, want, got)
			cfg := config{producers: tt.producers, consumers: tt.consumers,
				items: items}
			assert.NotContains(t, exactlyOnce(cfg, taken), "wrong")
		})
	}
}

// TestEachConsumerSeesItsProducersInOrder checks that a channel is FIFO:
// within what one consumer took, each producer's items come in the order
// they were sent.
func TestEachConsumerSeesItsProducersInOrder(t *testing.T) {
	taken, err := pipeline(t.Context(), 4, 4, 100, 3)
	require.NoError(t, err)
	for j, items := range taken {
		last := map[string]int{} // producer -> last item number seen
		for _, v := range items {
			var p, k int
			_, err := fmt.Sscanf(v, "p%d-%d", &p, &k)
			require.NoError(t, err)
			key := fmt.Sprint(p)
			assert.Greater(t, k, last[key], "consumer %d: %s after p%d-%d",
				j+1, v, p, last[key])
			last[key] = k
		}
	}
}

// TestBackPressureThrottlesTheProducer checks, in fake time, that a
// producer that could send instantly is held to its consumer's pace: its
// send of item k completes at the very moment the consumer takes item
// k-buf (item k-buf frees the slot), and the first buf+1 sends complete
// at once.
func TestBackPressureThrottlesTheProducer(t *testing.T) {
	const consume = 100 * time.Millisecond
	for _, buf := range []int{0, 1, 2, 5} {
		t.Run(fmt.Sprintf("buf=%d", buf), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const items = 10
				start := time.Now()
				sent, taken, err := backPressure(t.Context(), nil, items, buf, consume)
				require.NoError(t, err)
				assert.Equal(t, items*consume, time.Since(start),
					"the consumer uses %d items of %v", items, consume)
				for k := range items { // k is 0-based: item k+1
					assert.Equal(t, time.Duration(k)*consume, taken[k],
						"item %d taken at", k+1)
					want := time.Duration(max(0, k-buf)) * consume
					assert.Equal(t, want, sent[k], "item %d sent at", k+1)
					if k >= buf {
						assert.Equal(t, taken[k-buf], sent[k],
							"item %d sent when item %d is taken", k+1, k-buf+1)
					}
				}
			})
		})
	}
}

// TestShutdownStopsEveryGoroutineAtTheCancel checks, in fake time, that
// when the shutdown's context is cancelled every producer and consumer
// returns at that moment, and that the counts add up: what was sent was
// either taken or is still in the buffer. With consumers of 300ms and a
// cancel at 1s, each consumer took items at 0, 300, 600 and 900ms, and
// the producers refilled the buffer at once after each.
func TestShutdownStopsEveryGoroutineAtTheCancel(t *testing.T) {
	for _, tt := range []struct{ producers, consumers, buf int }{
		{3, 2, 2}, {1, 1, 0}, {5, 3, 10},
	} {
		name := fmt.Sprintf("%d×%d,buf=%d", tt.producers, tt.consumers, tt.buf)
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				res, err := shutdown(t.Context(), tt.producers, tt.consumers,
					tt.buf, 300*time.Millisecond, time.Second)
				require.NoError(t, err)
				assert.Equal(t, time.Second, time.Since(start), "returned at")
				assert.Equal(t, time.Duration(0), res.late)
				assert.Equal(t, 4*tt.consumers, res.taken, "taken")
				assert.Equal(t, tt.buf, res.left, "left in the buffer")
				assert.Equal(t, res.taken+res.left, res.sent, "sent")
			})
		})
	}
}

// TestShutdownCancelledBeforeItStarts checks that producers do not send
// on an already cancelled context, though the buffer has room: they look
// at ctx before each select, which would otherwise pick at random.
func TestShutdownCancelledBeforeItStarts(t *testing.T) {
	for range 100 {
		res, err := shutdown(t.Context(), 4, 2, 8, 0, 0)
		require.NoError(t, err)
		require.Equal(t, [3]int{}, [3]int{res.sent, res.taken, res.left},
			"sent, taken, left")
	}
}

// TestIntegrate checks the integration against the closed form of the
// left Riemann sum of x² over [0, 10] with n steps, (10/n)³(n-1)n(2n-1)/6,
// for worker counts that do and do not divide n, and that the result is
// the same, bit for bit, on every run.
func TestIntegrate(t *testing.T) {
	for _, n := range []int{1, 7, 1000, 1001, 100_000} {
		for _, workers := range []int{1, 2, 3, 4, 7} {
			if workers > n {
				continue
			}
			t.Run(fmt.Sprintf("n=%d/workers=%d", n, workers), func(t *testing.T) {
				dx := 10 / float64(n)
				N := float64(n)
				want := dx * dx * dx * (N - 1) * N * (2*N - 1) / 6
				var first float64
				for run := range 20 {
					partial, err := integrate(t.Context(), square, 0, 10, n, workers)
					require.NoError(t, err)
					require.Len(t, partial, workers)
					var sum float64
					for _, p := range partial {
						sum += p
					}
					assert.InDelta(t, want, sum, 1e-9*math.Max(1, want))
					if run == 0 {
						first = sum
					}
					require.Equal(t, math.Float64bits(first), math.Float64bits(sum),
						"run %d differs from run 0 in its last bits", run)
				}
			})
		}
	}
}

// TestCtrlCStopsPromptly cancels the context (as Ctrl-C does) during each
// timed part of the lesson; run must return ctx.Err() at that very
// moment, with none of its goroutines left (synctest checks that).
func TestCtrlCStopsPromptly(t *testing.T) {
	for _, at := range []time.Duration{
		450 * time.Millisecond,  // back-pressure
		2050 * time.Millisecond, // shutdown
	} {
		t.Run(at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				errc := make(chan error, 1) // run's result; never waits to send
				var out bytes.Buffer
				start := time.Now()
				go func() { errc <- run(ctx, &out, nil) }()
				time.Sleep(at)
				cancel()
				assert.ErrorIs(t, <-errc, context.Canceled)
				assert.Equal(t, at, time.Since(start), "run returned late")
			})
		})
	}
}

// TestPipelineCancelled checks that a pipeline whose context is done
// returns ctx.Err(), whatever the producers were doing.
func TestPipelineCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, buf := range []int{0, 5} {
		taken, err := pipeline(ctx, 3, 2, 100, buf)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Nil(t, taken)
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it starts anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
		{[]string{"-producers", "0"}, "-producers must be from 1 to 1000, got 0"},
		{[]string{"-consumers", "-1"}, "-consumers must be from 1 to 1000, got -1"},
		{[]string{"-items", "0"}, "-items must be from 1 to 1000, got 0"},
		{[]string{"-buf", "-1"}, "-buf must be from 0 to 1000, got -1"},
		{[]string{"-workers", "0"}, "-workers must be from 1 to 1000, got 0"},
		{[]string{"-n", "0"}, "-n must be from 1 to 1099511627776, got 0"},
		{[]string{"-workers", "8", "-n", "4"}, "-workers (8) must not exceed -n (4)"},
		{[]string{"-consume", "-1s"}, "-consume must not be negative, got -1s"},
		{[]string{"-stop", "-1s"}, "-stop must not be negative, got -1s"},
		{[]string{"-stop", "3"}, `invalid value "3" for flag -stop`},
		{[]string{"-threads", "4"}, "flag provided but not defined: -threads"},
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
	for _, name := range []string{"-producers", "-consumers", "-buf", "-stop",
		"-workers", "-n"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart of part 2, with the rows producer and consumer. The consumer
// works on one item after another, with no gap; the producer's first
// -buf+1 sends do not wait (no bar), and each later send waits for the
// consumer to take an item, one -consume each, so never more than the two
// of them at once. With the default flags the chart is also compared with
// testdata/prodcons-timeline.golden (go test -update rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		args       []string
		consume    time.Duration
		items, buf int
	}{
		{nil, 300 * time.Millisecond, 6, 2},
		{[]string{"-items", "8", "-buf", "1", "-consume", "1s"}, time.Second, 8, 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"-timeline"}, tt.args...), " "), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out bytes.Buffer
				args := append([]string{"-timeline", "-width", "80"}, tt.args...)
				require.NoError(t, run(t.Context(), &out, args))

				// Part 3's counts vary with some flags (a cancel at the very
				// moment a timer fires), so we compare the lesson's own
				// output only with the default flags.
				lesson, chart, ok := strings.Cut(out.String(), "\n\nconsumer │")
				require.True(t, ok, "no chart after a blank line:\n%s", &out)
				chart = "\nconsumer │" + chart
				if tt.args == nil {
					want, err := readme.ExpectedOutput("README.md")
					require.NoError(t, err)
					assert.Equal(t, want, lesson+"\n", "-timeline changed the lesson's own output")
				}
				assert.Contains(t, chart, "\nconsumer │")
				assert.Contains(t, chart, "\nproducer │")
				assert.Contains(t, chart, "at most 2 at once")
				waits := tt.items - tt.buf - 1
				assert.Contains(t, chart, fmt.Sprintf("wall %v (first start to last end), work %v (%d spans)",
					time.Duration(tt.items)*tt.consume,
					time.Duration(tt.items+waits)*tt.consume, tt.items+waits))
				for k := range tt.items {
					assert.Regexp(t, fmt.Sprintf(`\nconsumer +item %d +%v +%v\n`,
						k+1, time.Duration(k)*tt.consume, tt.consume), chart)
					if k > tt.buf {
						assert.Regexp(t, fmt.Sprintf(`\nproducer +send item %d +%v +%v\n`,
							k+1, time.Duration(k-tt.buf-1)*tt.consume, tt.consume), chart)
					} else {
						assert.NotContains(t, chart, fmt.Sprintf("send item %d ", k+1))
					}
				}
				if tt.args == nil {
					timelinetest.Golden(t, "prodcons-timeline", chart)
				}
			})
		})
	}
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble) and with no waiting, and checks
// that the lesson printed what it prints without the flag (part 1 aside,
// whose sharing out of the items varies outside fake time), and the file:
// a Go execution trace in which the run is a task named prodcons, with
// regions on the rows producer and consumer and their items logged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	path := filepath.Join(t.TempDir(), "trace.out")
	var out bytes.Buffer
	err := run(t.Context(), &out, []string{"-consume", "0", "-stop", "0", "-trace", path})
	require.NoError(t, err)
	assert.Contains(t, out.String(), "item k is sent when item k-2 is taken")
	assert.Contains(t, out.String(), "error -0.499833\n")

	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "prodcons")
	tr.AssertRegions(t, id, "producer", "consumer")
	tr.AssertLabels(t, id, "send item 1", "item 1")
}
