// Wrong: sync.OnceValues keeps the first dial's error (or panic) for good, so a client whose first dial fails never connects.
// Concurrent first calls are handled perfectly: one dial, one connection.
// But the package promises to try again after a failure, and Once never
// does: every later call gets the same error, or the same panic.
// Caught by: TestFailedDialIsRetried, TestPanickingDialIsRetried, TestCallersWaitingOnAFailedDialDialAgain
package once

import "sync"

// A Conn is an open connection to the server.
type Conn struct {
	ID int
}

// A Client connects to its server lazily.
type Client struct {
	conn func() (*Conn, error) // dials on its first call; then the same results
}

// New returns a client that will call dial on its first call of Conn.
func New(dial func() (*Conn, error)) *Client {
	return &Client{conn: sync.OnceValues(dial)}
}

// Conn returns the client's connection, dialling it if there is none yet.
func (c *Client) Conn() (*Conn, error) {
	return c.conn()
}
