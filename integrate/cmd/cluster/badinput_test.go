package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/integrate/internal/report"
	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/concurrency-workbook/workbook/internal/hangcheck"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runMain runs this test binary as the command, with args, and returns
// its exit status and stderr: its exit status is the point of the test,
// and go run turns every exit status into 1.
func runMain(t *testing.T, args ...string) (int, string) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.CommandContext(t.Context(), self, args...)
	cmd.Env = append(os.Environ(), mainEnv+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	hangcheck.Within(t, "the command", func() { err = cmd.Run() })
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String()
	}
	require.NoError(t, err)
	return 0, stderr.String()
}

// closedPort returns a loopback URL where nothing listens: a port the
// system gave us a moment ago, closed again.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	return "nats://" + l.Addr().String()
}

// plainServer starts a NATS server without JetStream on loopback.
func plainServer(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	ns.Start()
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	require.True(t, ns.ReadyForConnections(10*time.Second))
	return ns.ClientURL()
}

// serverWithOtherQueue starts a server with JetStream on which a stream
// INTEGRATE exists with other settings than the command's: limits
// retention, not a work queue.
func serverWithOtherQueue(t *testing.T) string {
	t.Helper()
	srv := startServer(t)
	nc, err := nats.Connect(srv.URL())
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "INTEGRATE", Subjects: []string{"INTEGRATE.jobs"}})
	require.NoError(t, err)
	return srv.URL()
}

// TestBadInputIsAClearErrorAndExitStatus: each bad flag, and each server
// the command cannot use, is an error that names the problem; a bad flag
// exits 2, with the usage, the rest 1; and nothing is left running. Each
// case runs twice: the command in a process of its own, for its exit
// status, and run in this process, for the children it leaves
// (childcheck sees only this process's own).
func TestBadInputIsAClearErrorAndExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		args func(t *testing.T) []string
		exit int
		want string
	}{
		{"unreachable server", func(t *testing.T) []string { return []string{"-nats", closedPort(t)} }, 1,
			"nats: no servers available for connection"},
		{"unreachable server, worker", func(t *testing.T) []string { return []string{"-worker", "-nats", closedPort(t)} }, 1,
			"nats: no servers available for connection"},
		{"no JetStream", func(t *testing.T) []string { return []string{"-nats", plainServer(t)} }, 1,
			"has no JetStream: start it with JetStream enabled (nats-server -js)"},
		{"no JetStream, worker", func(t *testing.T) []string { return []string{"-worker", "-nats", plainServer(t)} }, 1,
			"has no JetStream"},
		{"a queue with other settings", func(t *testing.T) []string { return []string{"-nats", serverWithOtherQueue(t)} }, 1,
			`stream "INTEGRATE" exists with Retention Limits; want WorkQueue`},
		{"replicas without a cluster", func(t *testing.T) []string {
			return []string{"-nats", startServer(t).URL(), "-replicas", "3"}
		}, 1, "replicas > 1 not supported in non-clustered mode"},
		{"-workers 0", func(*testing.T) []string { return []string{"-workers", "2,0"} }, 2,
			`cluster: -workers: "0" is not a worker count of at least 1`},
		{"-worker without -nats", func(*testing.T) []string { return []string{"-worker"} }, 2,
			"cluster: -worker needs -nats URL: the server the parent uses"},
		{"a worker's flag for the parent", func(*testing.T) []string { return []string{"-concurrency", "2"} }, 2,
			"cluster: -concurrency is for -worker"},
		{"a parent's flag for a worker", func(*testing.T) []string { return []string{"-worker", "-nats", "nats://x:1", "-n", "5"} }, 2,
			"cluster: -n is for the parent (without -worker)"},
		{"-ackwait 0", func(*testing.T) []string { return []string{"-ackwait", "0s"} }, 2,
			"cluster: -ackwait 0s: need a positive duration"},
		{"-replicas 7", func(*testing.T) []string { return []string{"-replicas", "7"} }, 2,
			"cluster: -replicas 7: need 1 to 5"},
		{"-mode", func(*testing.T) []string { return []string{"-mode", "processes"} }, 2,
			`cluster: -mode: unknown mode "processes" (modes: serial, cluster)`},
		{"-n", func(*testing.T) []string { return []string{"-n", "1.5"} }, 2,
			`invalid value "1.5" for flag -n: "1.5" is not a whole number`},
		{"unknown flag", func(*testing.T) []string { return []string{"-bogus"} }, 2,
			"flag provided but not defined: -bogus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args(t)
			exit, stderr := runMain(t, args...)
			assert.Equal(t, tc.exit, exit, "exit status; stderr: %s", stderr)
			assert.Contains(t, stderr, tc.want)
			if tc.exit == 2 {
				assert.Contains(t, stderr, "usage: cluster [flags]", "a bad flag comes with the usage")
			}

			_, _, err := runArgs(t, args...)
			childcheck.None(t)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			var u report.UsageError
			assert.Equal(t, tc.exit == 2, errors.As(err, &u), "a usage error exactly when the exit status is 2: %v", err)
		})
	}
}

// A worker of the command prints its lines as a human reads them; the
// parent reads them too. Its ready line names what it joined.
func TestAWorkerSaysItIsReady(t *testing.T) {
	srv := startServer(t)
	l := newLines()
	b := runBG(t.Context(), l, "-mode", "cluster", "-workers", "1", "-n", "1e5", "-nats", srv.URL())
	require.NoError(t, b.wait(t))
	childcheck.None(t)
	ready := l.await(t, "a ready line", b, func(s seen) bool { return strings.HasPrefix(s.text, "ready: ") })
	assert.Equal(t, fmt.Sprintf("ready: worker %s:%d, 1 chunk(s) at a time, queue INTEGRATE on %s", hostname(), ready.pid, srv.URL()), ready.text)
}
