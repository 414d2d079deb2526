package jira

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

type discardPublisher struct{}

func (discardPublisher) Publish(context.Context, ...event.Event) error { return nil }

// benchPage is one search page of 100 issues with ten changelog entries
// each, as JSON.
func benchPage(b *testing.B) []byte {
	b.Helper()
	f := newFakeJira()
	f.embedLimit = 100
	for i := range 100 {
		is := &fakeIssue{ID: strconv.Itoa(10000 + i), Key: "AUTH-" + strconv.Itoa(i), Type: "Story", Summary: "story",
			StatusID: "10001", Resolution: "Done", Created: t0.Add(-48 * time.Hour), Updated: t0, Assignee: "acc",
			Labels: []string{"auth", "okr"}, Parent: "AUTH-1", ParentType: "Epic", Custom: map[string]any{"customfield_10016": 3.0}}
		for j := range 10 {
			from, to := "1", "3"
			if j%2 == 1 {
				from, to = "3", "10001"
			}
			is.Histories = append(is.Histories, fakeHistory{ID: strconv.Itoa(i*100 + j), At: t0.Add(time.Duration(j-10) * time.Hour),
				Author: "acc", Items: []map[string]any{statusItem(from, "A", to, "B")}})
		}
		f.issues = append(f.issues, is)
	}
	cfg := (&Config{StoryPointsField: "customfield_10016"}).withDefaults()
	page := map[string]any{"issues": f.render(f.issues, requestFields(&cfg, "customfield_10021"), true, true), "isLast": true}
	raw, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkSearchPageToEvents decodes a 100-issue search page and derives
// its events (what a poll does per page besides HTTP).
func BenchmarkSearchPageToEvents(b *testing.B) {
	raw := benchPage(b)
	cfg := (&Config{BaseURL: "https://acme.atlassian.net", StoryPointsField: "customfield_10016"}).withDefaults()
	m := mapper{cfg: &cfg}
	cats := map[string]string{"1": catNew, "3": catIndeterminate, "10001": catDone}
	cat := func(id string) (string, bool) { c, ok := cats[id]; return c, ok }
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var p searchPage
		if err := json.Unmarshal(raw, &p); err != nil {
			b.Fatal(err)
		}
		for i := range p.Issues {
			n += len(m.events(m.state(&p.Issues[i]), p.Issues[i].Changelog.Histories, cat, hints{}))
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "events/op")
}

// BenchmarkWebhook is one signed issue_updated delivery: read, verify,
// decode, map, publish (no-op), answer.
func BenchmarkWebhook(b *testing.B) {
	body, err := os.ReadFile("testdata/webhook_issue_done.json")
	if err != nil {
		b.Fatal(err)
	}
	sig := sign(hookSecret, body)
	cfg := &Config{BaseURL: "https://acme.atlassian.net", WebhookSecret: hookSecret}
	h, err := NewWebhook(cfg, discardPublisher{}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/jira", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
