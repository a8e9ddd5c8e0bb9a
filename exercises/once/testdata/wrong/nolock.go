// Wrong: check, then dial, with no lock at all: concurrent first calls all see no connection and all dial, racing on the field.
// Every caller reads conn while the caller that dialled writes it, and
// nothing orders the two: the race detector reports it in every run, and
// callers that check before the first dial returns dial again.
// TestCallersWaitingOnAFailedDialDialAgain catches it too when run on its
// own; after the first test, the detector does not report the same pair
// of accesses again.
// Caught by: TestConcurrentFirstCallsDialOnce
package once

// A Conn is an open connection to the server.
type Conn struct {
	ID int
}

// A Client connects to its server lazily. Nothing guards conn.
type Client struct {
	dial func() (*Conn, error)
	conn *Conn
}

// New returns a client that will call dial on its first call of Conn.
func New(dial func() (*Conn, error)) *Client {
	return &Client{dial: dial}
}

// Conn returns the client's connection, dialling it if there is none yet.
func (c *Client) Conn() (*Conn, error) {
	if c.conn != nil { // a data race with the write below
		return c.conn, nil
	}
	conn, err := c.dial() // every caller that got here dials
	if err != nil {
		return nil, err
	}
	c.conn = conn
	return conn, nil
}
