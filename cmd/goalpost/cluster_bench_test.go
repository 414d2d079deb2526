package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/natstest"
)

// BenchmarkReplicas is events/s through the whole daemon path — signed
// webhook, stream, consumer, store, key-result state — for b.N merged pull
// requests sent by 16 concurrent senders through a round-robin balancer,
// until the last one is stored. Arms: the single-process default (embedded
// NATS, SQLite), and 1 and 3 replicas in the deployment's shape: a 3-node
// NATS cluster (replicas = 3) and one PostgreSQL (pgtest). On the cluster
// arms it also samples PostgreSQL's lock table and reports how much of the
// time the key-result advisory lock (ADR 22) was held and how many
// transactions waited for it. Every arm builds its world once, so run it
// with a fixed count (docs/BENCHMARKS.md):
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
		{"embedded-sqlite", 1, false},
		{"cluster-postgres/replicas=1", 1, true},
		{"cluster-postgres/replicas=3", 3, true},
	} {
		b.Run(arm.name, func(b *testing.B) {
			armDir := filepath.Join(dir, strings.ReplaceAll(arm.name, "/", "-"))
			reps := benchReplicas(b, bin, armDir, arm.replicas, arm.cluster)
			cfg := reps[0].config(b)
			st := openTestStore(b, cfg)
			defer st.Close()
			var locks *lockSampler
			if arm.cluster {
				locks = sampleLocks(b, cfg.Store.DSN.Reveal())
			}
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
			if locks != nil {
				held, waiting := locks.stop()
				b.ReportMetric(100*held, "lock-held-%")
				b.ReportMetric(waiting, "lock-waiters")
			}
			for _, r := range reps {
				r.stop(b)
			}
		})
	}
}

// benchReplicas starts n replicas on the sandbox-free configuration of the
// webhook tests (one repository, one key result, no polling to speak of):
// on a SQLite file and embedded NATS, or on the shared PostgreSQL and a
// 3-node NATS cluster.
func benchReplicas(b *testing.B, bin, dir string, n int, cluster bool) []*replica {
	b.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	c := daemonConfig(filepath.Join(dir, "data"), "http://127.0.0.1:1/", 1<<20)
	c = strings.Replace(c, hookSecret, "sandbox-webhook-secret", 1)
	c = strings.Replace(c, `name = "acme/api"`, `name = "acme/web"`, 1)
	if cluster {
		nc := natstest.Start(b, 3)
		c = strings.Replace(c, `log_level = "error"`, `log_level = "error"`+"\n"+sharedStore(b, dir), 1)
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

// lockSampler reads pg_locks every few milliseconds: how often a
// transaction held an advisory lock (the key-result lock, ADR 22; the
// migration lock is released before the benchmark starts) and how many
// waited for one.
type lockSampler struct {
	cancel                 context.CancelFunc
	wg                     sync.WaitGroup
	samples, held, waiters int
}

func sampleLocks(b *testing.B, dsn string) *lockSampler {
	b.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	s := &lockSampler{cancel: cancel}
	s.wg.Go(func() {
		defer db.Close()
		for ctx.Err() == nil {
			var granted, waiting int
			err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted)
				FROM pg_locks WHERE locktype = 'advisory'`).Scan(&granted, &waiting)
			if err == nil {
				s.samples++
				s.held += min(granted, 1)
				s.waiters += waiting
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	return s
}

// stop ends the sampling and returns the share of samples in which the
// lock was held and the mean number of transactions waiting for it.
func (s *lockSampler) stop() (held, waiters float64) {
	s.cancel()
	s.wg.Wait()
	if s.samples == 0 {
		return 0, 0
	}
	return float64(s.held) / float64(s.samples), float64(s.waiters) / float64(s.samples)
}
