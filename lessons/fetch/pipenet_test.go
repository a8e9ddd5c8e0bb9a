package main

import (
	"context"
	"net"
	"sync"
)

// A pipeNet is an in-memory network for the tests: each connection is a
// net.Pipe, whose reads and writes wait on channels, so that the lesson's
// server and clients run inside a testing/synctest bubble, in fake time.
// (Real sockets do not: a goroutine blocked on one is not durably
// blocked, and time would not advance.) Make one with newPipeNet, inside
// the bubble.
type pipeNet struct {
	conns chan net.Conn // the server's ends, from dial to Accept
	done  chan struct{} // closed by Close: Accept and dial fail
	once  sync.Once
}

func newPipeNet() *pipeNet {
	return &pipeNet{conns: make(chan net.Conn), done: make(chan struct{})}
}

// listen returns the network itself: it is its only listener.
func (p *pipeNet) listen() (net.Listener, error) { return p, nil }

// dial makes a pipe, hands one end to Accept and returns the other.
func (p *pipeNet) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case p.conns <- server: // the server accepted it
		return client, nil
	case <-p.done: // the listener is closed: connection refused
	case <-ctx.Done(): // the request gave up first
	}
	client.Close()
	server.Close()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, net.ErrClosed
}

// Accept waits for a dial, or for Close.
func (p *pipeNet) Accept() (net.Conn, error) {
	select {
	case c := <-p.conns: // a client dialled
		return c, nil
	case <-p.done: // closed
		return nil, net.ErrClosed
	}
}

// Close makes Accept and dial fail from now on.
func (p *pipeNet) Close() error {
	p.once.Do(func() { close(p.done) })
	return nil
}

// Addr returns a loopback address, as a real listener's would be.
func (p *pipeNet) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
}
