package deploy

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/internal/hook"

	"github.com/goalpost/goalpost/connectors/attribution"
	"github.com/goalpost/goalpost/pipeline/event"
)

const testSecret = "deploy-secret"

type memPublisher struct {
	mu     sync.Mutex
	events []event.Event
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
	}
	p.events = append(p.events, evs...)
	return nil
}

type recordingAttributor struct {
	deploys []attribution.Deploy
	fail    error
}

func (a *recordingAttributor) Publish(_ context.Context, d attribution.Deploy) error {
	a.deploys = append(a.deploys, d)
	return a.fail
}

func signed(body []byte) string {
	return "sha256=" + hex.EncodeToString(hook.Sign([]byte(testSecret), body))
}

func post(t *testing.T, h http.Handler, body []byte, sig string, limit int64) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/deploy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(SignatureHeader, sig)
	}
	rec := httptest.NewRecorder()
	if limit > 0 {
		req.Body = http.MaxBytesReader(rec, req.Body, limit)
	}
	h.ServeHTTP(rec, req)
	return rec
}

func doc(fields ...string) []byte {
	base, err := os.ReadFile("testdata/success.json")
	if err != nil {
		panic(err)
	}
	s := string(base)
	for i := 0; i+1 < len(fields); i += 2 {
		s = strings.Replace(s, fields[i], fields[i+1], 1)
	}
	return []byte(s)
}

func TestWebhook(t *testing.T) {
	cases := []struct {
		name       string
		body       []byte
		sig        string // "" = correct
		limit      int64
		publishErr error
		want       int
		kind       string // the event published, if any
		msg        string
	}{
		{name: "success", body: doc(), want: 200, kind: event.KindDeploymentSucceeded},
		{name: "failure", body: doc(`"status": "success"`, `"status": "failure"`), want: 200, kind: event.KindDeploymentFailed},
		{name: "error is a failure", body: doc(`"status": "success"`, `"status": "error"`), want: 200, kind: event.KindDeploymentFailed},
		{name: "still running", body: doc(`"status": "success"`, `"status": "in_progress"`), want: 200, msg: "ignored"},
		{name: "staging", body: doc(`"production"`, `"staging"`), want: 200, msg: "ignored"},
		{name: "glob production", body: doc(`"production"`, `"prod-eu"`), want: 200, kind: event.KindDeploymentSucceeded},
		{name: "no signature", body: doc(), sig: "none", want: 401},
		{name: "wrong signature", body: doc(), sig: "sha256=00", want: 401},
		{name: "signature of another body", body: doc(), sig: signed([]byte("{}")), want: 401},
		{name: "not JSON", body: []byte("repo=acme/api"), want: 400},
		{name: "invalid fields", body: doc(`"acme/api"`, `"acme"`, `"8A1F3C2B9D0E4F5A6B7C8D9E0F1A2B3C4D5E6F70"`, `"main"`, `"status": "success"`, `"status": "done"`), want: 400, msg: "repo: want owner/name"},
		{name: "finished without time", body: doc(`"finished_at": "2026-07-01T10:04:00Z"`, `"finished_at": null`), want: 400, msg: "finished_at: required"},
		{name: "publish fails", body: doc(), publishErr: errors.New("down"), want: 503},
		{name: "too large", body: doc(), limit: 64, want: 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pub := &memPublisher{fail: tc.publishErr}
			h, err := NewWebhook(&Config{Secret: testSecret, ProductionEnvironments: []string{"production", "prod-*"}}, pub, nil)
			if err != nil {
				t.Fatal(err)
			}
			sig := tc.sig
			switch sig {
			case "":
				sig = signed(tc.body)
			case "none":
				sig = ""
			}
			rec := post(t, h, tc.body, sig, tc.limit)
			if rec.Code != tc.want || !strings.Contains(rec.Body.String(), tc.msg) {
				t.Fatalf("status %d %s, want %d %q", rec.Code, rec.Body, tc.want, tc.msg)
			}
			switch {
			case tc.kind == "" && len(pub.events) != 0:
				t.Fatalf("published %v", pub.events)
			case tc.kind != "" && (len(pub.events) != 1 || pub.events[0].Kind != tc.kind):
				t.Fatalf("published %v, want one %s", pub.events, tc.kind)
			}
		})
	}
}

func TestWebhookEvent(t *testing.T) {
	pub := &memPublisher{}
	h, err := NewWebhook(&Config{Secret: testSecret}, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the same document twice is the same deploy
		if rec := post(t, h, doc(), signed(doc()), 0); rec.Code != 200 {
			t.Fatal(rec.Body)
		}
	}
	ev := pub.events[0]
	if ev.ID != "deploy:acme/api:production:ci-run-8841:succeeded" || pub.events[1].ID != ev.ID || ev.Source != event.SourceDeploy ||
		!ev.OccurredAt.Equal(time.Date(2026, 7, 1, 10, 4, 0, 0, time.UTC)) || ev.ActorHandle != "alice" ||
		ev.SHAs[0] != "8a1f3c2b9d0e4f5a6b7c8d9e0f1a2b3c4d5e6f70" || ev.Attrs["duration_seconds"] != "240" || ev.Attrs["attribution"] != "none" {
		t.Fatalf("event %+v", ev)
	}
	noID := doc(`"id": "ci-run-8841",`, ``)
	if rec := post(t, h, noID, signed(noID), 0); rec.Code != 200 || !strings.Contains(rec.Body.String(), "8a1f3c2b9d0e@") {
		t.Fatalf("document without id: %d %s", rec.Code, rec.Body)
	}
}

func TestWebhookWithAttributor(t *testing.T) {
	att := &recordingAttributor{}
	pub := &memPublisher{}
	h, err := NewWebhook(&Config{Secret: testSecret}, pub, nil, WithAttributor(att))
	if err != nil {
		t.Fatal(err)
	}
	if rec := post(t, h, doc(), signed(doc()), 0); rec.Code != 200 {
		t.Fatal(rec.Body)
	}
	d := att.deploys[0]
	if d.Source != event.SourceDeploy || d.Key != "ci-run-8841" || d.Repo != "acme/api" || !d.Succeeded || len(pub.events) != 0 {
		t.Fatalf("attributor got %+v", d)
	}
	att.fail = errors.New("github unavailable")
	if rec := post(t, h, doc(), signed(doc()), 0); rec.Code != 503 {
		t.Fatalf("attribution failure answered %d", rec.Code)
	}
}

func TestConfig(t *testing.T) {
	if _, err := NewWebhook(&Config{}, &memPublisher{}, nil); err == nil {
		t.Fatal("webhook without a secret")
	}
	if err := (&Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("validate: %v", err)
	}
	if err := (&Config{Secret: "s", ProductionEnvironments: []string{"[x"}}).Validate(); err == nil {
		t.Fatal("bad glob accepted")
	}
	if err := (&Config{Secret: "a-secret-of-16+-bytes"}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (&Config{Secret: "fifteen-bytes!!"}).Validate(); err == nil || !strings.Contains(err.Error(), "at least 16") {
		t.Fatalf("a 15-byte secret: %v", err)
	}
}

// TestWebhookRejectsFinishInTheFuture: attribution orders a repository's
// deploys by their finish time, so one document dated in the future (a CI
// clock or time zone gone wrong) would make every real deploy until then
// look older than it, "out of order", shipping nothing. It is bad input: 400,
// nothing attributed. A few seconds of clock skew are fine.
func TestWebhookRejectsFinishInTheFuture(t *testing.T) {
	att := &recordingAttributor{}
	h, err := NewWebhook(&Config{Secret: testSecret}, &memPublisher{}, nil, WithAttributor(att))
	if err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) []byte {
		return doc(`"finished_at": "2026-07-01T10:04:00Z"`, `"finished_at": "`+time.Now().Add(d).UTC().Format(time.RFC3339)+`"`,
			`"started_at": "2026-07-01T10:00:00Z"`, `"started_at": null`)
	}
	future := at(12 * time.Hour)
	if rec := post(t, h, future, signed(future), 0); rec.Code != 400 || !strings.Contains(rec.Body.String(), "finished_at") || len(att.deploys) != 0 {
		t.Fatalf("document finishing in 12 hours: %d %s, %d deploys attributed", rec.Code, rec.Body, len(att.deploys))
	}
	skewed := at(30 * time.Second)
	if rec := post(t, h, skewed, signed(skewed), 0); rec.Code != 200 || len(att.deploys) != 1 {
		t.Fatalf("document 30s ahead: %d %s", rec.Code, rec.Body)
	}
}

// TestWebhookShortSHA: the document takes a commit sha of 7 to 40 hex
// digits, the short forms git prints (`git rev-parse --short` gives 7)
// included, whatever their parity.
func TestWebhookShortSHA(t *testing.T) {
	for _, sha := range []string{"8a1f3c2", "8A1F3C2B", "8a1f3c2b9", "8a1f3c2b9d0e4f5a6b7c8d9e0f1a2b3c4d5e6f70"} {
		att := &recordingAttributor{}
		h, err := NewWebhook(&Config{Secret: testSecret}, &memPublisher{}, nil, WithAttributor(att))
		if err != nil {
			t.Fatal(err)
		}
		body := doc(`"8A1F3C2B9D0E4F5A6B7C8D9E0F1A2B3C4D5E6F70"`, `"`+sha+`"`)
		if rec := post(t, h, body, signed(body), 0); rec.Code != 200 || len(att.deploys) != 1 || att.deploys[0].SHA != strings.ToLower(sha) {
			t.Fatalf("sha %q: %d %s", sha, rec.Code, rec.Body)
		}
	}
	for _, sha := range []string{"8a1f3c", "8a1f3cg", "8a1f3c2b9d0e4f5a6b7c8d9e0f1a2b3c4d5e6f701"} {
		body := doc(`"8A1F3C2B9D0E4F5A6B7C8D9E0F1A2B3C4D5E6F70"`, `"`+sha+`"`)
		h, _ := NewWebhook(&Config{Secret: testSecret}, &memPublisher{}, nil)
		if rec := post(t, h, body, signed(body), 0); rec.Code != 400 || !strings.Contains(rec.Body.String(), "sha:") {
			t.Fatalf("sha %q accepted: %d %s", sha, rec.Code, rec.Body)
		}
	}
}
