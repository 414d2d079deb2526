package linear

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/internal/secret"
	"github.com/goalpost/goalpost/pipeline/event"
)

const linHookSecret = "lin-hook-secret-value"

// hookSent is when testdata/webhook_issue_completed.json was sent.
var hookSent = time.UnixMilli(1772442001000)

func linSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func readLinearTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newLinearWebhook is a webhook whose issue look-ups go to a fake that
// knows no issue (each delivery is published as it came).
func newLinearWebhook(t *testing.T, pub connector.Publisher, now time.Time) http.Handler {
	t.Helper()
	return newLinearWebhookWith(t, pub, now, &linearFake{key: "k", now: now})
}

func newLinearWebhookWith(t *testing.T, pub connector.Publisher, now time.Time, fake *linearFake) http.Handler {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg := &Config{BaseURL: srv.URL, APIKey: secret.String(fake.key), WebhookSecret: linHookSecret}
	h, err := NewWebhook(cfg, pub, slog.New(slog.DiscardHandler), WithClock(func() time.Time { return now }),
		WithClientOptions(WithBaseTransport(srv.Client().Transport)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func linDeliver(h http.Handler, body []byte, sig string, limit int64) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/linear", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("Linear-Signature", sig)
	}
	req.Header.Set("Linear-Delivery", "d-1")
	req.Header.Set("Linear-Event", "Issue")
	rec := httptest.NewRecorder()
	if limit > 0 {
		req.Body = http.MaxBytesReader(rec, req.Body, limit)
	}
	h.ServeHTTP(rec, req)
	return rec
}

// withTimestamp rewrites the delivery's webhookTimestamp.
func withTimestamp(t *testing.T, body []byte, ts int64) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	m["webhookTimestamp"] = ts
	if ts == 0 {
		delete(m, "webhookTimestamp")
	}
	out, _ := json.Marshal(m)
	return out
}

func TestLinearWebhookResponses(t *testing.T) {
	body := readLinearTestdata(t, "webhook_issue_completed.json")
	comment := []byte(`{"action":"create","type":"Comment","data":{"id":"c1","body":"hi"},"webhookTimestamp":1772442001000}`)
	archive := []byte(`{"action":"remove","type":"Issue","data":{"id":"iss-1","identifier":"ENG-1"},"webhookTimestamp":1772442001000}`)
	removed := readLinearTestdata(t, "webhook_issue_removed.json")
	bad := []byte(`{"action":"update","type":"Issue","data":`)
	badData := []byte(`{"action":"update","type":"Issue","data":{"id":7},"webhookTimestamp":1772442001000}`)
	old := withTimestamp(t, body, hookSent.Add(-61*time.Second).UnixMilli())
	future := withTimestamp(t, body, hookSent.Add(61*time.Second).UnixMilli())
	edge := withTimestamp(t, body, hookSent.Add(-59*time.Second).UnixMilli())
	noTS := withTimestamp(t, body, 0)
	tests := []struct {
		name       string
		body       []byte
		sig        string
		limit      int64
		pubErr     error
		wantStatus int
		wantEvents int
	}{
		{name: "signed and fresh", body: body, sig: linSign(linHookSecret, body), wantStatus: 200, wantEvents: 2},
		{name: "uppercase hex signature", body: body, sig: strings.ToUpper(linSign(linHookSecret, body)), wantStatus: 200, wantEvents: 2},
		{name: "missing signature", body: body, wantStatus: 401},
		{name: "wrong secret", body: body, sig: linSign("other", body), wantStatus: 401},
		{name: "sha256= prefix is not Linear's format", body: body, sig: "sha256=" + linSign(linHookSecret, body), wantStatus: 401},
		{name: "replayed after 61s", body: old, sig: linSign(linHookSecret, old), wantStatus: 401},
		{name: "timestamp 61s in the future", body: future, sig: linSign(linHookSecret, future), wantStatus: 401},
		{name: "59s old is accepted", body: edge, sig: linSign(linHookSecret, edge), wantStatus: 200, wantEvents: 2},
		{name: "no webhookTimestamp", body: noTS, sig: linSign(linHookSecret, noTS), wantStatus: 401},
		{name: "malformed JSON", body: bad, sig: linSign(linHookSecret, bad), wantStatus: 400},
		{name: "malformed issue data", body: badData, sig: linSign(linHookSecret, badData), wantStatus: 400},
		{name: "over the server's body limit", body: body, sig: linSign(linHookSecret, body), limit: 64, wantStatus: 413},
		{name: "publish fails", body: body, sig: linSign(linHookSecret, body), pubErr: errors.New("nats down"), wantStatus: 503},
		{name: "comment ignored", body: comment, sig: linSign(linHookSecret, comment), wantStatus: 200},
		{name: "removal not to the trash (an archive) ignored", body: archive, sig: linSign(linHookSecret, archive), wantStatus: 200},
		{name: "issue moved to the trash", body: removed, sig: linSign(linHookSecret, removed), wantStatus: 200, wantEvents: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recPublisher{fail: tt.pubErr}
			rec := linDeliver(newLinearWebhook(t, pub, hookSent), tt.body, tt.sig, tt.limit)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, strings.TrimSpace(rec.Body.String()))
			}
			if got := len(pub.ids()); got != tt.wantEvents {
				t.Errorf("events = %d, want %d: %v", got, tt.wantEvents, pub.ids())
			}
			if tt.wantStatus >= 400 && tt.wantStatus != 503 && pub.calls != 0 {
				t.Error("published although the delivery was refused")
			}
		})
	}
}

func TestNewLinearWebhookNeedsSecret(t *testing.T) {
	if _, err := NewWebhook(&Config{APIKey: "k"}, &recPublisher{}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("want an error without webhook_secret")
	}
}

// The webhook's events for a completion have the IDs the poller derives.
func TestLinearWebhookAgreesWithPoll(t *testing.T) {
	fake := &linearFake{}
	linearScenario(fake)
	fake.issues[0]["startedAt"] = "2026-03-02T06:00:00.000Z"
	h := newLinearHarness(t, fake, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	pub := &recPublisher{}
	body := readLinearTestdata(t, "webhook_issue_completed.json")
	if rec := linDeliver(newLinearWebhook(t, pub, hookSent), body, linSign(linHookSecret, body), 0); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	want := []string{"linear:iss-1:completed:1772442000000", "linear:iss-1:updated:1772442000000"}
	if !slices.Equal(pub.ids(), want) {
		t.Fatalf("webhook ids = %v, want %v", pub.ids(), want)
	}
	for _, id := range want {
		p, w := h.pub.byID[id], pub.byID[id]
		if p.ID == "" {
			t.Errorf("poll did not produce %s", id)
			continue
		}
		if p.Kind != w.Kind || p.Unit != w.Unit || p.Repo != w.Repo || p.Attrs["status_category"] != w.Attrs["status_category"] ||
			p.Numbers["resolution_seconds"] != w.Numbers["resolution_seconds"] || p.Numbers["cycle_seconds"] != w.Numbers["cycle_seconds"] {
			t.Errorf("%s differs:\npoll    %+v\nwebhook %+v", id, p, w)
		}
	}
}

func TestLinearWebhookReopened(t *testing.T) {
	payload := func(updatedFrom string) []byte {
		return []byte(`{"action":"update","type":"Issue","webhookTimestamp":` + strconv.FormatInt(hookSent.UnixMilli(), 10) + `,
		"data":{"id":"iss-9","number":9,"title":"Flaky login","team":{"id":"t","key":"ENG"},
		"createdAt":"2026-03-01T09:00:00.000Z","updatedAt":"2026-03-02T09:00:00.000Z","completedAt":null,"canceledAt":null,
		"state":{"id":"s","name":"In Progress","type":"started"},"labels":[]},
		"updatedFrom":` + updatedFrom + `}`)
	}
	tests := []struct {
		name        string
		updatedFrom string
		want        bool
	}{
		{"was completed", `{"completedAt":"2026-03-01T12:00:00.000Z","stateId":"done"}`, true},
		{"was canceled", `{"canceledAt":"2026-03-01T12:00:00.000Z"}`, true},
		{"title change", `{"title":"Flaky"}`, false},
		{"completedAt was already null", `{"completedAt":null}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recPublisher{}
			body := payload(tt.updatedFrom)
			if rec := linDeliver(newLinearWebhook(t, pub, hookSent), body, linSign(linHookSecret, body), 0); rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			ev, got := pub.byID["linear:iss-9:reopened:1772442000000"]
			if got != tt.want {
				t.Fatalf("reopened = %v, want %v (%v)", got, tt.want, pub.ids())
			}
			if got && (ev.Kind != event.KindIssueReopened || ev.Unit != "ENG-9" || ev.Attrs["status_category"] != "indeterminate") {
				t.Errorf("event %+v", ev)
			}
		})
	}
}

// An Issue "remove" delivery for an issue moved to the trash gives one
// issue.deleted event with the issue's identity and none of its state,
// keyed by when it was deleted; an archive gives nothing.
func TestLinearWebhookIssueRemoved(t *testing.T) {
	fixture := readLinearTestdata(t, "webhook_issue_removed.json")
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(fixture, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	data := func(m map[string]any) map[string]any { return m["data"].(map[string]any) }
	deletedAt := time.Date(2026, 3, 2, 9, 0, 0, 500e6, time.UTC)
	tests := []struct {
		name      string
		body      []byte
		wantID    string // "": no event
		wantAt    time.Time
		wantActor string
	}{
		{"at archivedAt, by the actor", fixture, "linear:iss-1:deleted:1772442000500", deletedAt, "user-bob"},
		{"no archivedAt: at the delivery's createdAt", edit(func(m map[string]any) {
			delete(data(m), "archivedAt")
			m["createdAt"] = "2026-03-02T09:00:00.700Z"
		}), "linear:iss-1:deleted:1772442000700", deletedAt.Add(200 * time.Millisecond), "user-bob"},
		{"no actor", edit(func(m map[string]any) { delete(m, "actor") }), "linear:iss-1:deleted:1772442000500", deletedAt, ""},
		{"redelivered later: same event", edit(func(m map[string]any) { m["webhookTimestamp"] = 1772442031000 }),
			"linear:iss-1:deleted:1772442000500", deletedAt, "user-bob"},
		{"archived, not trashed", edit(func(m map[string]any) { data(m)["trashed"] = nil }), "", time.Time{}, ""},
		{"no team or identifier", edit(func(m map[string]any) { delete(data(m), "team") }), "", time.Time{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var env struct {
				WebhookTimestamp int64 `json:"webhookTimestamp"`
			}
			if err := json.Unmarshal(tt.body, &env); err != nil {
				t.Fatal(err)
			}
			pub := &recPublisher{}
			h := newLinearWebhook(t, pub, time.UnixMilli(env.WebhookTimestamp))
			if rec := linDeliver(h, tt.body, linSign(linHookSecret, tt.body), 0); rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			evs := pub.events()
			if tt.wantID == "" {
				if len(evs) != 0 {
					t.Fatalf("events %v, want none", pub.ids())
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("events %v, want one issue.deleted", pub.ids())
			}
			ev := evs[0]
			if ev.ID != tt.wantID || ev.Kind != event.KindIssueDeleted || ev.Unit != "ENG-1" || ev.Repo != "ENG" ||
				!ev.OccurredAt.Equal(tt.wantAt) || ev.ActorHandle != tt.wantActor || ev.Title != "Issue 1" ||
				ev.URL != "https://linear.app/acme/issue/ENG-1/issue-1" {
				t.Errorf("event = %+v", ev)
			}
			if ev.Attrs["deleted"] != "true" || ev.Attrs["issue_id"] != "iss-1" || len(ev.Attrs) != 2 {
				t.Errorf("attrs = %v, want deleted and issue_id only (no status: it must not read as issue state)", ev.Attrs)
			}
			if ev.Labels != nil || ev.Links != nil || ev.Numbers != nil {
				t.Errorf("labels %v links %v numbers %v: a deletion carries no state", ev.Labels, ev.Links, ev.Numbers)
			}
		})
	}
}

// stalledStream is a Publisher whose stream never answers: it fails the
// test if ctx has no deadline within hook.Deadline (the receiver would
// hang) and reports the deadline's expiry at once.
type stalledStream struct{ t *testing.T }

func (s stalledStream) Publish(ctx context.Context, _ ...event.Event) error {
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) > hook.Deadline {
		s.t.Errorf("published without a deadline within %v", hook.Deadline)
	}
	return context.DeadlineExceeded
}

// While the stream is unavailable the receiver answers 503 within its
// deadline (Linear wants an answer within 5 s), so Linear retries.
func TestWebhookStreamUnavailable(t *testing.T) {
	body := readLinearTestdata(t, "webhook_issue_completed.json")
	h := newLinearWebhook(t, stalledStream{t}, hookSent)
	if rec := linDeliver(h, body, linSign(linHookSecret, body), 0); rec.Code != 503 {
		t.Fatalf("status %d, want 503", rec.Code)
	}
}
