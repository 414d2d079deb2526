package trello_test

import (
	"bytes"
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/trello"
	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/sandbox/trellofake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/internal/transport"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

const (
	key, token, appSecret = "trello-key", "trello-token-0123456789", "trello-app-secret"
	boardID               = "5a1b2c3d4e5f60718293a4b5"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type recPublisher struct {
	mu   sync.Mutex
	byID map[string]event.Event
}

func (p *recPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
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

func (p *recPublisher) events() []event.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []event.Event
	for _, ev := range p.byID {
		out = append(out, ev)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

type harness struct {
	fake   *trellofake.Fake
	clk    *clock
	st     *store.Store
	cfg    *trello.Config
	lists  []string // To do, Doing, Done
	pub    *recPublisher
	src    *trello.Source
	hook   *trello.Webhook
	waits  []time.Duration
	topts  []trello.ClientOption
	hookSv *httptest.Server
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{clk: &clock{t: time.Date(2026, 11, 10, 9, 0, 0, 0, time.UTC)}, pub: &recPublisher{}}
	h.fake = trellofake.New(key, token, appSecret, trellofake.WithClock(h.clk.Now))
	h.lists = h.fake.AddBoard(boardID, "Launch", "To do", "Doing", "Done")
	srv := httptest.NewServer(h.fake)
	t.Cleanup(srv.Close)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "g.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	h.hookSv = httptest.NewUnstartedServer(nil)
	h.cfg = &trello.Config{BaseURL: srv.URL, Key: key, Token: token, Secret: appSecret,
		CallbackURL: "http://" + h.hookSv.Listener.Addr().String() + "/webhooks/trello",
		Boards:      []trello.Board{{ID: boardID, DoneLists: []string{h.lists[2]}}}, PageSize: 2}
	h.topts = []trello.ClientOption{trello.WithBaseTransport(srv.Client().Transport),
		trello.WithTransportOptions(transport.Options{Now: h.clk.Now,
			Sleep: func(ctx context.Context, d time.Duration) error { h.waits = append(h.waits, d); return ctx.Err() }})}
	h.src, err = trello.NewSource(h.cfg, h.pub, st, slog.New(slog.DiscardHandler), trello.WithClock(h.clk.Now), trello.WithClientOptions(h.topts...))
	if err != nil {
		t.Fatal(err)
	}
	h.hook, err = trello.NewWebhook(h.cfg, h.src.Client(), h.pub, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	h.hookSv.Config.Handler = h.hook
	h.hookSv.Start()
	t.Cleanup(h.hookSv.Close)
	return h
}

func TestSignatureVector(t *testing.T) {
	// api-facts §11: secret "secret", body {"a":1}, callback https://example.com/cb.
	if got := trello.Sign([]byte("secret"), []byte(`{"a":1}`), "https://example.com/cb"); got != "Npi6Cqe/N4RpUi4quPVP2lykMLg=" {
		t.Fatalf("Sign = %s", got)
	}
}

func TestWebhookCheckAndSignatures(t *testing.T) {
	h := newHarness(t)
	if err := h.hook.Create(t.Context(), boardID); err != nil {
		t.Fatalf("create (HEAD check): %v", err)
	}
	_, a := h.fake.AddCard(boardID, h.lists[0], "Card", []string{"auth"}, []string{"ada"})
	if codes, err := h.fake.Deliver(t.Context(), a); err != nil || !slices.Equal(codes, []int{200}) {
		t.Fatalf("delivery %v %v", codes, err)
	}
	if evs := h.pub.events(); len(evs) != 1 || evs[0].Kind != event.KindIssueCreated || !slices.Equal(evs[0].Labels, []string{"auth"}) {
		t.Fatalf("events %+v", evs)
	}
	body := []byte(`{"action":{"id":"x","type":"commentCard","data":{}}}`)
	tests := []struct {
		name, method, sig string
		body              []byte
		want              int
	}{
		{"HEAD check", http.MethodHead, "", nil, 200},
		{"signed, ignored action", http.MethodPost, trello.Sign([]byte(appSecret), body, h.cfg.CallbackURL), body, 200},
		{"forged", http.MethodPost, trello.Sign([]byte("guess"), body, h.cfg.CallbackURL), body, 401},
		{"signed for another URL", http.MethodPost, trello.Sign([]byte(appSecret), body, "https://evil.example/cb"), body, 401},
		{"unsigned", http.MethodPost, "", body, 401},
		{"not base64", http.MethodPost, "%%%", body, 401},
		{"malformed", http.MethodPost, trello.Sign([]byte(appSecret), []byte("{"), h.cfg.CallbackURL), []byte("{"), 400},
		{"GET", http.MethodGet, "", nil, 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/webhooks/trello", bytes.NewReader(tt.body))
			if tt.sig != "" {
				req.Header.Set("X-Trello-Webhook", tt.sig)
			}
			rec := httptest.NewRecorder()
			h.hook.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
}

func TestPollPagesAndRateLimit(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"a", "b", "c"} {
		h.clk.Add(time.Minute)
		h.fake.AddCard(boardID, h.lists[0], n, nil, nil)
	}
	h.fake.RateLimitNext(1)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(h.pub.events()); n != 3 {
		t.Fatalf("events = %d, want 3", n)
	}
	if got := h.fake.Requests("GET /boards/" + boardID + "/actions"); got != 3 { // 429, then pages of 2 and 1
		t.Errorf("action requests = %d, want 3", got)
	}
	if len(h.waits) != 1 {
		t.Errorf("waits = %v, want one backoff after the 429", h.waits)
	}
	// Nothing new: one request, nothing published again.
	before := len(h.pub.events())
	if err := h.src.PollOnce(t.Context()); err != nil || len(h.pub.events()) != before {
		t.Fatalf("second poll: %v, %d events", err, len(h.pub.events()))
	}
}

func ratioOf(t *testing.T, clk *clock, evs []event.Event, rnd *rand.Rand) float64 {
	t.Helper()
	set, err := rules.Compile([]rules.Objective{{Key: "o", Title: "Launch", Period: "2026-Q4", KeyResults: []rules.KeyResult{
		{Key: "kr", Title: "Board done", Type: rules.TypeRatio, Target: 100, Scope: "board:" + boardID, Match: `source == "trello"`},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := people.New(nil, nil)
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "e.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := engine.New(set, dir, st, engine.WithClock(clk.Now))
	evs = slices.Clone(evs)
	rnd.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for _, ev := range append(evs, evs...) { // out of order, each twice
		if err := e.Handle(t.Context(), []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := e.Results(t.Context())
	if err != nil || len(rs) != 1 {
		t.Fatalf("results %v %v", rs, err)
	}
	return rs[0].Current
}

// A ratio key result scoped to a Trello board gives the same number by
// poll and by webhook, with duplicate and out-of-order deliveries.
func TestRatioSameByPollAndWebhook(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if err := h.hook.Create(ctx, boardID); err != nil {
		t.Fatal(err)
	}
	var acts []map[string]any
	var cards []string
	for _, n := range []string{"a", "b", "c", "d"} {
		h.clk.Add(time.Minute)
		id, a := h.fake.AddCard(boardID, h.lists[0], n, nil, []string{"ada"})
		cards, acts = append(cards, id), append(acts, a)
	}
	for _, step := range []func() map[string]any{
		func() map[string]any { return h.fake.Move(cards[0], h.lists[2]) }, // a done
		func() map[string]any { return h.fake.Move(cards[1], h.lists[2]) }, // b done
		func() map[string]any { return h.fake.Move(cards[1], h.lists[1]) }, // b reopened
		func() map[string]any { return h.fake.Move(cards[2], h.lists[2]) }, // c done
		func() map[string]any { return h.fake.SetClosed(cards[2], true) },  // c archived in Done: still done
		func() map[string]any { return h.fake.SetClosed(cards[3], true) },  // d archived elsewhere: out
		func() map[string]any { return h.fake.Move(cards[1], h.lists[0]) }, // b back to To do
	} {
		h.clk.Add(time.Minute)
		acts = append(acts, step())
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	order := append(slices.Clone(acts), acts...)
	rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, a := range order {
		if codes, err := h.fake.Deliver(ctx, a); err != nil || codes[0] != 200 {
			t.Fatalf("deliver %v %v", codes, err)
		}
	}
	byHook := h.pub.events()
	polled := &recPublisher{}
	src, err := trello.NewSource(h.cfg, polled, h.st, slog.New(slog.DiscardHandler), trello.WithClock(h.clk.Now), trello.WithClientOptions(h.topts...))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if len(byHook) != len(polled.events()) {
		t.Fatalf("webhook gave %d events, poll %d", len(byHook), len(polled.events()))
	}
	hook, poll := ratioOf(t, h.clk, byHook, rnd), ratioOf(t, h.clk, polled.events(), rnd)
	// a and c done, b to do, d archived outside Done (canceled): 2 of 3.
	if hook != poll || hook < 66.6 || hook > 66.7 {
		t.Fatalf("ratio by webhook %v, by poll %v, want both 66.67", hook, poll)
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"action":{"id":"1","type":"updateCard","date":"2026-01-01T00:00:00.000Z","data":{"board":{"id":"` + boardID + `"},"card":{"id":"c"},"listAfter":{"id":"l"},"listBefore":{"id":"k"}}}}`))
	f.Add([]byte(`{"action":{"id":"2","type":"deleteCard","date":"2026-01-01T00:00:00Z","data":{"board":{"id":"` + boardID + `"},"card":{"id":"c"}}}}`))
	f.Add([]byte(`{"action":{"type":"updateCard","data":{"old":{"closed":"yes"},"card":{"closed":true}}}}`))
	f.Add([]byte(`{"model":{}}`))
	f.Add([]byte(`null`))
	cfg := &trello.Config{Key: key, Token: token, Secret: appSecret, CallbackURL: "https://goalpost.example/webhooks/trello",
		Boards: []trello.Board{{ID: boardID, DoneLists: []string{"l"}}}}
	c := trello.NewClient("http://127.0.0.1:1", key, token, 0, trello.WithTransportOptions(transport.Options{MaxAttempts: 1}))
	w, err := trello.NewWebhook(cfg, c, &recPublisher{}, slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/trello", bytes.NewReader(body))
		req.Header.Set("X-Trello-Webhook", trello.Sign([]byte(appSecret), body, cfg.CallbackURL))
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 503 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}
