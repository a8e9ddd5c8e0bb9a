// Package once is a client that connects to its server lazily, on first
// use, exactly once, however many goroutines make that first use at the
// same time, and that tries again after a failed dial.
package once

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
	// TODO: the dial function; the connection, once a dial has succeeded;
	// and whatever keeps two calls from dialling at the same time, with a
	// comment saying what it guards.
}

// New returns a client that will call dial on its first call of Conn. New
// itself does not dial. dial must return a non-nil *Conn or a non-nil
// error.
func New(dial func() (*Conn, error)) *Client {
	// TODO: keep dial for Conn to call. Do not call it here.
	return &Client{}
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
	// TODO: if the client is connected, return the connection without
	// taking a lock (read it so that the race detector has nothing to
	// report). Otherwise take the lock, look again (someone may have
	// connected while you waited), dial, and keep the connection only if
	// the dial succeeded. Release the lock on every way out.
	return nil, nil
}
