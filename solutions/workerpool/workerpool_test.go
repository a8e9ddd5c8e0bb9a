package workerpool

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// images returns count images named img0, img1, ...
func images(count int) []Image {
	imgs := make([]Image, count)
	for i := range imgs {
		imgs[i] = Image{Name: fmt.Sprintf("img%d", i), Width: 800, Height: 600}
	}
	return imgs
}

// thumbOf is the Thumb the tests' f makes of img.
func thumbOf(img Image) Thumb {
	return Thumb{Name: img.Name + ".thumb", Width: img.Width / 10,
		Height: img.Height / 10}
}

// A probe is an instrumented f: it counts, with atomics, the calls in
// progress (and the most there ever were), the calls started, and how many
// times each image was shrunk. Image i takes took(i) of fake time, or
// until ctx is done (and then stopTakes more to give up), and then fails
// with errs[i] if that is not nil.
type probe struct {
	took      func(i int) time.Duration
	errs      map[int]error
	stopTakes time.Duration // how long a call takes to return once ctx is done

	inFlight atomic.Int64
	peak     atomic.Int64
	started  atomic.Int64
	calls    []atomic.Int64 // calls[i]: times image i was shrunk
}

func newProbe(count int, took func(i int) time.Duration) *probe {
	return &probe{took: took, calls: make([]atomic.Int64, count)}
}

func (p *probe) f(ctx context.Context, img Image) (Thumb, error) {
	var i int
	if _, err := fmt.Sscanf(img.Name, "img%d", &i); err != nil {
		return Thumb{}, err
	}
	p.started.Add(1)
	p.calls[i].Add(1)
	now := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for pk := p.peak.Load(); now > pk && !p.peak.CompareAndSwap(pk, now); {
		pk = p.peak.Load()
	}
	timer := time.NewTimer(p.took(i))
	defer timer.Stop()
	select {
	case <-timer.C: // the work is done
	case <-ctx.Done(): // cancelled: give up, which may take a while
		time.Sleep(p.stopTakes)
		return Thumb{}, ctx.Err()
	}
	if err := p.errs[i]; err != nil {
		return Thumb{}, err
	}
	return thumbOf(img), nil
}

func oneSecond(int) time.Duration { return time.Second }

// wantThumbs is the results with every job a success.
func wantThumbs(imgs []Image) []Result {
	want := make([]Result, len(imgs))
	for i, img := range imgs {
		want[i] = Result{Thumb: thumbOf(img)}
	}
	return want
}

// TestAtMostNAtOnce checks that never more than n calls of f run at once,
// and that all n are used: count images of 1s take exactly
// ceil(count/n) seconds of fake time, each image shrunk once.
func TestAtMostNAtOnce(t *testing.T) {
	tests := []struct {
		count, n int
		want     time.Duration // ceil(count/n) rounds of 1s
	}{
		{10, 3, 4 * time.Second},
		{9, 3, 3 * time.Second},
		{5, 1, 5 * time.Second},
		{2, 4, time.Second},
		{50, 50, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("images=%d/n=%d", tt.count, tt.n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newProbe(tt.count, oneSecond)
				imgs := images(tt.count)
				begin := time.Now()
				results, err := Process(t.Context(), imgs, tt.n, p.f)
				require.NoError(t, err, "Process's error, with no job failing")
				assert.Equal(t, tt.want, time.Since(begin),
					"%d images of 1s, at most %d at once", tt.count, tt.n)
				assert.Equal(t, int64(min(tt.count, tt.n)), p.peak.Load(),
					"most calls of f in progress at once")
				for i := range tt.count {
					assert.Equal(t, int64(1), p.calls[i].Load(),
						"times image %d was shrunk", i)
				}
				assert.Equal(t, wantThumbs(imgs), results, "the results: want image i's thumb at index i")
			})
		})
	}
}

// TestFreeWorkerTakesTheNextImage shrinks 5 images with n = 2, the first
// of 4s and the others of 1s. While one worker shrinks the slow image,
// the other must take the four quick ones, one after another: the batch
// takes exactly 4s. Images split among the workers in advance (in chunks,
// or every other one) leave a worker idle while images wait for the
// other, and take 6s.
func TestFreeWorkerTakesTheNextImage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const count, n = 5, 2
		p := newProbe(count, func(i int) time.Duration {
			if i == 0 {
				return 4 * time.Second
			}
			return time.Second
		})
		imgs := images(count)
		begin := time.Now()
		results, err := Process(t.Context(), imgs, n, p.f)
		require.NoError(t, err, "Process's error, with no job failing")
		assert.Equal(t, 4*time.Second, time.Since(begin),
			"5 images, the first of 4s and the others of 1s, at most 2 at "+
				"once, took; want 4s: a worker that is free must take the "+
				"next image waiting, whichever worker it would have gone to "+
				"had the images been split among the workers in advance")
		assert.Equal(t, int64(n), p.peak.Load(), "most calls of f in progress at once")
		assert.Equal(t, wantThumbs(imgs), results, "the results, in input order")
	})
}

// TestResultsInInputOrder makes the later images quicker, so that the
// calls finish in reverse order. results[i] must still be image i's.
func TestResultsInInputOrder(t *testing.T) {
	for _, n := range []int{6, 2} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const count = 6
				reverse := func(i int) time.Duration {
					return time.Duration(count-i) * time.Second
				}
				p := newProbe(count, reverse)
				imgs := images(count)
				results, err := Process(t.Context(), imgs, n, p.f)
				require.NoError(t, err, "Process's error, with no job failing")
				assert.Equal(t, wantThumbs(imgs), results, "the results, with the later images "+
					"finishing first: want image i's thumb at index i, whatever order "+
					"the calls finished in")
			})
		})
	}
}

// TestEveryErrorAtItsIndex makes three of seven images fail, at different
// moments. Each error must be reported in its own image's Result, the
// other images must have their thumbs, and Process itself must not fail.
func TestEveryErrorAtItsIndex(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const count = 7
		p := newProbe(count, func(i int) time.Duration {
			return time.Duration(i+1) * time.Second
		})
		p.errs = map[int]error{
			1: errors.New("img1: corrupt"),
			3: errors.New("img3: too small"),
			4: errors.New("img4: unsupported format"),
		}
		imgs := images(count)
		results, err := Process(t.Context(), imgs, 2, p.f)
		require.NoError(t, err, "a job's error is not Process's error")
		require.Len(t, results, count, "want one Result per image, failed or not")
		for i, img := range imgs {
			if want := p.errs[i]; want != nil {
				assert.ErrorIs(t, results[i].Err, want, "results[%d].Err", i)
			} else {
				assert.Equal(t, Result{Thumb: thumbOf(img)}, results[i],
					"results[%d]", i)
			}
		}
		for i := range count {
			assert.Equal(t, int64(1), p.calls[i].Load(),
				"times image %d was shrunk: an error must not stop the others", i)
		}
	})
}

// TestCancelStopsStartingJobs cancels ctx at 1.5s, while the second round
// of 10 images with 3 workers runs. Process must return nil and
// context.Canceled at that very moment, having started no image after
// the cancel (6 in all) and left none in progress.
func TestCancelStopsStartingJobs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1500*time.Millisecond, cancel)
		p := newProbe(10, oneSecond)
		begin := time.Now()
		results, err := Process(ctx, images(10), 3, p.f)
		assert.ErrorIs(t, err, context.Canceled, "Process's error after a cancel")
		assert.Nil(t, results, "Process's results after a cancel")
		assert.Equal(t, 1500*time.Millisecond, time.Since(begin),
			"returned after; want the moment ctx was cancelled")
		assert.Equal(t, int64(6), p.started.Load(), "images started")
		assert.Zero(t, p.inFlight.Load(), "calls still in progress")
	})
}

// TestCancelWaitsForCallsInProgress cancels ctx at 1.5s, as above, but
// each call of f takes 500ms to give up once ctx is done (it frees its
// buffers, say). Process must wait for the calls in progress: it returns
// context.Canceled at exactly 2s, with none still in progress, not at
// 1.5s with three calls still running.
func TestCancelWaitsForCallsInProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		time.AfterFunc(1500*time.Millisecond, cancel)
		// A Process that returns without waiting leaves calls of f running
		// for 500ms: we outlast them, so that the test reports them rather
		// than synctest panicking because goroutines remain.
		defer time.Sleep(time.Second)
		p := newProbe(10, oneSecond)
		p.stopTakes = 500 * time.Millisecond
		begin := time.Now()
		results, err := Process(ctx, images(10), 3, p.f)
		returned := time.Since(begin)
		inFlight := p.inFlight.Load()
		assert.ErrorIs(t, err, context.Canceled, "Process's error after a cancel")
		assert.Nil(t, results, "Process's results after a cancel")
		assert.Zero(t, inFlight, "calls of f still in progress when Process "+
			"returned: after a cancel, Process must still wait for every "+
			"call in progress (wg.Wait on every way out)")
		assert.Equal(t, 2*time.Second, returned, "Process returned after; "+
			"want the moment the last call in progress returned (cancelled "+
			"at 1.5s, each call takes 500ms to give up)")
		assert.Equal(t, int64(6), p.started.Load(), "images started")
	})
}

// TestCancelledBeforeTheStart checks that with ctx already done, Process
// calls f for no image and returns ctx.Err().
func TestCancelledBeforeTheStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		p := newProbe(5, oneSecond)
		results, err := Process(ctx, images(5), 2, p.f)
		assert.ErrorIs(t, err, context.Canceled, "Process's error with ctx already done")
		assert.Nil(t, results, "Process's results with ctx already done")
		assert.Zero(t, p.started.Load(), "images started")
	})
}

// TestNoImages checks that no images give no results and no error.
func TestNoImages(t *testing.T) {
	p := newProbe(0, oneSecond)
	results, err := Process(t.Context(), nil, 3, p.f)
	require.NoError(t, err, "Process's error with no images")
	assert.Empty(t, results, "Process's results with no images")
}

// TestNoGoroutineLeft checks, with real time and instant jobs, that every
// goroutine Process starts has returned when it returns: after a batch
// with errors, and after a cancel.
func TestNoGoroutineLeft(t *testing.T) {
	instant := func(int) time.Duration { return 0 }
	p := newProbe(20, instant)
	p.errs = map[int]error{3: errors.New("img3: corrupt")}
	_, err := Process(t.Context(), images(20), 4, p.f)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Process(ctx, images(20), 4, newProbe(20, instant).f)
	require.ErrorIs(t, err, context.Canceled)
	goleak.VerifyNone(t)
}

// TestPanicsOnBadN checks that n below 1 is reported as the caller's bug.
func TestPanicsOnBadN(t *testing.T) {
	for _, n := range []int{0, -1} {
		assert.PanicsWithValue(t, "workerpool: n must be at least 1", func() {
			_, _ = Process(t.Context(), images(3), n, newProbe(3, oneSecond).f)
		}, "n = %d", n)
	}
}
