package asana_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/asana"
	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func TestPollPagesAndCursor(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"a", "b", "c"} {
		h.task(n, "To do")
	}
	h.fake.RateLimitNext(1, 30*time.Second)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := h.fake.Requests("GET /tasks"); got != 3 { // 429, then two pages of 2
		t.Errorf("GET /tasks = %d, want 3", got)
	}
	if len(h.waits) != 1 || h.waits[0] != 30*time.Second {
		t.Errorf("waits = %v, want the 30s Retry-After", h.waits)
	}
	if n := len(h.pub.ids()); n != 3 {
		t.Errorf("events = %v, want 3 created", h.pub.ids())
	}
	cur, _ := h.st.Cursor(t.Context(), event.SourceAsana, "tasks:1001")
	if cur == "" {
		t.Fatal("cursor not saved")
	}
	h.pub.fail = errSentinel
	h.clk.Add(time.Hour)
	h.task("d", "To do")
	if err := h.src.PollOnce(t.Context()); err == nil {
		t.Fatal("poll with a failing publisher succeeded")
	}
	if again, _ := h.st.Cursor(t.Context(), event.SourceAsana, "tasks:1001"); again != cur {
		t.Errorf("cursor moved to %s although nothing was stored", again)
	}
}

type sentinel string

func (s sentinel) Error() string { return string(s) }

const errSentinel = sentinel("stream down")

func TestTaskEvents(t *testing.T) {
	h := newHarness(t)
	g := h.fake.AddTask(asanafake.Task{Name: "Ship passkeys", Project: "1001", ProjectName: "Launch", Section: "Blocked",
		Tags: []string{"auth"}, Assignee: "ada@example.com", CreatedBy: "bob@example.com", Numbers: map[string]float64{"Story Points": 5}})
	h.clk.Add(2 * time.Hour)
	h.fake.Update(g, func(t *asanafake.Task) { t.Completed = true }, "completed")
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, id := range h.pub.ids() {
		kinds = append(kinds, h.pub.byID[id].Kind)
	}
	slices.Sort(kinds)
	if want := []string{event.KindIssueBlocked, event.KindIssueCompleted, event.KindIssueCreated, event.KindIssueUpdated}; !slices.Equal(kinds, want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	var done event.Event
	for _, ev := range h.pub.byID {
		if ev.Kind == event.KindIssueCompleted {
			done = ev
		}
	}
	checks := map[string]bool{
		"unit":        done.Unit == asana.Unit(g),
		"repo":        done.Repo == "1001",
		"section":     done.Attrs["section"] == "Blocked",
		"done":        done.Attrs["status_category"] == "done",
		"blocked":     done.Attrs["blocked"] == "true",
		"tag label":   slices.Equal(done.Labels, []string{"auth"}),
		"assignee":    done.ActorHandle == "ada@example.com",
		"points":      done.Numbers["story_points"] == 5,
		"resolution":  done.Numbers["resolution_seconds"] == 7200,
		"permalink":   strings.HasSuffix(done.URL, "/"+g),
		"occurred at": done.OccurredAt.Equal(h.clk.Now()),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s wrong in %+v", name, done)
		}
	}
}

func TestWebhookHandshakeAndSignatures(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if err := h.hook.Create(ctx, "1001", h.hooks.URL+"/webhooks/asana"); err != nil {
		t.Fatalf("create (handshake): %v", err)
	}
	secret, err := h.st.HookSecret(ctx, event.SourceAsana, "1001")
	if err != nil || secret == "" {
		t.Fatalf("secret not kept: %q %v", secret, err)
	}
	g := h.task("a", "To do")
	codes, err := h.fake.Deliver(ctx, "1001", asanafake.Event{Action: "added", Task: g, At: h.clk.Now()})
	if err != nil || !slices.Equal(codes, []int{200}) {
		t.Fatalf("delivery: %v %v", codes, err)
	}
	if len(h.pub.ids()) != 1 {
		t.Fatalf("events = %v", h.pub.ids())
	}
	body := []byte(`{"events":[]}`)
	tests := []struct {
		name   string
		header map[string]string
		query  string
		body   []byte
		want   int
	}{
		{"heartbeat", map[string]string{"X-Hook-Signature": sign(secret, body)}, "?resource=1001", body, 200},
		{"forged", map[string]string{"X-Hook-Signature": sign("guess", body)}, "?resource=1001", body, 401},
		{"unsigned", nil, "?resource=1001", body, 401},
		{"unknown resource", map[string]string{"X-Hook-Signature": sign(secret, body)}, "?resource=999", body, 401},
		{"no resource", map[string]string{"X-Hook-Signature": sign(secret, body)}, "", body, 400},
		{"malformed", map[string]string{"X-Hook-Signature": sign(secret, []byte("{"))}, "?resource=1001", []byte("{"), 400},
		{"second handshake refused", map[string]string{"X-Hook-Secret": "attacker"}, "?resource=1001", nil, 403},
		{"first handshake of another resource", map[string]string{"X-Hook-Secret": "s2"}, "?resource=1002", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/asana"+tt.query, bytes.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.hook.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
			if s := tt.header["X-Hook-Secret"]; s != "" && tt.want == 200 && rec.Header().Get("X-Hook-Secret") != s {
				t.Fatal("handshake not echoed")
			}
		})
	}
	if again, _ := h.st.HookSecret(ctx, event.SourceAsana, "1001"); again != secret {
		t.Fatal("a refused handshake replaced the secret")
	}
	h.fake.SetDown(true) // the task cannot be read: 503, so that Asana retries
	codes, _ = h.fake.Deliver(ctx, "1001", asanafake.Event{Action: "changed", Task: g, Field: "name", At: h.clk.Now()})
	if !slices.Equal(codes, []int{503}) {
		t.Fatalf("delivery during outage: %v", codes)
	}
}

// ratioEngine is an engine with one ratio key result scoped to project 1001.
func ratioEngine(t *testing.T, clk *clock) (*engine.Engine, *store.Store) {
	t.Helper()
	set, err := rules.Compile([]rules.Objective{{Key: "o", Title: "Launch", Period: "2026-Q4", KeyResults: []rules.KeyResult{
		{Key: "kr", Title: "Launch tasks done", Type: rules.TypeRatio, Target: 100, Scope: "project:1001", Match: `source == "asana"`},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := people.New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "e.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return engine.New(set, dir, st, engine.WithClock(clk.Now)), st
}

func ratio(t *testing.T, e *engine.Engine) float64 {
	t.Helper()
	rs, err := e.Results(t.Context())
	if err != nil || len(rs) != 1 {
		t.Fatalf("results %v %v", rs, err)
	}
	return rs[0].Current
}

// A ratio key result scoped to an Asana project gives the same number by
// poll and by webhook, with duplicate and out-of-order deliveries.
func TestRatioSameByPollAndWebhook(t *testing.T) {
	h := newHarness(t)
	ctx := t.Context()
	if err := h.hook.Create(ctx, "1001", h.hooks.URL+"/webhooks/asana"); err != nil {
		t.Fatal(err)
	}
	var all []asanafake.Event
	var gids []string
	for _, n := range []string{"a", "b", "c", "d"} {
		g := h.task(n, "To do")
		gids = append(gids, g)
		all = append(all, asanafake.Event{Action: "added", Task: g, At: h.clk.Now()})
	}
	h.fake.AddTask(asanafake.Task{Name: "elsewhere", Project: "2002", Section: "To do"})
	step := func(g string, done bool) {
		h.clk.Add(time.Hour)
		all = append(all, h.fake.Update(g, func(t *asanafake.Task) { t.Completed = done }, "completed")...)
	}
	step(gids[0], true)
	step(gids[1], true)
	step(gids[2], true)
	step(gids[1], false) // reopened
	// Webhook: every delivery twice, in shuffled order; each reads the
	// task's current state.
	webhookEvents := h.pub
	rnd := rand.New(rand.NewPCG(1, 2))
	order := append(slices.Clone(all), all...)
	rnd.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, ev := range order {
		if codes, err := h.fake.Deliver(ctx, "1001", ev); err != nil || codes[0] != 200 {
			t.Fatalf("deliver: %v %v", codes, err)
		}
	}
	// Poll into a second publisher.
	h2 := &recPublisher{}
	src, err := asana.NewSource(h.cfg, h2, h.st, slog.New(slog.DiscardHandler), asana.WithClock(h.clk.Now), asana.WithClientOptions(h.clientOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, pub := range []*recPublisher{webhookEvents, h2} {
		e, _ := ratioEngine(t, h.clk)
		evs := make([]event.Event, 0, len(pub.byID))
		for _, id := range pub.ids() {
			evs = append(evs, pub.byID[id])
		}
		rnd.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		for _, ev := range evs { // one at a time, out of order, then all again
			if err := e.Handle(ctx, []event.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.Handle(ctx, evs); err != nil {
			t.Fatal(err)
		}
		got = append(got, ratio(t, e))
	}
	if got[0] != 50 || got[1] != 50 {
		t.Fatalf("ratio by webhook, by poll = %v, want 50 and 50 (2 of 4 done)", got)
	}
}

func FuzzWebhook(f *testing.F) {
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":[{"action":"changed","resource":{"gid":"1","resource_type":"task"},"created_at":"2026-01-01T00:00:00Z","change":{"field":"completed"}}]}`))
	f.Add([]byte(`{"events":[{"action":"deleted","resource":{"gid":"12","resource_type":"task"},"user":null}]}`))
	f.Add([]byte(`{"events":null}`))
	f.Add([]byte(`[]`))
	h := fuzzHarness(f) // one store: a seed's TempDir has a '#', which a SQLite URI cuts off
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/asana?resource=1001", bytes.NewReader(body))
		req.Header.Set("X-Hook-Signature", sign("fuzz-secret", body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 && rec.Code != 503 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
	})
}

// fuzzHarness is a receiver whose task reads all fail fast (no server).
func fuzzHarness(t *testing.F) http.Handler {
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "f.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.SetHookSecret(t.Context(), event.SourceAsana, "1001", "fuzz-secret"); err != nil {
		t.Fatal(err)
	}
	cfg := &asana.Config{Token: "x", Projects: []string{"1001"}}
	c := asana.NewClient("http://127.0.0.1:1", cfg.Token, 0, asana.WithTransportOptions(transportNoRetry()))
	w, err := asana.NewWebhook(cfg, c, st, &recPublisher{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return w
}
