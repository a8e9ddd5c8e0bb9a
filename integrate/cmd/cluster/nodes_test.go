package main

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concurrency-workbook/workbook/integrate"
	"github.com/concurrency-workbook/workbook/internal/childcheck"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A node is one server of a cluster started by startNodes.
type node struct {
	ns   *server.Server
	name string
	url  string // its client URL
	once sync.Once
}

// shutdown stops the node and waits until it has; again does nothing.
func (n *node) shutdown() {
	n.once.Do(func() {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
	})
}

// A leaderLog is a server's logger that tells when the server knows the
// JetStream cluster's metadata leader: itself, or another node. Then the
// node is part of the cluster's metadata group, and streams with
// replicas on it can be made.
type leaderLog struct {
	once  sync.Once
	known chan struct{} // closed at the first such notice
}

func (l *leaderLog) Noticef(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if strings.Contains(msg, "metadata leader") && !strings.Contains(msg, "no metadata leader") {
		l.once.Do(func() { close(l.known) })
	}
}
func (l *leaderLog) Warnf(string, ...any)  {}
func (l *leaderLog) Fatalf(string, ...any) {}
func (l *leaderLog) Errorf(string, ...any) {}
func (l *leaderLog) Debugf(string, ...any) {}
func (l *leaderLog) Tracef(string, ...any) {}

// startNodes starts a three-node JetStream cluster in this process, on
// 127.0.0.1: each node listens for clients at a port the system picks,
// and for routes at a port picked free beforehand, since every node's
// routes must name them all (as docs/cluster/nats.conf does). It returns
// once every node knows the metadata leader; the nodes are shut down
// when the test ends.
func startNodes(t *testing.T) []*node {
	t.Helper()
	var routes []string
	for _, port := range freePorts(t, 3) {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", port))
	}
	var nodes []*node
	var logs []*leaderLog
	for i := range 3 {
		route, err := url.Parse(routes[i])
		require.NoError(t, err)
		port, err := strconv.Atoi(route.Port())
		require.NoError(t, err)
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "workbook", Host: "127.0.0.1", Port: port},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		ns, err := server.NewServer(o)
		require.NoError(t, err)
		log := &leaderLog{known: make(chan struct{})}
		ns.SetLoggerV2(log, false, false, false)
		ns.Start()
		n := &node{ns: ns, name: o.ServerName}
		t.Cleanup(n.shutdown)
		require.True(t, ns.ReadyForConnections(10*time.Second), "node %s not ready", n.name)
		n.url = ns.ClientURL()
		nodes = append(nodes, n)
		logs = append(logs, log)
	}
	// The first election waits out the servers' election timeout (4 to
	// 9 s) with next to no CPU used: hangcheck would call that a hang.
	// electionWait is a bound far above it, for a cluster that never
	// elects one.
	deadline := time.After(electionWait)
	for i, log := range logs {
		select {
		case <-log.known:
		case <-deadline:
			t.Fatalf("node n%d did not know the metadata leader %v after the nodes started: "+
				"the three nodes never formed a cluster (routes %v)", i+1, electionWait, routes)
		}
	}
	return nodes
}

// electionWait bounds the wait for a new cluster's first leader.
const electionWait = 2 * time.Minute

// TestThreeNodesLoseOne runs the cluster rows on a three-node cluster,
// with the queue kept by all three (-replicas 3) and the workers
// connected to different nodes, and shuts down a worker's node while the
// first run computes: its worker reconnects to another node, its chunk,
// if it had one, goes to another worker after AckWait, the streams carry
// on with two nodes of three, and the result has serial's bits.
func TestThreeNodesLoseOne(t *testing.T) {
	nodes := startNodes(t)
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.url
	}
	l := newLines()
	b := runBG(t.Context(), l, "-nats", strings.Join(urls, ","), "-replicas", "3", "-ackwait", "2s",
		"-json", "-mode", "cluster", "-workers", "2", "-n", "2e8")

	// The two workers of the cold row connect to n1 and n2: -nats's list,
	// turned by one for the second worker.
	ready := map[int]string{}
	l.await(t, "two workers ready", b, func(s seen) bool {
		if _, on, ok := strings.Cut(s.text, "queue INTEGRATE on "); ok && strings.HasPrefix(s.text, "ready: ") {
			ready[s.pid] = on
		}
		return len(ready) == 2
	})
	var on []string
	for _, u := range ready {
		on = append(on, u)
	}
	assert.ElementsMatch(t, []string{host(t, urls[0]), host(t, urls[1])}, []string{host(t, on[0]), host(t, on[1])},
		"the workers are on n1 and n2")

	l.await(t, "a chunk started", b, func(s seen) bool { return strings.HasPrefix(s.text, "start: ") })
	nodes[1].shutdown()

	// Leader elections after a node's loss take seconds in which nothing
	// else happens (the servers' election timeout is 4 to 9 s): hangcheck
	// would take that for a hang, so go test's -timeout bounds this wait.
	<-b.done
	require.NoError(t, b.err, "stderr: %s\nworkers:\n%s", b.stderr.String(), l)
	t.Logf("the command's stderr:\n%s", b.stderr.String())
	childcheck.None(t)
	assertSerialBits(t, b, integrate.Problem{F: "x2", A: 0, B: 10, N: 200_000_000}, 2)
}

// freePorts returns n ports of 127.0.0.1 that were free a moment ago:
// the system picks them for listeners we close at once.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// host returns a URL's host:port.
func host(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	return p.Host
}

// TestShippedConfigParses: docs/cluster/nats.conf, the config of each
// node of the compose file's cluster, is what the server reads, with
// NODE set as compose sets it.
func TestShippedConfigParses(t *testing.T) {
	t.Setenv("NODE", "n2")
	o, err := server.ProcessConfigFile("../../../docs/cluster/nats.conf")
	require.NoError(t, err)
	assert.Equal(t, "n2", o.ServerName)
	assert.Equal(t, "0.0.0.0", o.Host)
	assert.Equal(t, 4222, o.Port)
	assert.Equal(t, 8222, o.HTTPPort)
	assert.True(t, o.JetStream)
	assert.Equal(t, "/data", o.StoreDir)
	assert.Equal(t, "workbook", o.Cluster.Name)
	assert.Equal(t, 6222, o.Cluster.Port)
	assert.True(t, o.Cluster.NoAdvertise, "clients are not told the containers' addresses")
	var routes []string
	for _, r := range o.Routes {
		routes = append(routes, r.String())
	}
	assert.Equal(t, []string{"nats://n1:6222", "nats://n2:6222", "nats://n3:6222"}, routes)
}
