package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// A pipeNet is an in-memory network for the tests. Its connections are
// net.Pipes: inside a synctest bubble every Read, Write and deadline on
// them runs in fake time, and a goroutine blocked on one is durably
// blocked, which real sockets are not. It counts the connections of each
// side still open, so that a test can check that none is left.
//
// Note that a net.Pipe has no buffer: a Write waits until the other side
// has read it all, where a socket would take megabytes first. So a client
// that does not read blocks the server's first Write to it.
type pipeNet struct {
	mu        sync.Mutex // guards listeners and ports
	listeners map[string]*pipeListener
	ports     int

	serverOpen, clientOpen atomic.Int64 // connections not yet closed
}

func newPipeNet() *pipeNet {
	return &pipeNet{listeners: map[string]*pipeListener{}}
}

// backlog is how many connections may wait for Accept, as the listen
// queue of a socket would hold them.
const backlog = 128

func (n *pipeNet) listen() (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.ports++
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000 + n.ports}
	l := &pipeListener{addr: addr, queue: make(chan net.Conn, backlog),
		done: make(chan struct{})}
	n.listeners[addr.String()] = l
	return l, nil
}

// errRefused is the error a dial to a closed listener returns, as the
// kernel's connect does.
func errRefused(addr string) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: fakeAddr(addr),
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

func (n *pipeNet) dial(ctx context.Context, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	l := n.listeners[addr]
	n.mu.Unlock()
	if l == nil {
		return nil, errRefused(addr)
	}
	client, server := net.Pipe()
	sc := &countedConn{Conn: server, open: &n.serverOpen}
	cc := &countedConn{Conn: client, open: &n.clientOpen}
	n.serverOpen.Add(1)
	n.clientOpen.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		sc.Close()
		cc.Close()
		return nil, errRefused(addr)
	}
	select {
	case l.queue <- sc: // queued for Accept, as a connected socket is
		return cc, nil
	default: // the listen queue is full
		sc.Close()
		cc.Close()
		return nil, errRefused(addr)
	}
}

// A pipeListener is a listener of a pipeNet.
type pipeListener struct {
	addr  net.Addr
	queue chan net.Conn // connections waiting for Accept
	done  chan struct{} // closed by Close

	mu     sync.Mutex // guards closed, and queue's sends
	closed bool
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.queue: // a client dialled
		return c, nil
	case <-l.done: // closed
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr,
			Err: net.ErrClosed}
	}
}

// Close stops Accept, and closes the connections still waiting in the
// queue, as closing a socket resets them.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	for {
		select {
		case c := <-l.queue: // never accepted
			c.Close()
		default:
			return nil
		}
	}
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// A countedConn is a connection that counts itself out of open when it is
// first closed.
type countedConn struct {
	net.Conn
	open *atomic.Int64
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// fakeAddr is an address given as a string.
type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

// String describes what is still open, for a failing test.
func (n *pipeNet) String() string {
	return fmt.Sprintf("%d server-side and %d client-side connections open",
		n.serverOpen.Load(), n.clientOpen.Load())
}
