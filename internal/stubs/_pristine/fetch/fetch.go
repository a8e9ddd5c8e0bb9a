// Package fetch downloads a list of URLs at once, as a crawler or a link
// checker does: at most n requests in flight, a timeout for each request,
// and one deadline for the whole list.
package fetch

import (
	"context"
	"fmt"
	"net/http"
	"time"
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
	// TODO: panic("fetch: InFlight must be at least 1"), "fetch: Timeout
	// must be positive" or "fetch: Deadline must be positive" for bad
	// Limits.

	// TODO: make the deadline's context from ctx (not from
	// context.Background()), with lim.Deadline, and cancel it on the way
	// out.

	// TODO: make the results slice, one Result per URL, and fetch each URL
	// in a goroutine that writes results[i], the slot of its own URL. Let
	// at most lim.InFlight run at once (errgroup.Group with SetLimit, or a
	// channel of tokens), and send nothing more once the deadline's context
	// is done: each URL not sent gets its error.

	// TODO: wait for every goroutine, then return the results.
	return nil
}

// TODO: a helper that fetches one URL: its own context.WithTimeout for
// lim.Timeout, started once it has its slot and cancelled only after the
// body is read; http.NewRequestWithContext and client.Do; resp.Body closed
// on every path; a *StatusError for any status but 200 OK; the body read
// with io.ReadAll.
