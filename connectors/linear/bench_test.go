package linear

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

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, ...event.Event) error { return nil }

// BenchmarkIssuesPageToEvents decodes a 100-issue GraphQL page and derives
// its events (what a poll does per page besides HTTP).
func BenchmarkIssuesPageToEvents(b *testing.B) {
	var nodes []map[string]any
	for i := range 100 {
		nodes = append(nodes, linIssue("iss-"+strconv.Itoa(i), i, "completed", "Done", lt0.Add(-time.Hour), lt0, map[string]any{
			"completedAt": iso(lt0), "startedAt": iso(lt0.Add(-30 * time.Minute)), "estimate": 2,
			"project": map[string]any{"id": "p", "name": "Passkeys"}, "labels": map[string]any{"nodes": []any{map[string]any{"name": "auth"}}},
		}))
	}
	raw, err := json.Marshal(map[string]any{"issues": map[string]any{"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": false}}})
	if err != nil {
		b.Fatal(err)
	}
	m := issueMapper{poll: (&Config{}).pollSettings()}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		var out map[string]struct {
			Nodes []issueNode `json:"nodes"`
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			b.Fatal(err)
		}
		for i := range out["issues"].Nodes {
			n += len(m.events(&out["issues"].Nodes[i]))
		}
	}
	b.ReportMetric(float64(n)/float64(b.N), "events/op")
}

// BenchmarkWebhook is one signed Issue update: read, verify, check the
// timestamp, decode, look the issue up (an in-process fake), map, publish
// (no-op), answer.
func BenchmarkWebhook(b *testing.B) {
	body, err := os.ReadFile("testdata/webhook_issue_completed.json")
	if err != nil {
		b.Fatal(err)
	}
	sig := linSign(linHookSecret, body)
	srv := httptest.NewServer(&linearFake{key: "k", now: hookSent})
	defer srv.Close()
	h, err := NewWebhook(&Config{BaseURL: srv.URL, APIKey: "k", WebhookSecret: linHookSecret}, nopPublisher{}, slog.New(slog.DiscardHandler),
		WithClock(func() time.Time { return hookSent }), WithClientOptions(WithBaseTransport(srv.Client().Transport)))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/linear", bytes.NewReader(body))
		req.Header.Set("Linear-Signature", sig)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
