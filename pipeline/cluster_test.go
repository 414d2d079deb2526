package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/internal/natstest"
	"github.com/goalpost/goalpost/internal/secret"
)

const clusterToken = "cluster-s3cret"

func withToken(o *server.Options) { o.Authorization = clusterToken }

// connectCluster connects to c as [nats] url = "<every node>" would.
func connectCluster(t *testing.T, c *natstest.Cluster) (*Conn, jetstream.JetStream) {
	t.Helper()
	conn, err := Connect(Config{URL: c.URL(), Token: secret.String(clusterToken)}, t.TempDir(), discard())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	js, err := jetstream.New(conn.NC)
	if err != nil {
		t.Fatal(err)
	}
	return conn, js
}

// TestClusterKeepsEveryEventThroughANodeLoss: on a 3-node cluster with
// replicas = 3, the stream's leader is stopped while events are published;
// every event whose publish returned is consumed, by two consumers sharing
// the durable consumer as replicas of goalpost do.
func TestClusterKeepsEveryEventThroughANodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster")
	}
	c := natstest.Start(t, 3, withToken)
	_, js := connectCluster(t, c)
	ctx := context.Background()
	cfg := Config{Replicas: 3, URL: c.URL()}
	cfg.ApplyDefaults()
	if err := EnsureStreams(ctx, js, cfg.Streams()); err != nil {
		t.Fatal(err)
	}
	info, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		t.Fatal(err)
	}
	ci := info.CachedInfo()
	if ci.Config.Replicas != 3 || ci.Cluster == nil || len(ci.Cluster.Replicas) != 2 {
		t.Fatalf("stream kept on %d servers (cluster %+v), want 3", ci.Config.Replicas, ci.Cluster)
	}
	pub := NewPublisher(js, nil)
	published := map[string]bool{}
	publish := func(id string) {
		// A webhook sender retries what was not acknowledged, as GitHub does.
		for try := 0; ; try++ {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := pub.Publish(pctx, ev(id))
			cancel()
			if err == nil {
				published[id] = true
				return
			}
			if try == 50 {
				t.Fatalf("publish %s: %v", id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	for i := range 300 {
		if i == 100 {
			c.Stop(nodeIndex(t, ci.Cluster.Leader))
		}
		if i == 200 {
			c.Restart(nodeIndex(t, ci.Cluster.Leader))
		}
		publish(fmt.Sprintf("e%03d", i))
	}
	rec := &recorder{seen: map[string]int{}}
	var wg sync.WaitGroup
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	for range 2 {
		wg.Go(func() { _ = NewConsumer(js, cfg.Streams(), rec, discard(), nil).Run(cctx) })
	}
	waitUntil(t, 30*time.Second, "every published event to be consumed", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		return len(rec.seen) >= len(published)
	})
	stop()
	wg.Wait()
	for id := range published {
		if rec.seen[id] == 0 {
			t.Errorf("event %s was acknowledged by the stream and never consumed", id)
		}
	}
}

func nodeIndex(t *testing.T, name string) int {
	t.Helper()
	var i int
	if _, err := fmt.Sscanf(name, "n%d", &i); err != nil {
		t.Fatalf("node name %q: %v", name, err)
	}
	return i - 1
}

func waitUntil(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// holdLog records which holder runs the work under a lease, and any moment
// two ran it at once.
type holdLog struct {
	mu      sync.Mutex
	active  []string
	overlap []string
	turns   []string
}

func (h *holdLog) work(holder string) func(context.Context) error {
	return func(ctx context.Context) error {
		h.mu.Lock()
		h.active = append(h.active, holder)
		h.turns = append(h.turns, holder)
		if len(h.active) > 1 {
			h.overlap = append(h.overlap, strings.Join(h.active, "+"))
		}
		h.mu.Unlock()
		<-ctx.Done()
		h.mu.Lock()
		for i, a := range h.active {
			if a == holder {
				h.active = append(h.active[:i], h.active[i+1:]...)
				break
			}
		}
		h.mu.Unlock()
		return nil
	}
}

func (h *holdLog) current() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.active...)
}

// TestLeaseMovesFromADeadHolderAndNeverOverlaps: three replicas contend for
// one lease on a 3-node cluster; the holder dies (its connection drops
// without giving the lease up), and one other replica takes the work over
// within 30 s, never while the dead one could still be running it.
func TestLeaseMovesFromADeadHolderAndNeverOverlaps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node cluster")
	}
	c := natstest.Start(t, 3, withToken)
	const ttl = 3 * time.Second
	log := &holdLog{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conns := map[string]*Conn{}
	var wg sync.WaitGroup
	for _, name := range []string{"r1", "r2", "r3"} {
		conn, js := connectCluster(t, c)
		kv, err := EnsureLeaseBucket(ctx, js, ttl, 3)
		if err != nil {
			t.Fatal(err)
		}
		conns[name] = conn
		wg.Go(func() { _ = NewLeases(kv, name, ttl, discard(), nil).Hold(ctx, "poll.github", log.work(name)) })
	}
	defer wg.Wait()
	defer cancel()
	waitUntil(t, 10*time.Second, "a holder", func() bool { return len(log.current()) == 1 })
	dead := log.current()[0]
	conns[dead].NC.Close() // a crash: no renewal, no release
	died := time.Now()
	waitUntil(t, 30*time.Second, "another replica to take the lease", func() bool {
		cur := log.current()
		return len(cur) == 1 && cur[0] != dead
	})
	t.Logf("lease moved %s after its holder died (ttl %s)", time.Since(died).Round(100*time.Millisecond), ttl)
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.overlap) > 0 {
		t.Errorf("two holders ran the work at once: %v", log.overlap)
	}
}
