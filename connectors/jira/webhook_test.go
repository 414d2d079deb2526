package jira

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/connectors/internal/hook"
	"github.com/goalpost/goalpost/pipeline/event"
)

const hookSecret = "jira-hook-secret-value"

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestWebhook(t *testing.T, pub connector.Publisher, opts ...WebhookOption) http.Handler {
	t.Helper()
	cfg := &Config{BaseURL: "https://acme.atlassian.net", Email: "bot@acme.test", Token: "t", Projects: []string{"AUTH"},
		WebhookSecret: hookSecret, StoryPointsField: "customfield_10016"}
	h, err := NewWebhook(cfg, pub, slog.New(slog.DiscardHandler), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// deliver posts body like Jira does, through a body limit like the server's.
func deliver(h http.Handler, body []byte, sig string, limit int64, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/webhooks/jira", bytes.NewReader(body))
	if sig != "" {
		req.Header.Set("X-Hub-Signature", sig)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	if limit > 0 {
		req.Body = http.MaxBytesReader(rec, req.Body, limit)
	}
	h.ServeHTTP(rec, req)
	return rec
}

func TestWebhookResponses(t *testing.T) {
	done := readTestdata(t, "webhook_issue_done.json")
	comment := readTestdata(t, "webhook_comment.json")
	deleted := readTestdata(t, "webhook_issue_deleted.json")
	bad := []byte(`{"webhookEvent": "jira:issue_updated", "issue": {`)
	tests := []struct {
		name       string
		body       []byte
		sig        string
		limit      int64
		pubErr     error
		method     string
		wantStatus int
		wantEvents int
	}{
		{name: "signed issue update", body: done, sig: sign(hookSecret, done), wantStatus: 200, wantEvents: 2},
		{name: "signed issue deletion", body: deleted, sig: sign(hookSecret, deleted), wantStatus: 200, wantEvents: 1},
		{name: "missing signature", body: done, wantStatus: 401},
		{name: "wrong secret", body: done, sig: sign("other", done), wantStatus: 401},
		{name: "signature of another body", body: done, sig: sign(hookSecret, comment), wantStatus: 401},
		{name: "sha1 prefix", body: done, sig: strings.Replace(sign(hookSecret, done), "sha256=", "sha1=", 1), wantStatus: 401},
		{name: "not hex", body: done, sig: "sha256=zz", wantStatus: 401},
		{name: "malformed JSON", body: bad, sig: sign(hookSecret, bad), wantStatus: 400},
		{name: "body over the server limit", body: done, sig: sign(hookSecret, done), limit: 100, wantStatus: 413},
		{name: "publish fails: 5xx so Jira retries", body: done, sig: sign(hookSecret, done), pubErr: errors.New("nats down"), wantStatus: 503},
		{name: "irrelevant event", body: comment, sig: sign(hookSecret, comment), wantStatus: 200},
		{name: "GET", body: nil, method: http.MethodGet, wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &memPublisher{fail: tt.pubErr}
			h := newTestWebhook(t, pub)
			var rec *httptest.ResponseRecorder
			if tt.method == http.MethodGet {
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/webhooks/jira", nil))
			} else {
				rec = deliver(h, tt.body, tt.sig, tt.limit)
			}
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := len(pub.ids()); got != tt.wantEvents {
				t.Errorf("events = %d, want %d", got, tt.wantEvents)
			}
			if tt.wantStatus != 200 && tt.wantStatus != 503 && pub.calls != 0 {
				t.Error("published although the delivery was refused")
			}
		})
	}
}

func TestWebhookRetryCountsOnce(t *testing.T) {
	body := readTestdata(t, "webhook_issue_done.json")
	pub := &memPublisher{}
	h := newTestWebhook(t, pub)
	first := deliver(h, body, sign(hookSecret, body), 0, "X-Atlassian-Webhook-Identifier", "7f3a-1")
	ids := pub.ids()
	retry := deliver(h, body, sign(hookSecret, body), 0, "X-Atlassian-Webhook-Identifier", "7f3a-1", "X-Atlassian-Webhook-Retry", "1")
	if first.Code != 200 || retry.Code != 200 {
		t.Fatalf("statuses %d, %d", first.Code, retry.Code)
	}
	if pub.calls != 2 || !slices.Equal(pub.ids(), ids) {
		t.Errorf("retry changed the stored events: %v then %v", ids, pub.ids())
	}
	want := []string{"jira:10001:completed:20002", "jira:10001:updated:1772442000000"}
	if !slices.Equal(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
}

// The webhook and the poller derive the same IDs for the same facts.
func TestWebhookAgreesWithPoll(t *testing.T) {
	fake := newFakeJira()
	scenario(fake)
	hs := newHarness(t, fake, nil)
	if err := hs.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	polled := hs.pub.byID
	pub := &memPublisher{}
	body := readTestdata(t, "webhook_issue_done.json")
	if rec := deliver(newTestWebhook(t, pub, WithStatusCategories(hs.src)), body, sign(hookSecret, body), 0); rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	for _, id := range pub.ids() {
		p, ok := polled[id]
		if !ok {
			t.Errorf("webhook event %s not produced by the poll", id)
			continue
		}
		w := pub.byID[id]
		if p.Kind != w.Kind || p.Unit != w.Unit || p.Attrs["epic"] != w.Attrs["epic"] || p.Numbers["resolution_seconds"] != w.Numbers["resolution_seconds"] {
			t.Errorf("%s differs:\npoll    %+v\nwebhook %+v", id, p, w)
		}
	}
}

func TestNewWebhookNeedsSecret(t *testing.T) {
	cfg := &Config{BaseURL: "https://acme.atlassian.net"}
	if _, err := NewWebhook(cfg, &memPublisher{}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("want an error without webhook_secret")
	}
}

// Transitions seen by webhook only: the category of the old status is
// unknown unless the poller's status list is shared.
func TestWebhookTransitionHeuristics(t *testing.T) {
	base := func(event, statusID, cat string, catChanged string, items string) []byte {
		return []byte(`{"webhookEvent":"jira:issue_updated","issue_event_type_name":"` + event + `",
		"issue":{"id":"7","key":"OPS-7","fields":{"issuetype":{"name":"Incident"},"project":{"key":"OPS"},
		"status":{"id":"` + statusID + `","name":"S","statusCategory":{"key":"` + cat + `"}},
		"created":"2026-03-02T09:00:00.000+0000","updated":"2026-03-02T09:30:00.000+0000"` + catChanged + `}},
		"changelog":{"id":"99","items":[` + items + `]}}`)
	}
	toDone := `{"field":"status","from":"3","fromString":"In Progress","to":"10001","toString":"Done"}`
	doneToClosed := `{"field":"status","from":"10001","fromString":"Done","to":"10002","toString":"Closed"}`
	reopen := `{"field":"status","from":"10001","fromString":"Done","to":"3","toString":"In Progress"},{"field":"resolution","from":"1","fromString":"Fixed","to":null,"toString":null}`
	nowChanged := `,"statuscategorychangedate":"2026-03-02T09:30:00.000+0000"`
	oldChanged := `,"statuscategorychangedate":"2026-03-02T09:10:00.000+0000"`
	tests := []struct {
		name    string
		body    []byte
		shared  bool
		want    []string
		notWant []string
	}{
		{"completed (category changed now)", base("issue_generic", "10001", "done", nowChanged, toDone), false, []string{"issue.completed"}, nil},
		{"completed (Server: no category date)", base("", "10001", "done", "", toDone), false, []string{"issue.completed"}, nil},
		{"done to closed is not a completion", base("issue_generic", "10002", "done", oldChanged, doneToClosed), false, nil, []string{"issue.completed"}},
		{"done to closed with the status list", base("issue_generic", "10002", "done", "", doneToClosed), true, nil, []string{"issue.completed"}},
		{"reopened (resolution cleared)", base("issue_generic", "3", "indeterminate", nowChanged, reopen), false, []string{"issue.reopened"}, []string{"issue.completed"}},
		{"reopened (event type)", base("issue_reopened", "3", "indeterminate", nowChanged, `{"field":"status","from":"10001","to":"3"}`), false, []string{"issue.reopened"}, nil},
	}
	cats := statusMap{"3": catIndeterminate, "10001": catDone, "10002": catDone}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &memPublisher{}
			var opts []WebhookOption
			if tt.shared {
				opts = append(opts, WithStatusCategories(cats))
			}
			if rec := deliver(newTestWebhook(t, pub, opts...), tt.body, sign(hookSecret, tt.body), 0); rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			kinds := map[string]bool{}
			for _, ev := range pub.events() {
				kinds[ev.Kind] = true
			}
			if !kinds[event.KindIssueUpdated] {
				t.Error("no issue.updated")
			}
			for _, k := range tt.want {
				if !kinds[k] {
					t.Errorf("missing %s in %v", k, eventKinds(pub.events()))
				}
			}
			for _, k := range tt.notWant {
				if kinds[k] {
					t.Errorf("unexpected %s in %v", k, eventKinds(pub.events()))
				}
			}
		})
	}
}

type statusMap map[string]string

func (m statusMap) StatusCategory(id string) (string, bool) { c, ok := m[id]; return c, ok }

// An issue_deleted delivery gives one issue.deleted event with the issue's
// identity and none of its state, the same on every retry.
func TestWebhookIssueDeleted(t *testing.T) {
	fixture := readTestdata(t, "webhook_issue_deleted.json")
	noStamp := bytes.Replace(fixture, []byte(`"timestamp": 1772445600000,`), nil, 1)
	noIssue := []byte(`{"timestamp": 1772445600000, "webhookEvent": "jira:issue_deleted"}`)
	tests := []struct {
		name   string
		body   []byte
		wantAt time.Time // zero: no event
	}{
		{"at the delivery's timestamp", fixture, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)},
		{"no timestamp: at the last update", noStamp, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		{"no issue", noIssue, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &memPublisher{}
			h := newTestWebhook(t, pub)
			for range 2 { // a retry gives the same event
				if rec := deliver(h, tt.body, sign(hookSecret, tt.body), 0); rec.Code != 200 {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			evs := pub.events()
			if tt.wantAt.IsZero() {
				if len(evs) != 0 {
					t.Fatalf("events %v, want none", eventKinds(evs))
				}
				return
			}
			if len(evs) != 1 {
				t.Fatalf("events %v, want one issue.deleted", eventKinds(evs))
			}
			ev := evs[0]
			if ev.ID != "jira:10001:deleted" || ev.Kind != event.KindIssueDeleted || ev.Unit != "AUTH-1" || ev.Repo != "AUTH" ||
				ev.ActorHandle != "acc-grace" || !ev.OccurredAt.Equal(tt.wantAt) || ev.URL != "https://acme.atlassian.net/browse/AUTH-1" {
				t.Errorf("event = %+v", ev)
			}
			if ev.Attrs["deleted"] != "true" || ev.Attrs["issue_id"] != "10001" || len(ev.Attrs) != 2 {
				t.Errorf("attrs = %v, want deleted and issue_id only (no status: it must not read as issue state)", ev.Attrs)
			}
			if ev.Labels != nil || ev.Links != nil || ev.Numbers != nil {
				t.Errorf("labels %v links %v numbers %v: a deletion carries no state", ev.Labels, ev.Links, ev.Numbers)
			}
		})
	}
}

// stalledStream is a Publisher whose stream never answers: it waits for
// ctx, failing the test if ctx has no deadline within hook.Deadline (the
// receiver would hang), and reports the deadline's expiry at once.
type stalledStream struct{ t *testing.T }

func (s stalledStream) Publish(ctx context.Context, _ ...event.Event) error {
	dl, ok := ctx.Deadline()
	if !ok || time.Until(dl) > hook.Deadline {
		s.t.Errorf("published without a deadline within %v", hook.Deadline)
	}
	return context.DeadlineExceeded
}

// While the stream is unavailable the receiver answers 503 within its
// deadline, so Jira retries the delivery.
func TestWebhookStreamUnavailable(t *testing.T) {
	done := readTestdata(t, "webhook_issue_done.json")
	if rec := deliver(newTestWebhook(t, stalledStream{t}), done, sign(hookSecret, done), 0); rec.Code != 503 {
		t.Fatalf("status %d, want 503", rec.Code)
	}
}
