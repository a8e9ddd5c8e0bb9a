// Wrong: each client's reader writes the line to every other client itself, holding the lock: no queue, no writer.
// A client that does not read blocks that Write, and with it the
// sender's reader and the lock: nobody gets a line any more.
// Caught by: TestSlowClientDoesNotStallOthers
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

	mu        sync.Mutex // guards clients, listeners and closed
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
	s.mu.Lock()
	defer s.mu.Unlock()
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
		s.mu.Lock()
		for other := range s.clients {
			if other == c {
				continue
			}
			if _, err := other.conn.Write(line); err != nil {
				s.dropLocked(other)
			}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	if s.clients[c] {
		s.dropLocked(c)
	}
	s.mu.Unlock()
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
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrClosed
	}
	s.listeners[l] = true
	s.mu.Unlock()
	for {
		conn, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			delete(s.listeners, l)
			s.mu.Unlock()
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
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for l := range s.listeners {
			l.Close()
		}
		for c := range s.clients {
			s.dropLocked(c)
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}
