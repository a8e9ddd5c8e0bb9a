package once

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The tests use only the package's exported API, so that they test the
// stub and the solution alike. They run under the race detector (go run
// ./cmd/workbook check once adds -race), so an unguarded read of the
// connection fails them even when every caller happens to get the right
// one. None uses synctest: a goroutine waiting for the client's lock is
// not durably blocked there. Where callers must wait for a dial that the
// test holds up, the test holds it with a channel it closes itself, and
// hangcheck turns a lock that is never released into a failure.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// errRefused is what the tests' failing dials return.
var errRefused = errors.New("dial: connection refused")

// errNoRoute is what the tests' panicking dials panic with.
var errNoRoute = errors.New("dial: no route to host")

// callers is how many goroutines make the first call at the same time.
const callers = 100

// A dialer is a dial function for the tests. Its n-th call makes the
// connection with ID n, or, for the calls listed in fail and panics, fails
// or panics. If block is true, its first call waits until the test calls
// release. It counts its calls, and closes dialling when the first begins.
type dialer struct {
	fail   map[int]bool // calls that return errRefused
	panics map[int]bool // calls that panic with errNoRoute
	block  bool         // the first call waits for release

	calls     atomic.Int64
	dialling  chan struct{} // closed when the first call begins
	unblock   chan struct{} // closed by release
	releaseFn func()
}

// newDialer returns a dialer whose dials all succeed at once. Set fail,
// panics and block before its first call. Its first call, if blocked, is
// released at the latest when the test ends, so that no goroutine is left
// waiting for it.
func newDialer(t *testing.T) *dialer {
	d := &dialer{
		dialling: make(chan struct{}),
		unblock:  make(chan struct{}),
	}
	d.releaseFn = sync.OnceFunc(func() { close(d.unblock) })
	t.Cleanup(d.release)
	return d
}

// release lets a blocked first call return. It may be called any number
// of times.
func (d *dialer) release() { d.releaseFn() }

// dial is the function the tests hand to New.
func (d *dialer) dial() (*Conn, error) {
	n := int(d.calls.Add(1))
	if n == 1 {
		close(d.dialling)
		if d.block {
			<-d.unblock
		}
	}
	switch {
	case d.fail[n]:
		return nil, errRefused
	case d.panics[n]:
		panic(errNoRoute)
	}
	return &Conn{ID: n}, nil
}

// dials returns how many times dial has been called.
func (d *dialer) dials() int { return int(d.calls.Load()) }

// recovered calls f and returns what f panicked with, or nil if it
// returned.
func recovered(f func()) (panicked any) {
	defer func() { panicked = recover() }()
	f()
	return nil
}

// firstCallsAtOnce makes a client with d and has callers goroutines call
// Conn on it at the same time, while d's first dial waits: it releases
// that dial only once every caller has reached its call of Conn and the
// dial has begun (or every call has returned without dialling). It
// returns what each caller got, by caller, and fails the test if the
// calls do not all return within hangcheck's bound.
func firstCallsAtOnce(t *testing.T, d *dialer) (conns []*Conn, errs []error) {
	t.Helper()
	d.block = true
	conns = make([]*Conn, callers)
	errs = make([]error, callers)
	what := fmt.Sprintf("%d concurrent first calls of Conn", callers)
	hangcheck.Within(t, what, func() {
		c := New(d.dial)

		// We count each caller just before it calls Conn: whether it is
		// already waiting inside Conn, we cannot see.
		var arrived sync.WaitGroup
		arrived.Add(callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				arrived.Done()
				conns[i], errs[i] = c.Conn()
			})
		}
		returned := make(chan struct{}) // closed once every caller has returned
		go func() {
			wg.Wait()
			close(returned)
		}()

		arrived.Wait()
		select {
		case <-d.dialling: // the first dial has begun, and waits for release
		case <-returned: // every call returned without dialling
		}
		d.release()
		<-returned
	})
	return conns, errs
}

func TestNewDoesNotDial(t *testing.T) {
	d := newDialer(t)
	c := New(d.dial)
	assert.Zero(t, d.dials(), "dials made by New")

	var first, second *Conn
	var firstErr, secondErr error
	var dialsAfterFirst int
	hangcheck.Within(t, "two calls of Conn, one after the other", func() {
		first, firstErr = c.Conn()
		dialsAfterFirst = d.dials()
		second, secondErr = c.Conn()
	})
	require.NoError(t, firstErr, "the first Conn")
	require.NotNil(t, first, "the first Conn returned no connection and no error")
	assert.Equal(t, 1, dialsAfterFirst, "dials after the first Conn")
	require.NoError(t, secondErr, "the second Conn")
	assert.Same(t, first, second, "the second Conn returned another "+
		"connection: a successful dial must be kept")
	assert.Equal(t, 1, d.dials(), "dials after the second Conn: want "+
		"still 1, the first dial's connection kept")
}

func TestConcurrentFirstCallsDialOnce(t *testing.T) {
	d := newDialer(t)
	conns, errs := firstCallsAtOnce(t, d)

	assert.Equal(t, 1, d.dials(), "times dial was called for %d concurrent "+
		"first calls: want 1, whose connection they all share (a caller "+
		"that waited while another dialled must use that connection)", callers)
	for i := range callers {
		require.NoError(t, errs[i], "caller %d", i)
		require.NotNil(t, conns[i], "caller %d got no connection", i)
		require.Equal(t, 1, conns[i].ID, "caller %d got connection #%d, want #1",
			i, conns[i].ID)
		require.Same(t, conns[0], conns[i],
			"callers 0 and %d got different connections", i)
	}
}

func TestFailedDialIsRetried(t *testing.T) {
	d := newDialer(t)
	d.fail = map[int]bool{1: true} // the server is not up yet
	c := New(d.dial)

	// We record what we see and check it once hangcheck is done: a test
	// must not fail from a goroutine it started.
	var first, second, third *Conn
	var firstErr, secondErr, thirdErr error
	hangcheck.Within(t, "Conn after a failed dial", func() {
		first, firstErr = c.Conn()
		second, secondErr = c.Conn()
		third, thirdErr = c.Conn()
	})
	require.ErrorIs(t, firstErr, errRefused, "the first Conn, whose dial fails")
	assert.Nil(t, first, "the failed Conn returned a connection")
	require.NoError(t, secondErr, "the second Conn should dial again, and succeed")
	require.NotNil(t, second, "the second Conn returned no connection and no error")
	assert.Equal(t, 2, second.ID, "the second Conn's connection")
	require.NoError(t, thirdErr, "the third Conn")
	assert.Same(t, second, third, "the third Conn should keep the second's connection")
	assert.Equal(t, 2, d.dials(), "dials: one failed, one kept")
}

func TestCallersWaitingOnAFailedDialDialAgain(t *testing.T) {
	// The first dial fails after every caller has asked. The error goes
	// to the one caller whose dial failed; the others, who were waiting,
	// find no connection, and the next of them to dial succeeds.
	d := newDialer(t)
	d.fail = map[int]bool{1: true}
	conns, errs := firstCallsAtOnce(t, d)

	assert.Equal(t, 2, d.dials(), "dials: the failed one, then one that succeeds")

	// We sort the callers by what they got, and collect the connections.
	got := map[string]int{}
	distinct := map[*Conn]bool{}
	for i := range callers {
		switch {
		case errors.Is(errs[i], errRefused) && conns[i] == nil:
			got["errRefused"]++
		case errs[i] != nil:
			got["another error, or an error and a connection"]++
		case conns[i] == nil:
			got["no connection and no error"]++
		default:
			got["a connection"]++
			distinct[conns[i]] = true
		}
	}
	assert.Equal(t, map[string]int{"errRefused": 1, "a connection": callers - 1}, got,
		"what the callers got: the error only for the caller whose dial failed")
	var ids []int
	for conn := range distinct {
		ids = append(ids, conn.ID)
	}
	slices.Sort(ids)
	assert.Equal(t, []int{2}, ids, "the IDs of the connections the other "+
		"callers got: want one connection, #2 from the second dial, shared "+
		"by all of them")
}

func TestPanickingDialIsRetried(t *testing.T) {
	d := newDialer(t)
	d.panics = map[int]bool{1: true}
	var c *Client
	require.Nil(t, recovered(func() { c = New(d.dial) }),
		"New called dial, which panicked")

	var first, second *Conn
	var firstPanic, secondPanic any
	var secondErr error
	hangcheck.Within(t, "Conn after a dial that panicked", func() {
		firstPanic = recovered(func() { first, _ = c.Conn() })
		secondPanic = recovered(func() { second, secondErr = c.Conn() })
	})
	assert.Equal(t, any(errNoRoute), firstPanic,
		"the first Conn should pass on the dial's panic")
	assert.Nil(t, first, "the connection the first Conn returned, when its dial panicked")
	require.Nil(t, secondPanic, "the second Conn should dial again, not panic")
	require.NoError(t, secondErr, "the second Conn")
	require.NotNil(t, second, "the second Conn returned no connection")
	assert.Equal(t, 2, second.ID, "the second Conn's connection")
	assert.Equal(t, 2, d.dials(), "dials: one panicked, one kept")
}
