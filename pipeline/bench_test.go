package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

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
	conn, js := startJS(b, b.TempDir(), StreamConfig{})
	defer conn.Close()
	pub := NewPublisher(js, nil)
	evs := benchEvents(b.N)
	cons, err := js.CreateOrUpdateConsumer(ctx, "GOALPOST_EVENTS", jetstream.ConsumerConfig{Durable: "raw", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
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
}

// BenchmarkPipeline is the real path: Publisher.Publish, the durable
// Consumer, a SQLite transaction per batch, ack after commit.
func BenchmarkPipeline(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	conn, js := startJS(b, dir, StreamConfig{})
	defer conn.Close()
	st, err := store.Open(ctx, filepath.Join(dir, "bench.db"), discard())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	pub := NewPublisher(js, nil)
	evs := benchEvents(b.N)
	c := NewConsumer(js, StreamConfig{}, storeHandler{st}, discard(), nil)
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
