package incidentio

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/incident"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/fixtures"
	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// The Standard Webhooks secret of Svix's published test vector (api-facts
// §9.2); hook.TestVerifyStandard checks the vector itself.
const svixSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

type memPublisher struct {
	mu     sync.Mutex
	events []event.Event
	ids    map[string]bool
}

func (p *memPublisher) Publish(_ context.Context, evs ...event.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
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
	var out []string
	for _, ev := range p.events {
		out = append(out, ev.Kind)
	}
	return out
}

type env struct {
	now       time.Time
	pub       *memPublisher
	src       *Source
	hook      *Webhook
	incidents map[string]json.RawMessage // what GET /v2/incidents/{id} answers
	list      []json.RawMessage
	listed    int // GET /v2/incidents answered
	key       []byte
}

func newEnv(t *testing.T) *env {
	e := &env{now: time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC), pub: &memPublisher{ids: map[string]bool{}}, incidents: map[string]json.RawMessage{}}
	srv := httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(srv.Close)
	cfg := &Config{BaseURL: srv.URL, Token: "key", WebhookSecret: svixSecret, ServiceField: "Affected Team", Since: "2026-06-01"}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	now := func() time.Time { return e.now }
	services := &incident.Config{Services: map[string]incident.Service{
		"Product": {Repos: []string{"acme/web"}}, "primary on-call": {Repos: []string{"acme/web"}},
	}}
	client := NewClient(cfg, nil, nil, now)
	e.src, _ = NewSource(cfg, services, client, e.pub, st, nil, now)
	e.hook, err = NewWebhook(cfg, services, client, e.pub, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	e.key, _ = signingKey(svixSecret)
	return e
}

func (e *env) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer key" {
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"type":"authentication_error","status":401}`))
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/v2/incidents/"); ok {
		if b, ok := e.incidents[id]; ok {
			_, _ = fmt.Fprintf(w, `{"incident":%s}`, b)
			return
		}
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"type":"not_found","status":404}`))
		return
	}
	e.listIncidents(w, r)
}

// listIncidents answers GET /v2/incidents as incident.io does: incidents
// updated on or after updated_at[gte] (a date), page_size at a time, the
// next page after the last id (pagination_meta.after).
func (e *env) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, err := time.Parse(time.DateOnly, q.Get("updated_at[gte]"))
	size, _ := strconv.Atoi(q.Get("page_size"))
	if err != nil || size < 1 || size > 250 {
		w.WriteHeader(422)
		_, _ = w.Write([]byte(`{"type":"validation_error","status":422}`))
		return
	}
	e.listed++
	var out []json.RawMessage
	after := q.Get("after")
	for _, raw := range e.list {
		var in struct {
			ID        string    `json:"id"`
			UpdatedAt time.Time `json:"updated_at"`
		}
		_ = json.Unmarshal(raw, &in)
		switch {
		case after != "":
			if in.ID == after {
				after = ""
			}
		case !in.UpdatedAt.Before(from):
			out = append(out, raw)
		}
	}
	meta := map[string]any{"page_size": size}
	if len(out) > size {
		out = out[:size]
		var last struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(out[size-1], &last)
		meta["after"] = last.ID
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"incidents": out, "pagination_meta": meta})
}

func (e *env) deliver(body []byte, at time.Time, sig string) int {
	ts := strconv.FormatInt(at.Unix(), 10)
	if sig == "" {
		sig = "v1," + base64.StdEncoding.EncodeToString(hook.Sign(e.key, []byte("msg_1."+ts+"."+string(body))))
	}
	req := httptest.NewRequest(http.MethodPost, "/webhooks/incidentio", bytes.NewReader(body))
	req.Header.Set("webhook-id", "msg_1")
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sig)
	rec := httptest.NewRecorder()
	e.hook.ServeHTTP(rec, req)
	return rec.Code
}

// TestRecordedWebhookPayloads: incident.io's documented payloads verify
// when signed and become the documented events; forged and stale ones get
// 401.
func TestRecordedWebhookPayloads(t *testing.T) {
	dir := fixtures.Dir(t, "incident-io")
	show, err := os.ReadFile(filepath.Join(dir, "rest.v2.incidents.show.openapi-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Incident json.RawMessage `json:"incident"`
	}
	if err := json.Unmarshal(show, &shown); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "webhook.*.json"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t)
			e.incidents["abc123"] = shown.Incident
			if code := e.deliver(body, e.now, "v1,"+base64.StdEncoding.EncodeToString([]byte("forged"))); code != 401 {
				t.Fatalf("forged: %d", code)
			}
			if code := e.deliver(body, e.now.Add(-10*time.Minute), ""); code != 401 {
				t.Fatalf("stale: %d", code)
			}
			if code := e.deliver(body, e.now, ""); code != 200 {
				t.Fatalf("status %d", code)
			}
			if got := e.pub.kinds(); !slices.Equal(got, []string{event.KindIncidentOpened}) {
				t.Fatalf("kinds %v", got)
			}
			ev := e.pub.events[0]
			if ev.Attrs["service"] != "Primary On-call" || ev.Repo != "acme/web" || ev.Attrs["severity"] != "Minor" {
				t.Fatalf("event %+v", ev)
			}
		})
	}
}

func incidentJSON(id, category string, created, resolved time.Time) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"id":%q,"reference":"INC-9","name":"Checkout down","mode":"standard",
	"created_at":%q,"updated_at":%q,"incident_status":{"name":"Closed","category":%q},"severity":{"name":"Major"},
	"incident_type":{"name":"Product"},"incident_timestamp_values":[{"incident_timestamp":{"name":"Resolved"},"value":{"value":%q}}]}`,
		id, created.Format(time.RFC3339), resolved.Add(time.Hour).Format(time.RFC3339), category, resolved.Format(time.RFC3339)))
}

// TestPoll: closed incidents resolve at their Resolved timestamp; test
// mode and declined ones do not count.
func TestPoll(t *testing.T) {
	e := newEnv(t)
	t0 := e.now.Add(-3 * time.Hour)
	e.list = []json.RawMessage{
		incidentJSON("A", "closed", t0, t0.Add(20*time.Minute)),
		incidentJSON("B", "declined", t0, t0),
		incidentJSON("C", "live", t0, t0),
	}
	if err := e.src.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.pub.kinds(); !slices.Equal(got, []string{"incident.opened", "incident.resolved", "incident.opened"}) {
		t.Fatalf("kinds %v", got)
	}
	if r := e.pub.events[1]; r.Numbers["restore_seconds"] != 1200 || r.Repo != "acme/web" {
		t.Fatalf("resolved %+v", r)
	}
}

// FuzzParse: no body panics the parser; errors are bad payloads.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"event_type":"public_incident.incident_created_v2","public_incident.incident_created_v2":{"id":"x"}}`))
	f.Add([]byte(`{"event_type":"public_incident.incident_status_updated_v2","public_incident.incident_status_updated_v2":{"incident":{"id":"y","created_at":"2026-07-01T00:00:00Z"}}}`))
	f.Add([]byte(`{"event_type":"private_incident.incident_created_v2","private_incident.incident_created_v2":{"id":"z"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, _, err := parse(body)
		if err != nil && !errors.Is(err, errBadPayload) {
			t.Fatal(err)
		}
		if in != nil && in.counted() {
			for _, ev := range (&incident.Config{}).Events(in.model(&Config{})) {
				if err := ev.Validate(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
