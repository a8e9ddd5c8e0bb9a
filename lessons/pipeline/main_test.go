package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
// synctest fail the test: a stage that does not stop cannot pass unnoticed.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Example runs the lesson with no simulated work, so that it is instant.
// Every line is the same on every run.
func Example() {
	err := run(context.Background(), os.Stdout, []string{
		"-n", "6", "-workers", "2", "-work", "0", "-take", "3", "-fail", "4"})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// stages: gen 1..6 → square → sum
	//   sum of squares 91
	//
	// fan-out: 6 items to 2 square workers, 0s each; fan-in with merge
	//   sum 91 after 0s; one worker would take 0s
	//
	// order: 2 workers, sequence numbers, a reorder buffer
	//   1 4 9 16 25 36
	//
	// cancel: an endless gen → square, cancelled after 3 items
	//   took 1 4 9
	//   after the cancel: gen's channel closed: true, square's closed: true
	//
	// errors: an errgroup of gen → parse → sum of squares; item 4 is bad
	//   g.Wait: parse: strconv.Atoi: parsing "4?": invalid syntax
	//   every stage returned; the sink had added 14
}

// TestOutputMatchesREADME runs the lesson with its default flags in fake
// time and checks that it prints the README's "Expected output" exactly,
// and takes the time the README says: 400ms for the fan-out, 900ms for
// the ordered part, nothing for the rest.
func TestOutputMatchesREADME(t *testing.T) {
	want, err := readme.ExpectedOutput("README.md")
	require.NoError(t, err)
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		start := time.Now()
		require.NoError(t, run(t.Context(), &out, nil))
		assert.Equal(t, want, out.String())
		assert.Equal(t, 1300*time.Millisecond, time.Since(start))
	})
}

// TestStagesSumOfSquares checks gen → square → sum against the formula
// n(n+1)(2n+1)/6.
func TestStagesSumOfSquares(t *testing.T) {
	for _, n := range []int{0, 1, 2, 12, 1000} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			got := sum(square(t.Context(), gen(t.Context(), n), 0))
			assert.Equal(t, n*(n+1)*(2*n+1)/6, got)
		})
	}
}

// TestFanOutSharesTheWork checks that w square workers on one generator,
// merged, square every item once (the sum is right) and work at the same
// time: n items of 1s take exactly ceil(n/w) seconds.
func TestFanOutSharesTheWork(t *testing.T) {
	for _, tt := range []struct{ n, workers int }{
		{12, 1}, {12, 3}, {12, 5}, {3, 10},
	} {
		t.Run(fmt.Sprintf("n=%d,workers=%d", tt.n, tt.workers),
			func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					ctx := t.Context()
					nums := gen(ctx, tt.n)
					outs := make([]<-chan int, tt.workers)
					for i := range outs {
						outs[i] = square(ctx, nums, time.Second)
					}
					start := time.Now()
					got := sum(merge(ctx, outs...))
					assert.Equal(t, tt.n*(tt.n+1)*(2*tt.n+1)/6, got)
					rounds := (tt.n + tt.workers - 1) / tt.workers
					assert.Equal(t, time.Duration(rounds)*time.Second,
						time.Since(start))
				})
			})
	}
}

// TestMergeClosesAfterTheLastInput merges three channels that close at
// 1s, 2s and 3s and checks that the merge delivers every value and closes
// its output at exactly 3s: not at the first close, and not never.
func TestMergeClosesAfterTheLastInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ins := make([]<-chan string, 3)
		for i := range ins {
			ch := make(chan string)
			ins[i] = ch
			go func() {
				defer close(ch)
				for k := range i + 1 {
					time.Sleep(time.Second)
					ch <- fmt.Sprintf("in%d-%d", i, k)
				}
			}()
		}
		start := time.Now()
		var got []string
		for v := range merge(t.Context(), ins...) {
			got = append(got, v)
		}
		assert.Equal(t, 3*time.Second, time.Since(start), "closed at")
		slices.Sort(got)
		assert.Equal(t, []string{"in0-0", "in1-0", "in1-1",
			"in2-0", "in2-1", "in2-2"}, got)
	})
}

// TestFanOutLosesOrder shows why the reorder buffer is needed: the squares
// of the ordered part, merged without it, arrive out of order.
func TestFanOutLosesOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		// Item 3 takes 1s, items 1 and 2 take 2s and 3s (k mod 3 + 1).
		nums := gen(ctx, 3)
		outs := make([]<-chan int, 3)
		for i := range outs {
			in := make(chan int)
			go func() {
				defer close(in)
				for v := range nums {
					time.Sleep(time.Duration(v%3+1) * time.Second)
					in <- v
				}
			}()
			outs[i] = square(ctx, in, 0)
		}
		var got []int
		for v := range merge(ctx, outs...) {
			got = append(got, v)
		}
		assert.Equal(t, []int{9, 1, 4}, got, "arrival order")
	})
}

// TestOrderedKeepsTheInputOrder checks that sequence numbers and the
// reorder buffer restore the input's order, whatever the workers.
func TestOrderedKeepsTheInputOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 7, 20} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				got, err := ordered(t.Context(), nil, 20, workers, time.Second)
				require.NoError(t, err)
				want := make([]int, 20)
				for i := range want {
					want[i] = (i + 1) * (i + 1)
				}
				assert.Equal(t, want, got)
			})
		})
	}
}

// TestReorderHoldsEarlyItems sends items in reverse order and checks that
// reorder sends nothing until item 0 arrives, then everything in order.
func TestReorderHoldsEarlyItems(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		in := make(chan item)
		out := reorder(t.Context(), in)
		for seq := 4; seq >= 1; seq-- {
			in <- item{seq, seq * 10}
		}
		synctest.Wait()
		select {
		case v := <-out:
			t.Fatalf("reorder sent %d before item 0 arrived", v)
		default: // holding items 1..4, as it should
		}
		go func() {
			defer close(in)
			in <- item{0, 0}
		}()
		var got []int
		for v := range out {
			got = append(got, v)
		}
		assert.Equal(t, []int{0, 10, 20, 30, 40}, got)
	})
}

// TestCancelStopsEveryStage cancels a pipeline of gen → square → square
// in the middle of the work, at 2.5s, and checks that draining the last
// channel ends at that very moment and that, when it does, every stage's
// channel is closed: every stage's goroutine has returned.
func TestCancelStopsEveryStage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		nums := gen(ctx, 100)
		squares := square(ctx, nums, time.Second)
		fourths := square(ctx, squares, 0)
		start := time.Now()
		time.AfterFunc(2500*time.Millisecond, cancel)
		var got []int
		for v := range fourths {
			got = append(got, v)
		}
		assert.Equal(t, 2500*time.Millisecond, time.Since(start),
			"the last channel closed at")
		assert.Equal(t, []int{1, 16}, got, "items done before the cancel")
		assert.True(t, isClosed(nums), "gen's channel open after the drain")
		assert.True(t, isClosed(squares),
			"square's channel open after the drain")
	})
}

// TestStageClosesOnlyAfterItsInput checks the contract that makes draining
// the last channel a join: after a cancel, square keeps its channel open
// until its input is closed. The input here is closed 1s after the cancel
// (an upstream stage slow to stop), so square's channel must close at
// exactly that moment, not at the cancel.
func TestStageClosesOnlyAfterItsInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		in := make(chan int)
		sourceDone := make(chan struct{})
		go func() {
			defer close(sourceDone)
			defer close(in)
			for v := 1; send(ctx, in, v); v++ {
			}
			time.Sleep(time.Second) // slow to stop
		}()
		out := square(ctx, in, 0)
		<-out
		start := time.Now()
		cancel()
		for range out {
		}
		assert.Equal(t, time.Second, time.Since(start),
			"square's channel closed this long after the cancel")
		<-sourceDone
	})
}

// TestCancelWithNoOneReading cancels a pipeline whose last channel nobody
// reads: every stage is blocked in a send. After the cancel every stage
// must return by itself; synctest.Wait lets them, and then every channel
// must be closed.
func TestCancelWithNoOneReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		nums := gen(ctx, 100)
		squares := square(ctx, nums, 0)
		merged := merge(ctx, square(ctx, squares, 0), square(ctx, squares, 0))
		ordered := reorder(ctx, numbered(ctx, merged))
		synctest.Wait() // every stage is now blocked in a send
		cancel()
		synctest.Wait() // and now every stage has returned
		for name, ch := range map[string]<-chan int{
			"gen": nums, "square": squares, "merge": merged,
		} {
			assert.True(t, isClosed(ch), "%s's channel is still open", name)
		}
		assert.True(t, isClosed(ordered), "reorder's channel is still open")
	})
}

// numbered gives each value from in its sequence number, in arrival
// order: a stage to feed reorder with in TestCancelWithNoOneReading.
func numbered(ctx context.Context, in <-chan int) <-chan item {
	out := make(chan item)
	go func() {
		defer close(out)
		seq := 0
		for v := range in {
			if send(ctx, out, item{seq, v}) {
				seq++
			}
		}
	}()
	return out
}

// TestFirstErrorStopsThePipeline checks that parseAndSum returns the parse
// error of the bad item, having summed exactly the items before it: the
// error stopped every stage, and g.Wait waited for them.
func TestFirstErrorStopsThePipeline(t *testing.T) {
	for _, fail := range []int{1, 2, 7, 12} {
		t.Run(fmt.Sprintf("fail=%d", fail), func(t *testing.T) {
			total, err := parseAndSum(t.Context(), 12, fail)
			var numErr *strconv.NumError
			require.ErrorAs(t, err, &numErr)
			assert.Equal(t, fmt.Sprintf("%d?", fail), numErr.Num)
			assert.Equal(t, (fail-1)*fail*(2*fail-1)/6, total,
				"the sum of the squares before the bad item")
		})
	}
	total, err := parseAndSum(t.Context(), 12, 0)
	require.NoError(t, err, "no bad item")
	assert.Equal(t, 650, total)
}

// TestCtrlCStopsPromptly cancels the context, as Ctrl-C does, during the
// fan-out and during the ordered part: run must return ctx.Err() at that
// very moment, with no goroutine left (synctest checks that).
func TestCtrlCStopsPromptly(t *testing.T) {
	for _, at := range []time.Duration{
		150 * time.Millisecond, 750 * time.Millisecond,
	} {
		t.Run(at.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				time.AfterFunc(at, cancel)
				start := time.Now()
				var out bytes.Buffer
				err := run(ctx, &out, nil)
				assert.ErrorIs(t, err, context.Canceled)
				assert.Equal(t, at, time.Since(start), "run returned at")
			})
		})
	}
}

// TestBadFlags checks that run rejects bad flags with an error that names
// the flag and the bad value, before it starts anything.
func TestBadFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-n", "0"}, "-n must be from 1 to 1000, got 0"},
		{[]string{"-workers", "0"}, "-workers must be from 1 to 100, got 0"},
		{[]string{"-take", "0"}, "-take must be from 1 to 1000, got 0"},
		{[]string{"-fail", "13"}, "-fail must be from 1 to 12, got 13"},
		{[]string{"-work", "-1s"}, "-work must be from 0s to 1m, got -1s"},
		{[]string{"-work", "3"}, `invalid value "3" for flag -work`},
		{[]string{"-stages", "4"}, "flag provided but not defined: -stages"},
		{[]string{"-timeline", "-width", "10"}, "-width must be from 40 to 1000, got 10"},
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
	for _, name := range []string{"-n", "-workers", "-work", "-take", "-fail"} {
		assert.Contains(t, out.String(), name)
	}
}

// TestTimeline runs the lesson with -timeline in fake time, where the
// chart is exact: the lesson prints what it prints without the flag, then
// the chart, with a row per square worker of parts 2 and 3. Its summary
// says how long the two parts took together (400ms + 900ms), how much
// work they did (12 × 100ms, then 4 × (100 + 200 + 300)ms), and that no
// more than -workers ran at once. Which worker takes which item varies,
// even in fake time; with -workers 1 it does not, and the chart is also
// compared with testdata/pipeline-timeline.golden (go test -update
// rewrites it).
func TestTimeline(t *testing.T) {
	tests := []struct {
		args    []string
		workers int
		want    string
	}{
		{nil, 3, "wall 1.3s (first start to last end), work 3.6s (24 spans)\n" +
			"work/wall 2.77x: the speedup over one at a time; at most 3 at once (first at 0s)"},
		{[]string{"-workers", "1"}, 1,
			"wall 3.6s (first start to last end), work 3.6s (24 spans)\n" +
				"work/wall 1.00x: the speedup over one at a time; at most 1 at once (first at 0s)"},
		{[]string{"-workers", "12"}, 12,
			"wall 400ms (first start to last end), work 3.6s (24 spans)\n" +
				"work/wall 9.00x: the speedup over one at a time; at most 12 at once (first at 0s)"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append([]string{"-timeline"}, tt.args...), " "), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var plain, out bytes.Buffer
				require.NoError(t, run(t.Context(), &plain, tt.args))
				args := append([]string{"-timeline", "-width", "80"}, tt.args...)
				require.NoError(t, run(t.Context(), &out, args))

				chart, ok := strings.CutPrefix(out.String(), plain.String())
				require.True(t, ok, "-timeline changed the lesson's own output:\n%s", &out)
				assert.Contains(t, chart, tt.want)
				for _, part := range []string{"fan-out", "order"} {
					for id := 1; id <= tt.workers; id++ {
						assert.Regexp(t, fmt.Sprintf(`\n%s square %d +│`, part, id), chart,
							"no row of its own for %s worker %d", part, id)
					}
				}
				if tt.workers == 1 {
					timelinetest.Golden(t, "pipeline-timeline", chart)
				}
			})
		})
	}
}

// TestTimelineSpans runs six items with -timeline in fake time, few
// enough for the legend to list every span, and checks each span: when
// each item's work starts and how long it takes, whichever worker does
// it, and that no worker works on two items at once. Part 2's items take
// 100ms each, three at a time; part 3 starts at 200ms, and item k takes
// (k mod 3 + 1) × 100ms, each starting as soon as a worker is free.
func TestTimelineSpans(t *testing.T) {
	type span struct{ start, took time.Duration }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := map[string]span{
		"fan-out item 1": {0, ms(100)}, "fan-out item 2": {0, ms(100)},
		"fan-out item 3": {0, ms(100)}, "fan-out item 4": {ms(100), ms(100)},
		"fan-out item 5": {ms(100), ms(100)}, "fan-out item 6": {ms(100), ms(100)},
		"order item 1": {ms(200), ms(200)}, "order item 2": {ms(200), ms(300)},
		"order item 3": {ms(200), ms(100)}, "order item 4": {ms(300), ms(200)},
		"order item 5": {ms(400), ms(300)}, "order item 6": {ms(500), ms(100)},
	}
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, run(t.Context(), &out,
			[]string{"-n", "6", "-fail", "4", "-timeline", "-width", "80"}))
		legend := regexp.MustCompile(`(?m)^(fan-out|order) square (\d) +item (\d) +(\S+) +(\S+)$`)
		got := make(map[string]span)
		busy := make(map[string][]span) // each worker's spans, in start order
		for _, m := range legend.FindAllStringSubmatch(out.String(), -1) {
			start, err := time.ParseDuration(m[4])
			require.NoError(t, err)
			took, err := time.ParseDuration(m[5])
			require.NoError(t, err)
			s := span{start, took}
			key := m[1] + " item " + m[3]
			_, seen := got[key]
			assert.False(t, seen, "%s was worked on twice", key)
			got[key] = s
			worker := m[1] + " square " + m[2]
			busy[worker] = append(busy[worker], s)
		}
		assert.Equal(t, want, got)
		for worker, spans := range busy {
			slices.SortFunc(spans, func(a, b span) int { return int(a.start - b.start) })
			for i := 1; i < len(spans); i++ {
				assert.GreaterOrEqual(t, spans[i].start, spans[i-1].start+spans[i-1].took,
					"%s started an item before it finished the one before", worker)
			}
		}
		assert.Contains(t, out.String(), "at most 3 at once (first at 0s)")
	})
}

// TestTraceFlag runs the lesson with -trace, outside synctest (the
// runtime's tracer cannot run in a bubble), with one worker and no
// simulated work, and checks the file: a Go execution trace in which, as
// go tool trace -d=parsed shows, the run is a task named pipeline and
// each item a worker squared a region of that task named after the
// worker's row, with the item logged as its label. The lesson's output
// is unchanged.
func TestTraceFlag(t *testing.T) {
	timelinetest.SkipIfTracing(t)
	args := []string{"-n", "3", "-workers", "1", "-work", "0", "-take", "1", "-fail", "2"}
	var plain, out bytes.Buffer
	require.NoError(t, run(t.Context(), &plain, args))
	path := filepath.Join(t.TempDir(), "trace.out")
	require.NoError(t, run(t.Context(), &out, append(args, "-trace", path)))
	assert.Equal(t, plain.String(), out.String(), "-trace alone prints nothing more")
	tr := timelinetest.ReadTrace(t, path)
	id := tr.Task(t, "pipeline")
	for _, row := range []string{"fan-out square 1", "order square 1"} {
		begun, ended := tr.Regions(id, row)
		assert.Equal(t, 3, begun, "regions begun on %s", row)
		assert.Equal(t, 3, ended, "regions ended on %s", row)
	}
	for n := 1; n <= 3; n++ {
		assert.Equal(t, 2, tr.Labels(id, fmt.Sprintf("item %d", n)), "item %d logged, once per part", n)
	}
}
