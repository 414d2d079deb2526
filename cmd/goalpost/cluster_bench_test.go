package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/natstest"
)

// BenchmarkReplicas is events/s through the whole daemon path — signed
// webhook, stream, consumer, store, key-result state — for b.N merged pull
// requests sent by 16 concurrent senders through a round-robin balancer,
// until the last one is stored. Arms: the single-process default (embedded
// NATS, SQLite), and 1 and 3 replicas against a 3-node NATS cluster
// (replicas = 3) and one shared store. Every arm builds its world once, so
// run it with a fixed count (docs/BENCHMARKS.md):
//
//	go test -run '^$' -bench BenchmarkReplicas -benchtime 3000x ./cmd/goalpost/
func BenchmarkReplicas(b *testing.B) {
	dir := b.TempDir()
	bin := buildBinary(b, dir)
	for _, arm := range []struct {
		name     string
		replicas int
		cluster  bool
	}{
		{"embedded", 1, false},
		{"cluster/replicas=1", 1, true},
		{"cluster/replicas=3", 3, true},
	} {
		b.Run(arm.name, func(b *testing.B) {
			armDir := filepath.Join(dir, strings.ReplaceAll(arm.name, "/", "-"))
			reps := benchReplicas(b, bin, armDir, arm.replicas, arm.cluster)
			st := openTestStore(b, reps[0].config(b))
			defer st.Close()
			lb := &balancer{reps: reps}
			b.ResetTimer()
			acked := lb.deliver(b, b.N, func(int) {})
			for {
				n, err := st.CountEvents(context.Background())
				if err != nil {
					b.Fatal(err)
				}
				if n >= len(acked) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			b.StopTimer()
			b.ReportMetric(float64(len(acked))/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(0, "ns/op")
			for _, r := range reps {
				r.stop(b)
			}
		})
	}
}

// benchReplicas starts n replicas on the sandbox-free configuration of the
// webhook tests (one repository, one key result, no polling to speak of).
func benchReplicas(b *testing.B, bin, dir string, n int, cluster bool) []*replica {
	b.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	c := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 1<<20)
	c = strings.Replace(c, hookSecret, "sandbox-webhook-secret", 1)
	c = strings.Replace(c, `name = "acme/api"`, `name = "acme/web"`, 1)
	c = strings.Replace(c, `log_level = "error"`, `log_level = "error"`+"\n"+sharedStore(b, dir), 1)
	if cluster {
		nc := natstest.Start(b, 3)
		c = strings.Replace(c, "[github]", fmt.Sprintf("[nats]\nurl = %q\nreplicas = 3\n[github]", nc.URL()), 1)
	}
	reps := make([]*replica, n)
	for i := range reps {
		id := fmt.Sprintf("b%d", i+1)
		rc := strings.Replace(c, filepath.Join(dir, "data"), filepath.Join(dir, id), 1)
		reps[i] = newReplica(b, bin, dir, id, rc)
		reps[i].start(b)
	}
	return reps
}
