// Wrong: the map of clients has no lock, and every client's goroutines and Join read and write it at once.
// Joins at the same moment write the map together: a data race, which
// -race reports, and which can crash the program ("concurrent map
// writes").
// Caught by: TestManyClientsAtOnce
package server

import (
	"bufio"
	"errors"
	"net"
	"sync"
)

// ErrClosed is returned by Join, and by Serve, once Close has been called.
var ErrClosed = errors.New("server: closed")

// A Server relays lines between its clients.
type Server struct {
	queue int
	wg    sync.WaitGroup // each client's reader and writer

	clients   map[*client]bool
	listeners map[net.Listener]bool
	closed    bool
}

// A client is one connection and the lines waiting for it.
type client struct {
	conn net.Conn
	out  chan []byte // closed by drop
}

// New returns a server that keeps at most queue lines waiting for each
// client.
func New(queue int) *Server {
	if queue < 1 {
		panic("server: queue must be at least 1")
	}
	return &Server{queue: queue, clients: map[*client]bool{},
		listeners: map[net.Listener]bool{}}
}

// Join adds conn as a client.
func (s *Server) Join(conn net.Conn) error {
	c := &client{conn: conn, out: make(chan []byte, s.queue)}
	if s.closed {
		conn.Close()
		return ErrClosed
	}
	s.clients[c] = true
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.read(c)
	}()
	go func() {
		defer s.wg.Done()
		s.write(c)
	}()
	return nil
}

// read relays c's lines to the others, then drops c.
func (s *Server) read(c *client) {
	sc := bufio.NewScanner(c.conn)
	for sc.Scan() {
		line := []byte(sc.Text() + "\n")
		for other := range s.clients {
			if other == c {
				continue
			}
			select {
			case other.out <- line:
			default: // full: other has stopped reading
				s.dropLocked(other)
			}
		}
	}
	if s.clients[c] {
		s.dropLocked(c)
	}
}

// dropLocked removes c, closes its connection and stops its writer. The
// caller holds s.mu.
func (s *Server) dropLocked(c *client) {
	delete(s.clients, c)
	c.conn.Close()
	close(c.out)
}

// write writes c's lines until its queue is closed.
func (s *Server) write(c *client) {
	for line := range c.out {
		if _, err := c.conn.Write(line); err != nil {
			c.conn.Close()
			return
		}
	}
}

// Serve accepts connections on l and joins each one, until Close.
func (s *Server) Serve(l net.Listener) error {
	if s.closed {
		l.Close()
		return ErrClosed
	}
	s.listeners[l] = true
	for {
		conn, err := l.Accept()
		if err != nil {
			closed := s.closed
			delete(s.listeners, l)
			if closed {
				return ErrClosed
			}
			l.Close()
			return err
		}
		if err := s.Join(conn); err != nil {
			return err
		}
	}
}

// Close stops the server and waits for its goroutines.
func (s *Server) Close() error {
	if !s.closed {
		s.closed = true
		for l := range s.listeners {
			l.Close()
		}
		for c := range s.clients {
			s.dropLocked(c)
		}
	}
	s.wg.Wait()
	return nil
}
