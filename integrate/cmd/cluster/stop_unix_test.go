//go:build unix

package main

import (
	"strings"
	"syscall"
	"testing"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAWorkerStoppedMidChunk: a worker holds a chunk longer than
// AckWait, and while it lives its heartbeats keep the chunk its own; then
// it is stopped with SIGSTOP, its heartbeats stop, and after AckWait the
// server gives the chunk to the other worker. The result has serial's
// bits. (SIGSTOP is Unix's: the test is too.)
func TestAWorkerStoppedMidChunk(t *testing.T) {
	t.Setenv(holdEnv, t.TempDir()+"/held")
	srv := startServer(t)
	nc, err := srv.Connect()
	require.NoError(t, err)
	defer nc.Close()
	// Every ack, nak and heartbeat a worker sends is a message on
	// $JS.ACK.>; a heartbeat's body is +WPI.
	acks := make(chan *nats.Msg, 1024) // a run's acks, so that none is dropped while we count
	sub, err := nc.ChanSubscribe("$JS.ACK.>", acks)
	require.NoError(t, err)
	defer func() { _ = sub.Unsubscribe() }()

	l := newLines()
	b := runBG(t.Context(), l, "-nats", srv.URL(), "-ackwait", "1s", "-json", "-mode", "cluster", "-workers", "2", "-n", "2e7")
	held := l.await(t, "a chunk held", b, func(s seen) bool { return strings.HasPrefix(s.text, "held: ") })
	id := strings.TrimPrefix(held.text, "held: chunk ")
	startedAgain := func(s seen) bool { return strings.HasPrefix(s.text, "start: chunk "+id+", attempt 2:") }

	// Six heartbeats: a ticker of AckWait/3 sends them no sooner than two
	// AckWaits after the chunk began. The other worker's chunks take far
	// less than AckWait/3, so the heartbeats are the held chunk's.
	for beats := 0; beats < 6; {
		var m *nats.Msg
		hangcheck.Within(t, "a heartbeat", func() { m = <-acks })
		if string(m.Data) == "+WPI" {
			beats++
		}
	}
	l.mu.Lock()
	for _, s := range l.all {
		assert.False(t, startedAgain(s), "chunk %s delivered again while its worker sent heartbeats: %d: %s", id, s.pid, s.text)
	}
	l.mu.Unlock()

	require.NoError(t, syscall.Kill(held.pid, syscall.SIGSTOP))
	again := l.await(t, "the chunk started again", b, startedAgain)
	assert.NotEqual(t, held.pid, again.pid, "the other worker takes it")
	// Woken up, the worker still holds its delivery of the chunk, which
	// the server has given to another; when the run stops it, it gives it
	// back, for nothing, and exits.
	require.NoError(t, syscall.Kill(held.pid, syscall.SIGCONT))

	require.NoError(t, b.wait(t), "stderr: %s", b.stderr.String())
	childcheck.None(t)
	assertSerialBits(t, b, integrate.Problem{F: "x2", A: 0, B: 10, N: 20_000_000}, 2)
}
