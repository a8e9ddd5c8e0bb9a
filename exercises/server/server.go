// Package server is a chat server: every line a client sends goes to every
// other client. A client that stops reading is disconnected once its queue
// of unsent lines is full, so that it never holds up the others.
package server

import (
	"errors"
	"net"
)

// ErrClosed is returned by Join, and by Serve, once Close has been called.
var ErrClosed = errors.New("server: closed")

// A Server relays lines between its clients. Make one with New; the zero
// value is not usable, and a Server must not be copied. Its methods are
// safe for concurrent use. New starts a goroutine: call Close when done
// with the server.
type Server struct {
	// TODO: the queue size; the set of clients, each with its connection
	// and its queue of lines (a buffered channel of capacity queue, which
	// a writer goroutine of its own drains into the connection); a way to
	// stop everything (a channel that Close closes); a sync.WaitGroup for
	// every goroutine the server starts; and the listeners that Serve is
	// accepting on, so that Close can close them.
	//
	// Who owns the set of clients? Either one goroutine, the hub, which
	// the others talk to over channels (join, message, leave), or a
	// sync.Mutex, in a named field with a comment saying what it guards.
}

// New returns a server that keeps at most queue lines waiting for each
// client, besides the one being written to it. It panics if queue is less
// than 1. It starts the server's hub goroutine; Close stops it.
func New(queue int) *Server {
	// TODO: panic("server: queue must be at least 1") if queue < 1; make
	// the server, and start what it needs (a hub goroutine, if you have
	// one, counted in the WaitGroup).
	return &Server{}
}

// Join adds conn as a client and returns once it is one: every line
// another client sends after Join returns reaches conn. From then on the
// server owns conn and closes it when the client leaves, falls behind, or
// the server is closed. If the server is closed, Join closes conn and
// returns ErrClosed.
func (s *Server) Join(conn net.Conn) error {
	// TODO: if the server is closed, close conn and return ErrClosed.
	// Otherwise add the client to the set before returning, and start its
	// two goroutines:
	//  - a reader, which reads lines (bufio.Scanner) and sends each one,
	//    with its newline, to every other client's queue, without ever
	//    waiting: a queue that is full means its client has stopped
	//    reading, and that client is disconnected (removed, its
	//    connection closed, its writer stopped). When the connection
	//    ends, the reader removes its own client the same way.
	//  - a writer, which writes the lines of its client's queue to the
	//    connection until the queue is closed.
	return nil
}

// Serve accepts connections on l and joins each one, until Close is
// called; then it returns ErrClosed. If Accept fails otherwise, Serve
// closes l and returns the error. Serve on a closed server closes l and
// returns ErrClosed.
func (s *Server) Serve(l net.Listener) error {
	// TODO: remember l, so that Close can close it (or close it at once,
	// and return ErrClosed, if the server is closed); then Accept in a
	// loop and Join each connection. When Accept fails, tell Close's
	// doing from a real error.
	return nil
}

// Close stops the server: Serve returns ErrClosed, every client is
// disconnected, and Close returns once every goroutine the server started
// has returned. Calling Close again does nothing more, and returns nil.
func (s *Server) Close() error {
	// TODO: once only (sync.Once): mark the server closed, close every
	// listener Serve is using, and disconnect every client. Then, every
	// time, wait for every goroutine the server started.
	return nil
}
