// Wrong: double-checked locking on a plain pointer: the first check reads conn without the lock while the dialling caller writes it under the lock.
// It dials once and every caller gets the same connection, yet it is a
// data race: the unguarded read and the write are not ordered by
// anything, and the race detector reports it in every run.
// TestCallersWaitingOnAFailedDialDialAgain catches it too when run on its
// own; after the first test, the detector does not report the same pair
// of accesses again.
// Caught by: TestConcurrentFirstCallsDialOnce
package once

import "sync"

// A Conn is an open connection to the server.
type Conn struct {
	ID int
}

// A Client connects to its server lazily.
type Client struct {
	dial func() (*Conn, error)
	mu   sync.Mutex // guards conn, except for the first check in Conn
	conn *Conn
}

// New returns a client that will call dial on its first call of Conn.
func New(dial func() (*Conn, error)) *Client {
	return &Client{dial: dial}
}

// Conn returns the client's connection, dialling it if there is none yet.
func (c *Client) Conn() (*Conn, error) {
	if c.conn != nil { // no lock: "only a read, and only of a pointer"
		return c.conn, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		conn, err := c.dial()
		if err != nil {
			return nil, err
		}
		c.conn = conn
	}
	return c.conn, nil
}
