// Wrong: once the deadline has passed, the loop stops sending and breaks
// out, leaving the URLs it never sent with an empty Result: no body and
// no error, as if they had succeeded with an empty page.
// Caught by: TestDeadlineForTheWholeList, TestCancelledBeforeTheStart
package fetch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// Limits bound a call of Fetch.
type Limits struct {
	// InFlight is the most requests in flight at any moment; at least 1.
	InFlight int
	// Timeout is each request's own time limit, from the moment it is
	// sent until its body has been read; waiting for a free slot does not
	// count. Positive.
	Timeout time.Duration
	// Deadline is the whole call's time limit, from the moment Fetch is
	// called. Positive.
	Deadline time.Duration
}

// A Result is the outcome of fetching one URL.
type Result struct {
	Body []byte // the whole body of a 200 OK response; nil if Err is not
	Err  error  // why there is no Body, or nil
}

// A StatusError is a Result's Err when the server answered with a status
// other than 200 OK.
type StatusError struct {
	Code int // the response's status code, such as 503
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("fetch: status %d %s", e.Code, http.StatusText(e.Code))
}

// Fetch GETs every URL in urls with client, and returns one Result per
// URL, in input order: results[i] is urls[i]'s, whatever order the
// answers come in. It does not change client.
//
// At most lim.InFlight requests are in flight at any moment, and each has
// lim.Timeout, from the moment it is sent until its body has been read.
// The whole call has lim.Deadline: when it passes, or when ctx is done,
// the requests in flight are cut off and no more are sent; each URL left
// without a body gets an error that wraps ctx's (context.DeadlineExceeded
// or context.Canceled), and Fetch returns at once.
//
// A URL that fails does not stop the others: its error is kept in its own
// Result. A response with a status other than 200 OK is an error, a
// *StatusError. Every response body is closed, whatever its status. Every
// goroutine Fetch starts has returned when it returns.
//
// Fetch panics if lim.InFlight is less than 1, or lim.Timeout or
// lim.Deadline is not positive.
func Fetch(ctx context.Context, client *http.Client, urls []string, lim Limits) []Result {
	switch {
	case lim.InFlight < 1:
		panic("fetch: InFlight must be at least 1")
	case lim.Timeout <= 0:
		panic("fetch: Timeout must be positive")
	case lim.Deadline <= 0:
		panic("fetch: Deadline must be positive")
	}
	// The deadline's context comes from ctx, so that the caller's cancel
	// ends the list too. Every request's context comes from it in turn:
	// when it is done, the requests in flight are cut off.
	ctx, cancel := context.WithTimeout(ctx, lim.Deadline)
	defer cancel()

	// Each goroutine writes results[i], the slot of its own URL: no lock,
	// no append, and the order is the input's. g.Go waits while
	// lim.InFlight functions run; it does not watch ctx while it waits, so
	// we look at ctx before each one. Our functions return nil: an error
	// is kept at its index, and cancels nothing (errgroup.WithContext
	// would cancel all the others at the first one).
	results := make([]Result, len(urls))
	var g errgroup.Group
	g.SetLimit(lim.InFlight)
	for i, u := range urls {
		if ctx.Err() != nil {
			break // no more to send
		}
		g.Go(func() error {
			results[i] = get(ctx, client, u, lim.Timeout)
			return nil
		})
	}
	_ = g.Wait() // every function returns nil
	return results
}

// get GETs url with client, giving up after timeout or when ctx is done,
// and returns its Result. It closes the response body on every path.
func get(ctx context.Context, client *http.Client, url string, timeout time.Duration) Result {
	// The request's timeout starts now, once it has its slot. Its cancel
	// runs when get returns, after the body has been read: cancelled
	// earlier, it would cut the body off.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Result{Err: err}
	}
	resp, err := client.Do(req)
	if err != nil {
		return Result{Err: err}
	}
	defer resp.Body.Close() // on every path, the error statuses included
	if resp.StatusCode != http.StatusOK {
		return Result{Err: &StatusError{Code: resp.StatusCode}}
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{Err: err}
	}
	return Result{Body: body}
}
