package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sys/unix"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// storeHandler is the minimal real handler: store each event in one SQLite
// transaction per batch (what the engine does before evaluating rules).
type storeHandler struct{ st *store.Store }

func (h storeHandler) Handle(ctx context.Context, evs []event.Event) error {
	return h.st.InTx(ctx, func(tx *store.Tx) error {
		for _, e := range evs {
			if _, err := tx.InsertEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func benchEvents(n int) []event.Event {
	evs := make([]event.Event, n)
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for i := range evs {
		evs[i] = event.Event{
			ID: fmt.Sprintf("github:pr:acme/api#%d:merged", i), Source: "github", Kind: event.KindPullRequestMerged,
			OccurredAt: base.Add(time.Duration(i) * time.Minute), ActorHandle: "octocat", Repo: "acme/api",
			Title: "Speed up the checkout query", URL: fmt.Sprintf("https://github.com/acme/api/pull/%d", i),
			Unit: fmt.Sprintf("acme/api#%d", i), Labels: []string{"perf"}, SHAs: []string{"0123456789abcdef0123456789abcdef01234567"},
		}
	}
	return evs
}

// BenchmarkRawJetStream is the baseline: async publish with Nats-Msg-Id,
// then fetch and ack, on the same embedded server, no store.
func BenchmarkRawJetStream(b *testing.B) {
	ctx := context.Background()
	conn, js := startJS(b, b.TempDir(), DefaultStreams())
	defer conn.Close()
	pub := NewPublisher(js, nil)
	evs := benchEvents(b.N)
	cons, err := js.CreateOrUpdateConsumer(ctx, "GOALPOST_EVENTS", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := processCPU(b)
	publishAll(b, pub, evs)
	for got := 0; got < b.N; {
		batch, err := cons.Fetch(min(256, b.N-got), jetstream.FetchMaxWait(time.Second))
		if err != nil {
			b.Fatal(err)
		}
		for m := range batch.Messages() {
			_ = m.Ack()
			got++
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((processCPU(b)-cpu).Microseconds())/float64(b.N), "cpu-µs/event")
}

// processCPU is the CPU time this process has used (the embedded server's
// included): on a shared machine it moves far less than wall time.
func processCPU(b *testing.B) time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_PROCESS_CPUTIME_ID, &ts); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkPipeline is the real path: Publisher.Publish, the durable
// Consumer, a SQLite transaction per batch, ack after commit.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	conn, js := startJS(b, dir, DefaultStreams())
	defer conn.Close()
	st, err := store.Open(ctx, filepath.Join(dir, "bench.db"), discard())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pub := NewPublisher(js, nil)
	evs := benchEvents(b.N)
	c := NewConsumer(js, DefaultStreams(), storeHandler{st}, discard(), nil)
	b.ResetTimer()
	publishAll(b, pub, evs)
	n, err := c.Drain(ctx)
	if err != nil || n != b.N {
		b.Fatalf("drained %d of %d: %v", n, b.N, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func publishAll(b *testing.B, pub *Publisher, evs []event.Event) {
	for i := 0; i < len(evs); i += 500 {
		if err := pub.Publish(context.Background(), evs[i:min(i+500, len(evs))]...); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDrainIdle is `sync --once` with nothing new, the stream part: a
// Drain of an empty stream (ensure the consumer, subscribe, ask whether
// anything is pending), against its baseline in the same run, one consumer
// info round trip.
func BenchmarkDrainIdle(b *testing.B) {
	ctx := context.Background()
	conn, js := startJS(b, b.TempDir(), StreamConfig{})
	defer conn.Close()
	c := NewConsumer(js, StreamConfig{}, storeHandler{}, discard(), nil)
	cons, err := c.consumer(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var drain, info time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if n, err := c.Drain(ctx); err != nil || n != 0 {
			b.Fatalf("drained %d: %v", n, err)
		}
		drain += time.Since(start)
		start = time.Now()
		if _, err := cons.Info(ctx); err != nil {
			b.Fatal(err)
		}
		info += time.Since(start)
	}
	b.ReportMetric(float64(drain.Microseconds())/float64(b.N), "µs/drain")
	b.ReportMetric(float64(info.Microseconds())/float64(b.N), "µs/info")
}

// BenchmarkRestart measures what the duplicate window costs (ADR 12):
// GOALPOST_BENCH_EVENTS events (default 100000) are published, then the
// in-process server's heap growth and the time to start it again on the
// same store and ensure the streams (ready). With window=24h every message
// id is held (the old default after a day of events); with window=expired
// the same events are older than the window (a 1 s window, 2 s later), which
// is what the 2-minute default holds after a day of events, but for the
// last two minutes.
func BenchmarkRestart(b *testing.B) {
	total := 100_000
	if v, err := strconv.Atoi(os.Getenv("GOALPOST_BENCH_EVENTS")); err == nil && v > 0 {
		total = v
	}
	evs := benchEvents(total)
	for _, tc := range []struct {
		name   string
		window time.Duration
		wait   time.Duration
	}{{"window=24h", 24 * time.Hour, 0}, {"window=expired", time.Second, 2 * time.Second}} {
		b.Run(tc.name, func(b *testing.B) {
			dir := b.TempDir()
			cfg := StreamConfig{DuplicateWindow: tc.window}
			before := heapInUse()
			conn, js := startJS(b, dir, cfg)
			publishAll(b, NewPublisher(js, nil), evs)
			time.Sleep(tc.wait)
			grown := heapInUse() - before
			conn.Close()
			var ready time.Duration
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				conn, _ := startJS(b, dir, cfg)
				ready += time.Since(start)
				conn.Close()
			}
			b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms/ready")
			b.ReportMetric(float64(grown)/(1<<20), "heap-MB")
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}
