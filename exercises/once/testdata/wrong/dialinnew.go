// Wrong: New dials at once, eagerly, instead of on the first call of Conn.
// It keeps the connection if New's dial succeeds, and Conn dials again if
// it failed. Correct otherwise, but every client pays for a connection,
// whether or not it is ever used, and New blocks for as long as the dial.
// Caught by: TestNewDoesNotDial, TestConcurrentFirstCallsDialOnce
package once

import "sync"

// A Conn is an open connection to the server.
type Conn struct {
	ID int
}

// A Client connects to its server when it is made.
type Client struct {
	dial func() (*Conn, error)
	mu   sync.Mutex // guards conn
	conn *Conn
}

// New returns a client, and dials its connection right away.
func New(dial func() (*Conn, error)) *Client {
	c := &Client{dial: dial}
	if conn, err := dial(); err == nil {
		c.conn = conn
	}
	return c
}

// Conn returns the client's connection, dialling it if New's dial failed.
func (c *Client) Conn() (*Conn, error) {
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
