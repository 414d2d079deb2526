// Package natstest runs a real NATS JetStream cluster on loopback inside a
// test process: one embedded nats-server per node, clustered with routes,
// each storing its files in the test's temporary directory. Nodes can be
// stopped (as a crash would: no graceful leadership transfer) and restarted
// on the same ports and files, so tests exercise a node failure the way a
// deployment sees it.
package natstest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a running test cluster. Its methods are safe for concurrent use.
type Cluster struct {
	tb    testing.TB
	mu    sync.Mutex
	opts  []*server.Options
	nodes []*server.Server // nil while a node is stopped
}

// Option changes every node's server options (e.g. client authorization).
type Option func(*server.Options)

// Start starts an n-node JetStream cluster and waits until it has a
// JetStream meta leader (streams can be created). It is shut down when the
// test ends.
func Start(tb testing.TB, n int, opts ...Option) *Cluster {
	tb.Helper()
	ports := freePorts(tb, 2*n)
	routes := make([]string, n)
	for i := range n {
		routes[i] = fmt.Sprintf("nats-route://127.0.0.1:%d", ports[n+i])
	}
	c := &Cluster{tb: tb, nodes: make([]*server.Server, n)}
	dir := tb.TempDir()
	for i := range n {
		c.opts = append(c.opts, &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   filepath.Join(dir, fmt.Sprintf("n%d", i+1)),
			Cluster: server.ClusterOpts{
				Name: "goalpost-test", Host: "127.0.0.1", Port: ports[n+i],
			},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
			NoSigs: true,
			NoLog:  true,
		})
		for _, opt := range opts {
			opt(c.opts[i])
		}
	}
	for i := range n {
		c.Restart(i)
	}
	tb.Cleanup(c.shutdown)
	c.WaitReady()
	return c
}

// URL is the comma-separated client URL of every node (the [nats] url).
func (c *Cluster) URL() string {
	urls := make([]string, len(c.opts))
	for i, o := range c.opts {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", o.Port)
	}
	return strings.Join(urls, ",")
}

// NodeURL is the client URL of node i alone.
func (c *Cluster) NodeURL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.opts[i].Port) }

// Size is the number of nodes.
func (c *Cluster) Size() int { return len(c.opts) }

// Stop stops node i at once (its clients are disconnected, its peers lose
// it). Its files stay for Restart.
func (c *Cluster) Stop(i int) {
	c.mu.Lock()
	s := c.nodes[i]
	c.nodes[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts node i again (or for the first time) on its ports and files.
func (c *Cluster) Restart(i int) {
	c.tb.Helper()
	c.Stop(i)
	o := *c.opts[i]
	s, err := server.NewServer(&o)
	if err != nil {
		c.tb.Fatalf("natstest: node %d: %v", i+1, err)
	}
	s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		s.Shutdown()
		c.tb.Fatalf("natstest: node %d not ready after 20s", i+1)
	}
	c.mu.Lock()
	c.nodes[i] = s
	c.mu.Unlock()
}

// WaitReady waits until the running nodes form a JetStream cluster that
// answers account requests (it has a meta leader).
func (c *Cluster) WaitReady() {
	c.tb.Helper()
	nc, err := nats.Connect(c.URL(), nats.MaxReconnects(-1), nats.Token(c.opts[0].Authorization))
	if err != nil {
		c.tb.Fatalf("natstest: connect: %v", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		c.tb.Fatalf("natstest: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("natstest: no JetStream meta leader after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) shutdown() {
	for i := range c.nodes {
		c.Stop(i)
	}
}

// freePorts returns n distinct loopback ports that were free a moment ago.
func freePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, n)
	for i := range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("natstest: %v", err)
		}
		lns = append(lns, ln)
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}
