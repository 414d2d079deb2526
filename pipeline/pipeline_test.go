package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goalpost/goalpost/pipeline/event"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startJS starts an embedded JetStream server with the streams in a temp dir.
func startJS(t testing.TB, dir string, cfg StreamConfig) (*Conn, jetstream.JetStream) {
	t.Helper()
	conn, err := Connect(Config{}, dir, discard())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(conn.NC)
	if err != nil {
		t.Fatal(err)
	}
	if err := EnsureStreams(context.Background(), js, cfg); err != nil {
		t.Fatal(err)
	}
	return conn, js
}

func ev(id string) event.Event {
	return event.Event{ID: id, Source: "github", Kind: event.KindPullRequestMerged,
		OccurredAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC), Unit: "acme/api#" + id}
}

// recorder is a Handler that records events and fails on request.
type recorder struct {
	mu     sync.Mutex
	seen   map[string]int
	failOn map[string]bool
}

func (r *recorder) Handle(_ context.Context, evs []event.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		if r.failOn[e.ID] {
			return fmt.Errorf("cannot handle %s", e.ID)
		}
	}
	for _, e := range evs {
		r.seen[e.ID]++
	}
	return nil
}

func TestPublishDedupesAndConsumerAcksAfterHandle(t *testing.T) {
	ctx := context.Background()
	conn, js := startJS(t, t.TempDir(), DefaultStreams())
	defer conn.Close()
	pub := NewPublisher(js, nil)
	if err := pub.Publish(ctx, ev("1"), ev("2")); err != nil {
		t.Fatal(err)
	}
	// The same facts again (a webhook and a poll, a redelivery): dropped by the server.
	if err := pub.Publish(ctx, ev("2"), ev("1"), ev("3")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{seen: map[string]int{}}
	n, err := NewConsumer(js, DefaultStreams(), rec, discard(), nil).Drain(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || rec.seen["1"] != 1 || rec.seen["2"] != 1 || rec.seen["3"] != 1 {
		t.Fatalf("handled %d, seen %v; want each of 3 once", n, rec.seen)
	}
	// Everything was acked: a second drain finds nothing.
	if n, err := NewConsumer(js, DefaultStreams(), rec, discard(), nil).Drain(ctx); err != nil || n != 0 {
		t.Fatalf("second drain: n=%d err=%v", n, err)
	}
}

// Events that can never be stored (invalid, over the max payload) are
// dead-lettered with the reason; their valid siblings are stored, and
// Publish succeeds so a webhook is not redelivered forever.
func TestPublishDeadLettersWhatCanNeverBeStored(t *testing.T) {
	conn, js := startJS(t, t.TempDir(), DefaultStreams())
	defer conn.Close()
	huge := ev("huge")
	huge.Title = strings.Repeat("x", int(conn.NC.MaxPayload())+1)
	if err := NewPublisher(js, nil).Publish(context.Background(), ev("ok"), ev(""), huge, ev("ok2")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	count := func(stream string) uint64 {
		s, err := js.Stream(context.Background(), stream)
		if err != nil {
			t.Fatal(err)
		}
		si, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return si.State.Msgs
	}
	if n := count("GOALPOST_EVENTS"); n != 2 {
		t.Errorf("events stream has %d messages, want the 2 valid ones", n)
	}
	if n := count("GOALPOST_EVENTS_DLQ"); n != 2 {
		t.Errorf("dead-letter stream has %d messages, want the 2 rejected ones", n)
	}
}

func TestFailingEventIsDeadLetteredAndDoesNotBlockOthers(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultStreams()
	cfg.MaxDeliver, cfg.AckWait = 2, time.Second
	conn, js := startJS(t, t.TempDir(), cfg)
	defer conn.Close()
	pub := NewPublisher(js, nil)
	if err := pub.Publish(ctx, ev("a"), ev("poison"), ev("b")); err != nil {
		t.Fatal(err)
	}
	// A message that is not an event at all.
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: EventsPrefix + ".github.junk", Data: []byte("{not json")}); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{seen: map[string]int{}, failOn: map[string]bool{"poison": true}}
	c := NewConsumer(js, cfg, rec, discard(), nil)
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := c.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	if rec.seen["a"] != 1 || rec.seen["b"] != 1 || rec.seen["poison"] != 0 {
		t.Fatalf("seen %v", rec.seen)
	}
	dlq, err := js.Stream(ctx, "GOALPOST_EVENTS_DLQ")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for seq := uint64(1); seq <= 2; seq++ {
		m, err := dlq.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("dead letter %d: %v", seq, err)
		}
		if m.Header.Get("Goalpost-Error") == "" {
			t.Errorf("dead letter %d has no error header", seq)
		}
		var e event.Event
		_ = json.Unmarshal(m.Data, &e)
		got = append(got, m.Subject+"|"+e.ID)
	}
	want := map[string]bool{"goalpost.dlq.github.junk|": true, "goalpost.dlq.github.pull_request.merged|poison": true}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected dead letter %q (got %v)", g, got)
		}
	}
}

func TestPublishHonoursContext(t *testing.T) {
	conn, js := startJS(t, t.TempDir(), DefaultStreams())
	conn.Close() // the server is gone: publishing must fail, not hang
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := NewPublisher(js, nil).Publish(ctx, ev("x"))
	if err == nil {
		t.Fatal("want an error when the stream is unavailable")
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		t.Fatal("unexpected")
	}
}

// blocking is a recorder whose first Handle waits for release.
type blocking struct {
	recorder
	started, release chan struct{}
	once             sync.Once
}

func (b *blocking) Handle(ctx context.Context, evs []event.Event) error {
	b.once.Do(func() { close(b.started); <-b.release })
	return b.recorder.Handle(ctx, evs)
}

// TestStoppingFinishesTheBatchInHandAndGivesBackTheRest: when Run's context
// ends during a batch, the batch is still handled and acked, and every
// message fetched for later batches is given back (nak) at once: nothing
// waits for ack_wait, and the next consumer handles each event once.
func TestStoppingFinishesTheBatchInHandAndGivesBackTheRest(t *testing.T) {
	conn, js := startJS(t, t.TempDir(), DefaultStreams())
	defer conn.Close()
	var evs []event.Event
	for i := range 50 {
		evs = append(evs, ev(fmt.Sprint(i)))
	}
	if err := NewPublisher(js, nil).Publish(t.Context(), evs...); err != nil {
		t.Fatal(err)
	}
	h := &blocking{recorder: recorder{seen: map[string]int{}}, started: make(chan struct{}), release: make(chan struct{})}
	c := NewConsumer(js, DefaultStreams(), h, discard(), nil)
	c.Batch = 5
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	<-h.started
	cancel()
	close(h.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	first := len(h.seen)
	if first == 0 || first == 50 {
		t.Fatalf("the stopped consumer handled %d events, want the batch in hand only", first)
	}
	dctx, dcancel := context.WithTimeout(t.Context(), DefaultAckWait/2) // well before a redelivery by ack_wait
	defer dcancel()
	n, err := NewConsumer(js, DefaultStreams(), &h.recorder, discard(), nil).Drain(dctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if h.seen[e.ID] != 1 {
			t.Errorf("%s handled %d times, want once", e.ID, h.seen[e.ID])
		}
	}
	t.Logf("stopped after %d events; the next consumer handled the other %d", first, n)
}
