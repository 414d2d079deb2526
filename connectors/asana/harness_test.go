package asana_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
)

const token = "asana-test-token-0123456789"

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recPublisher records published events by id (idempotent, like the stream).
type recPublisher struct {
	mu   sync.Mutex
	byID map[string]event.Event
	fail error
}

func (p *recPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	if p.byID == nil {
		p.byID = map[string]event.Event{}
	}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			return err
		}
		p.byID[ev.ID] = ev
	}
	return nil
}

func (p *recPublisher) ids() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id := range p.byID {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

type harness struct {
	fake  *asanafake.Fake
	srv   *httptest.Server
	clk   *clock
	st    *store.Store
	cfg   *asana.Config
	pub   *recPublisher
	src   *asana.Source
	hook  *asana.Webhook
	hooks *httptest.Server
	waits []time.Duration
}

// newHarness serves a fake Asana with project "1001" and a webhook
// receiver, with a source and webhook over a real store.
func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{clk: newClock(), pub: &recPublisher{}}
	h.fake = asanafake.New(token, asanafake.WithClock(h.clk.Now))
	h.srv = httptest.NewServer(h.fake)
	t.Cleanup(h.srv.Close)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.cfg = &asana.Config{BaseURL: h.srv.URL, Token: secret.String(token), Projects: []string{"1001"}, PageSize: 2}
	h.src, err = asana.NewSource(h.cfg, h.pub, st, slog.New(slog.DiscardHandler), asana.WithClock(h.clk.Now),
		asana.WithClientOptions(h.clientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	h.hook, err = asana.NewWebhook(h.cfg, h.src.Client(), st, h.pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h.hooks = httptest.NewServer(h.hook)
	t.Cleanup(h.hooks.Close)
	return h
}

func (h *harness) clientOptions() []asana.ClientOption {
	return []asana.ClientOption{asana.WithBaseTransport(h.srv.Client().Transport),
		asana.WithTransportOptions(transport.Options{MaxWait: time.Hour, Now: h.clk.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { h.waits = append(h.waits, d); return ctx.Err() }})}
}

func (h *harness) task(name, section string, tags ...string) string {
	return h.fake.AddTask(asanafake.Task{Name: name, Project: "1001", ProjectName: "Launch", Section: section,
		Tags: tags, Assignee: "ada@example.com", CreatedBy: "bob@example.com"})
}

func transportNoRetry() transport.Options { return transport.Options{MaxAttempts: 1} }
