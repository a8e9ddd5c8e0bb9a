// Wrong: the lock is held while dialling and released by hand on success only, so a failed or panicking dial leaves it held and the next call deadlocks.
// Caught by: TestFailedDialIsRetried, TestPanickingDialIsRetried, TestCallersWaitingOnAFailedDialDialAgain
package once

import "sync"

// A Conn is an open connection to the server.
type Conn struct {
	ID int
}

// A Client connects to its server lazily.
type Client struct {
	dial func() (*Conn, error)
	mu   sync.Mutex // guards conn
	conn *Conn
}

// New returns a client that will call dial on its first call of Conn.
func New(dial func() (*Conn, error)) *Client {
	return &Client{dial: dial}
}

// Conn returns the client's connection, dialling it if there is none yet.
func (c *Client) Conn() (*Conn, error) {
	c.mu.Lock()
	if c.conn != nil {
		defer c.mu.Unlock()
		return c.conn, nil
	}
	conn, err := c.dial() // a panic here leaves c.mu held too
	if err != nil {
		return nil, err // still holding c.mu
	}
	c.conn = conn
	c.mu.Unlock()
	return conn, nil
}
