package taskqueue

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startTimeout bounds how long StartEmbedded waits for the server to
// accept connections. The server is ready in milliseconds; the bound only
// turns a server that cannot start (a store it cannot open) into an error
// instead of a hang.
const startTimeout = 10 * time.Second

// A Server is a NATS server with JetStream running in this process, made
// by [StartEmbedded]. Its methods may be called from several goroutines.
type Server struct {
	ns  *server.Server
	url string // "" unless it listens on loopback
}

// An EmbeddedOption configures [StartEmbedded].
type EmbeddedOption func(*server.Options)

// ListenLoopback makes the server listen on 127.0.0.1, on a port the
// system picks, as well as take in-process connections, so that other
// processes on this machine (a worker started with os/exec) can connect
// to [Server.URL]. It never listens on another interface.
func ListenLoopback() EmbeddedOption {
	return func(o *server.Options) {
		o.DontListen = false
		o.Host = "127.0.0.1"
		o.Port = server.RANDOM_PORT
	}
}

// StartEmbedded starts a NATS server with JetStream in this process, with
// file storage in dir (created if missing), and returns once it accepts
// connections. By default it does not listen on any socket: connect to it
// with [Server.Connect]. A server started again on the same dir finds the
// streams, consumers, queued jobs and results the last one left.
//
// StartEmbedded returns an error, and leaves nothing running, if the
// server cannot start or JetStream cannot use dir. The caller must call
// [Server.Shutdown].
func StartEmbedded(dir string, opts ...EmbeddedOption) (*Server, error) {
	if dir == "" {
		return nil, errors.New("taskqueue: StartEmbedded needs a directory for the store")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("taskqueue: store directory: %w", err)
	}
	o := &server.Options{
		ServerName: "taskqueue",
		JetStream:  true,
		StoreDir:   dir,
		DontListen: true,
		NoSigs:     true, // signals belong to the program, not to a library
		NoLog:      true,
		// A loopback listener would pick its port; without one, no port is used.
		Port: server.RANDOM_PORT,
		Host: "127.0.0.1",
	}
	for _, opt := range opts {
		opt(o)
	}
	ns, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: embedded server: %w", err)
	}
	// We keep the server's errors: without a logger it would drop the
	// reason JetStream failed to start, which is the one thing the caller
	// needs to hear.
	log := &errorLog{}
	ns.SetLoggerV2(log, false, false, false)
	// Start returns early, having logged a fatal error, if JetStream
	// cannot start: then the server would never be ready.
	ns.Start()
	if log.fatal() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("taskqueue: embedded server: JetStream did not start with its store in %s%s", dir, log.last())
	}
	if !ns.ReadyForConnections(startTimeout) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("taskqueue: embedded server not ready after %v%s", startTimeout, log.last())
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("taskqueue: embedded server: JetStream did not start with its store in %s%s", dir, log.last())
	}
	s := &Server{ns: ns}
	if !o.DontListen {
		s.url = ns.ClientURL()
	}
	return s, nil
}

// URL returns the server's address on loopback, as nats://127.0.0.1:PORT,
// for another process to pass to [Connect]; "" unless the server was
// started with [ListenLoopback].
func (s *Server) URL() string { return s.url }

// Connect returns a new in-process connection to the server: no socket,
// no port. The caller closes it.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.ns), nats.Name("taskqueue")}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: connect in-process: %w", err)
	}
	return nc, nil
}

// Shutdown stops the server and waits until it has: when it returns, the
// server's goroutines have ended, its listener is closed and its store is
// written and closed, so that another server may open dir. Connections to
// it are broken (their owners must still close them). Calling Shutdown
// again does nothing.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

// Connect connects to the NATS server at url (nats://host:port, or
// several separated by commas) and returns the connection, which the
// caller closes. Unlike nats.Connect with its defaults, it gives up within
// a few seconds: a server that cannot be reached is an error that names
// url.
func Connect(url string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.Name("taskqueue"), nats.Timeout(2 * time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("taskqueue: connect to %s: %w", url, err)
	}
	return nc, nil
}

// errorLog is a server.Logger that keeps the server's last error.
type errorLog struct {
	mu     sync.Mutex // protects err and failed
	err    string
	failed bool // a fatal error was logged
}

func (l *errorLog) keep(fatal bool, format string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = fmt.Sprintf(format, v...)
	l.failed = l.failed || fatal
}

// fatal reports whether the server logged a fatal error.
func (l *errorLog) fatal() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.failed
}

// last returns ": " and the last error, or "" if there was none.
func (l *errorLog) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == "" {
		return ""
	}
	return ": " + strings.TrimSpace(l.err)
}

func (l *errorLog) Errorf(format string, v ...any) { l.keep(false, format, v...) }
func (l *errorLog) Fatalf(format string, v ...any) { l.keep(true, format, v...) }
func (l *errorLog) Noticef(string, ...any)         {}
func (l *errorLog) Warnf(string, ...any)           {}
func (l *errorLog) Debugf(string, ...any)          {}
func (l *errorLog) Tracef(string, ...any)          {}
