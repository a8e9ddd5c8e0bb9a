// Wrong: Conn checks for a connection, then takes the lock and dials without looking again, so every caller that waited for the lock dials once more.
// Caught by: TestConcurrentFirstCallsDialOnce, TestCallersWaitingOnAFailedDialDialAgain
package once

import (
	"sync"
	"sync/atomic"
)

// A Conn is an open connection to the server. The dial function that makes
// it chooses its ID, to tell connections apart.
type Conn struct {
	ID int
}

// A Client connects to its server lazily: the first call of Conn dials,
// and every call after a successful dial returns the same connection. A
// Client is safe for concurrent use by multiple goroutines. Make one with
// New; the zero value has nothing to dial with. A Client must not be
// copied after first use.
type Client struct {
	dial func() (*Conn, error)

	// conn is nil until a dial succeeds, then holds its connection for
	// good. It is atomic so that the fast path, once connected, can read
	// it without the lock: a Store synchronizes before every Load that
	// sees it (https://go.dev/ref/mem), so a caller that loads the
	// pointer also sees the Conn it points to, fully made.
	conn atomic.Pointer[Conn]

	mu sync.Mutex // held while dialling, so that one call dials at a time
}

// New returns a client that will call dial on its first call of Conn. New
// itself does not dial. dial must return a non-nil *Conn or a non-nil
// error.
func New(dial func() (*Conn, error)) *Client {
	return &Client{dial: dial}
}

// Conn returns the client's connection, dialling it if the client has none
// yet. Callers that find no connection dial one at a time, holding the
// client's lock: a caller that arrives while another dials waits for that
// dial to end, then uses its connection or, if it failed, dials in turn.
//
// A successful dial is kept for good: every later call returns its
// connection without dialling or locking, and the return of that dial
// synchronizes before the return of every call of Conn that returns its
// connection. All callers get the same *Conn.
//
// A failure is not kept. If dial returns an error, Conn returns that
// error, unchanged, to the caller whose dial failed, and leaves the client
// unconnected, so the next call dials again. If dial panics, the panic
// reaches the caller of Conn, the lock is released, and the client is
// likewise left unconnected.
func (c *Client) Conn() (*Conn, error) {
	if conn := c.conn.Load(); conn != nil {
		return conn, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.dial() // no second look: another caller may have connected
	if err != nil {
		return nil, err
	}
	c.conn.Store(conn)
	return conn, nil
}
