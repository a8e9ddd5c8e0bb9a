// Wrong: Close signals everyone to stop and returns at once, without waiting for the server's goroutines.
// The hub is still closing the connections, and the readers and writers
// are still running, when Close returns; a caller that then exits, or
// reuses the connections' resources, races with them.
// Caught by: TestCloseWaitsForEverything
package server

import (
	"bufio"
	"errors"
	"net"
	"sync"
)

// ErrClosed is returned by Join, and by Serve, once Close has been called.
var ErrClosed = errors.New("server: closed")

// A Server relays lines between its clients. Make one with New; the zero
// value is not usable, and a Server must not be copied. Its methods are
// safe for concurrent use. New starts a goroutine: call Close when done
// with the server.
type Server struct {
	queue int // how many lines may wait for a client

	// One goroutine, the hub, owns the set of clients. The others talk to
	// it over these channels, so that no lock guards the set.
	joining  chan joinRequest // Join hands the hub a new client
	messages chan message     // a client's reader hands the hub a line
	leaving  chan *client     // a client's reader says its client left
	quit     chan struct{}    // closed by Close: every goroutine stops

	closeOnce sync.Once
	wg        sync.WaitGroup // the hub, and each client's reader and writer

	mu        sync.Mutex // guards listeners
	listeners map[net.Listener]bool
}

// A client is one connection, as the hub knows it.
type client struct {
	conn net.Conn
	out  chan []byte // the lines waiting to be written to conn; closed by the hub
}

// A joinRequest asks the hub to add c; the hub closes done once it has.
type joinRequest struct {
	c    *client
	done chan struct{}
}

// A message is a line, with its newline, and the client that sent it.
type message struct {
	from *client
	line []byte
}

// New returns a server that keeps at most queue lines waiting for each
// client, besides the one being written to it. It panics if queue is less
// than 1. It starts the server's hub goroutine; Close stops it.
func New(queue int) *Server {
	if queue < 1 {
		panic("server: queue must be at least 1")
	}
	s := &Server{
		queue:     queue,
		joining:   make(chan joinRequest),
		messages:  make(chan message),
		leaving:   make(chan *client),
		quit:      make(chan struct{}),
		listeners: map[net.Listener]bool{},
	}
	s.wg.Go(s.hub)
	return s
}

// hub owns the set of clients: it adds them, relays each line to every
// client but its sender, and drops clients that left or fell behind. It
// never blocks on a client, only on its own channels, and returns once
// Close is called, after dropping every client.
func (s *Server) hub() {
	clients := map[*client]bool{}
	for {
		select {
		case req := <-s.joining: // a new client
			clients[req.c] = true
			// Note that the hub starts the client's goroutines: it is
			// itself counted in s.wg until Close, so these Adds always
			// happen before Close's wg.Wait returns.
			s.wg.Go(func() { s.read(req.c) })
			s.wg.Go(func() { s.write(req.c) })
			close(req.done)
		case m := <-s.messages: // a line to relay
			for c := range clients {
				if c == m.from {
					continue // never back to its sender
				}
				select {
				case c.out <- m.line: // queued for c's writer
				default: // c's queue is full: c has stopped reading
					s.drop(clients, c)
				}
			}
		case c := <-s.leaving: // a client's connection ended
			if clients[c] {
				s.drop(clients, c)
			}
		case <-s.quit: // Close: drop everyone and stop
			for c := range clients {
				s.drop(clients, c)
			}
			return
		}
	}
}

// drop removes c from clients, closes its connection, which ends a Write
// or Read in progress, and closes its queue, which ends its writer.
func (s *Server) drop(clients map[*client]bool, c *client) {
	delete(clients, c)
	c.conn.Close()
	close(c.out)
}

// read reads c's lines and hands them to the hub, until the connection
// ends; then it tells the hub that c left.
func (s *Server) read(c *client) {
	sc := bufio.NewScanner(c.conn)
	for sc.Scan() {
		line := []byte(sc.Text() + "\n") // a copy: Scan reuses its buffer
		select {
		case s.messages <- message{from: c, line: line}: // the hub has it
		case <-s.quit: // Close: the hub is gone
			return
		}
	}
	select {
	case s.leaving <- c: // the hub will drop c, if it has not already
	case <-s.quit: // Close: the hub drops everyone
	}
}

// write writes the lines of c's queue to c, until the hub closes the
// queue. If a Write fails, it closes the connection, so that the reader
// ends too and the hub drops c.
func (s *Server) write(c *client) {
	for line := range c.out {
		if _, err := c.conn.Write(line); err != nil {
			c.conn.Close()
			return
		}
	}
}

// Join adds conn as a client and returns once it is one: every line
// another client sends after Join returns reaches conn. From then on the
// server owns conn and closes it when the client leaves, falls behind, or
// the server is closed. If the server is closed, Join closes conn and
// returns ErrClosed.
func (s *Server) Join(conn net.Conn) error {
	req := joinRequest{
		c:    &client{conn: conn, out: make(chan []byte, s.queue)},
		done: make(chan struct{}),
	}
	select {
	case s.joining <- req: // the hub has it
	case <-s.quit: // closed
		conn.Close()
		return ErrClosed
	}
	<-req.done // the hub closes done right after it adds the client
	return nil
}

// Serve accepts connections on l and joins each one, until Close is
// called; then it returns ErrClosed. If Accept fails otherwise, Serve
// closes l and returns the error. Serve on a closed server closes l and
// returns ErrClosed.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	select {
	case <-s.quit: // closed already
		s.mu.Unlock()
		l.Close()
		return ErrClosed
	default:
	}
	s.listeners[l] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()

	for {
		conn, err := l.Accept()
		if err != nil {
			select {
			case <-s.quit: // Close closed l
				return ErrClosed
			default: // a real error
				l.Close()
				return err
			}
		}
		if err := s.Join(conn); err != nil {
			return err // ErrClosed: Join has closed conn
		}
	}
}

// Close stops the server: Serve returns ErrClosed, every client is
// disconnected, and Close returns once every goroutine the server started
// has returned. Calling Close again does nothing more, and returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.quit) // under mu: Serve sees it, or we see its listener
		for l := range s.listeners {
			l.Close()
		}
		s.mu.Unlock()
	})
	return nil
}
