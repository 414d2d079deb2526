package pagerduty

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/internal/sandbox/pagerdutyfake"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

const (
	testToken  = "pd-api-key"
	testSecret = "pd-signing-secret"
)

var t0 = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

type memPublisher struct {
	mu     sync.Mutex
	events []event.Event
	ids    map[string]bool
	fail   error
}

func (p *memPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return p.fail
	}
	for _, ev := range evs {
		if err := ev.Validate(); err != nil {
			return err
		}
		if !p.ids[ev.ID] {
			p.ids[ev.ID] = true
			p.events = append(p.events, ev)
		}
	}
	return nil
}

func (p *memPublisher) kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, ev := range p.events {
		out = append(out, ev.Kind)
	}
	return out
}

type env struct {
	t    *testing.T
	fake *pagerdutyfake.Fake
	now  time.Time
	pub  *memPublisher
	src  *Source
	hook *Webhook
}

var services = &incident.Config{Services: map[string]incident.Service{
	"checkout": {Repos: []string{"acme/api", "acme/platform/api"}, Team: "payments"},
}}

func newEnv(t *testing.T) *env {
	e := &env{t: t, fake: pagerdutyfake.New(testToken), now: t0, pub: &memPublisher{ids: map[string]bool{}}}
	srv := e.fake.Server()
	t.Cleanup(srv.Close)
	cfg := &Config{BaseURL: srv.URL, Token: testToken, WebhookSecret: testSecret, Since: "2026-06-01"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	client := NewClient(cfg, WithTransport(nil, func(ctx context.Context, d time.Duration) error { e.now = e.now.Add(d); return nil }))
	e.src, err = NewSource(cfg, services, e.pub, st, nil, WithClient(client), WithClock(func() time.Time { return e.now }))
	if err != nil {
		t.Fatal(err)
	}
	e.hook, err = NewWebhook(cfg, services, client, e.pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func sign(body []byte, secret string) string {
	return "v1=" + hex.EncodeToString(hook.Sign([]byte(secret), body))
}

func (e *env) deliver(body []byte, sig, id string) int {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/pagerduty", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("X-PagerDuty-Signature", sig)
	}
	req.Header.Set("X-Webhook-Id", id)
	rec := httptest.NewRecorder()
	e.hook.ServeHTTP(rec, req)
	return rec.Code
}

func TestValidSignature(t *testing.T) {
	body := []byte(`{"event":{}}`)
	const vector = "v1=2c984a26b96792f49173390b114619a17f5699a0bb42f13aff472b980b3080b5" // api-facts §8.2
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"published vector", vector, true},
		{"rotation: the second matches", "v1=00ff," + vector, true},
		{"rotation with a space", "v1=00ff, " + vector, true},
		{"forged", "v1=2c984a26b96792f49173390b114619a17f5699a0bb42f13aff472b980b3080b6", false},
		{"missing", "", false},
		{"other scheme", strings.Replace(vector, "v1=", "v0=", 1), false},
	}
	for _, tt := range tests {
		if got := ValidSignature([]byte("secret"), body, tt.header); got != tt.ok {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func resolvedBody(id string) []byte {
	return []byte(`{"event":{"id":"E1","event_type":"incident.resolved","resource_type":"incident",
	"occurred_at":"2026-07-01T10:00:00Z","data":{"id":"` + id + `","number":7,"status":"resolved","title":"Checkout down",
	"urgency":"high","service":{"id":"PSVC","summary":"checkout"}}}}`)
}

func TestWebhook(t *testing.T) {
	triggered := []byte(`{"event":{"id":"E0","event_type":"incident.triggered","occurred_at":"2026-07-01T09:30:00Z",
	"data":{"id":"PINC","number":7,"status":"triggered","title":"Checkout down","urgency":"high","service":{"id":"PSVC","summary":"checkout"}}}}`)
	tests := []struct {
		name    string
		body    []byte
		sig     string
		failPub bool
		status  int
		kinds   []string
	}{
		{"forged", triggered, sign(triggered, "wrong"), false, 401, nil},
		{"missing", triggered, "", false, 401, nil},
		{"not JSON", []byte("{"), sign([]byte("{"), testSecret), false, 400, nil},
		{"no event", []byte(`{}`), sign([]byte(`{}`), testSecret), false, 400, nil},
		{"triggered", triggered, sign(triggered, testSecret), false, 202, []string{event.KindIncidentOpened}},
		{"resolved", resolvedBody("PINC"), sign(resolvedBody("PINC"), testSecret), false, 202,
			[]string{event.KindIncidentOpened, event.KindIncidentResolved}},
		{"resolved but deleted", resolvedBody("GONE"), sign(resolvedBody("GONE"), testSecret), false, 202, nil},
		{"store down", triggered, sign(triggered, testSecret), true, 503, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.Add(pagerdutyfake.Incident{ID: "PINC", Number: 7, Title: "Checkout down", Status: "resolved", Urgency: "high",
				ServiceID: "PSVC", Service: "checkout", CreatedAt: t0.Add(30 * time.Minute), ResolvedAt: t0.Add(time.Hour)})
			if tt.failPub {
				e.pub.fail = errors.New("down")
			}
			if code := e.deliver(tt.body, tt.sig, "w-1"); code != tt.status {
				t.Fatalf("status %d, want %d", code, tt.status)
			}
			if got := e.pub.kinds(); !slices.Equal(got, tt.kinds) {
				t.Fatalf("kinds %v, want %v", got, tt.kinds)
			}
			for _, ev := range e.pub.events {
				if ev.Kind == event.KindIncidentResolved && (ev.Numbers["restore_seconds"] != 1800 || ev.Repo != "acme/api" ||
					ev.Attrs["team"] != "payments" || ev.Attrs["repos"] != "acme/api,acme/platform/api") {
					t.Fatalf("resolved %+v", ev)
				}
			}
		})
	}
}

// TestRecordedWebhookPayloads: PagerDuty's real V3 deliveries verify when
// signed and become the documented events; tampered ones get 401.
func TestRecordedWebhookPayloads(t *testing.T) {
	dir := fixtures.Dir(t, "pagerduty")
	files, _ := filepath.Glob(filepath.Join(dir, "webhook-v3.*.json"))
	want := map[string][]string{
		"webhook-v3.incident.triggered.zulip.json":    {event.KindIncidentOpened},
		"webhook-v3.incident.acknowledged.zulip.json": nil,
		"webhook-v3.incident.resolved.zulip.json":     {event.KindIncidentOpened, event.KindIncidentResolved},
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			e.fake.Add(pagerdutyfake.Incident{ID: "PCPZE64", Number: 6, Title: "Test Incident", Status: "resolved",
				Urgency: "high", ServiceID: "PA2P440", Service: "pig208",
				CreatedAt: time.Date(2021, 6, 4, 13, 0, 0, 0, time.UTC), ResolvedAt: time.Date(2021, 6, 4, 13, 16, 53, 0, time.UTC)})
			if code := e.deliver(append(slices.Clone(body), ' '), sign(body, testSecret), "x"); code != 401 {
				t.Fatalf("a changed body answered %d", code)
			}
			if code := e.deliver(body, sign(body, testSecret), "fixture"); code != 202 {
				t.Fatalf("status %d", code)
			}
			if got := e.pub.kinds(); !slices.Equal(got, want[name]) {
				t.Fatalf("kinds %v, want %v", got, want[name])
			}
		})
	}
}

// TestPoll: incidents created since the cursor become events; an open one
// keeps the cursor back so its resolution is seen; a 429 waits for
// ratelimit-reset.
func TestPoll(t *testing.T) {
	e := newEnv(t)
	e.fake.Add(pagerdutyfake.Incident{ID: "A", Number: 1, Title: "old, resolved", Status: "resolved", Urgency: "low",
		ServiceID: "S2", Service: "search", CreatedAt: t0.Add(-48 * time.Hour), ResolvedAt: t0.Add(-47 * time.Hour)})
	e.fake.Add(pagerdutyfake.Incident{ID: "B", Number: 2, Title: "open", Status: "triggered", Urgency: "high", Priority: "P1",
		ServiceID: "PSVC", Service: "checkout", CreatedAt: t0.Add(-time.Hour)})
	e.fake.Throttle(7)
	ctx := context.Background()
	if err := e.src.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.pub.kinds(); !slices.Equal(got, []string{"incident.opened", "incident.resolved", "incident.opened"}) {
		t.Fatalf("kinds %v", got)
	}
	if e.now.Sub(t0) < 7*time.Second {
		t.Fatal("the 429's ratelimit-reset was not honoured")
	}
	e.now = t0.Add(2 * time.Hour)
	e.fake.Add(pagerdutyfake.Incident{ID: "B", Number: 2, Title: "open", Status: "resolved", Urgency: "high", Priority: "P1",
		ServiceID: "PSVC", Service: "checkout", CreatedAt: t0.Add(-time.Hour), ResolvedAt: t0.Add(90 * time.Minute)})
	if err := e.src.PollOnce(ctx); err != nil {
		t.Fatal(err)
	}
	last := e.pub.events[len(e.pub.events)-1]
	if last.ID != "pagerduty:incident:B:resolved" || last.Numbers["restore_seconds"] != 9000 || last.Attrs["severity"] != "P1" {
		t.Fatalf("resolution %+v", last)
	}
}

// FuzzParse: no body panics the parser; errors are bad payloads.
func FuzzParse(f *testing.F) {
	f.Add(resolvedBody("X"))
	f.Add([]byte(`{"event":{"event_type":"incident.triggered","occurred_at":"2026-07-01T10:00:00Z","data":{"id":"Y"}}}`))
	f.Add([]byte(`{"event":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := parse(body)
		if err != nil {
			if !errors.Is(err, errBadPayload) {
				t.Fatal(err)
			}
			return
		}
		for _, e := range services.Events(ev.model()) {
			if err := e.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
