package linear

import (
	"log/slog"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/transport"
)

// polledIssue1 is testdata/webhook_issue_completed.json's issue as the
// issues query returns it: with its parent's identifier (the delivery has
// only parentId) and a blocker that only inverseRelations names.
func polledIssue1() map[string]any {
	created := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
	updated := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	return linIssue("iss-1", 1, "completed", "Done", created, updated, map[string]any{
		"startedAt": "2026-03-02T06:00:00.000Z", "completedAt": "2026-03-02T09:00:00.000Z", "estimate": 3,
		"project":  map[string]any{"id": "proj-1", "name": "Passkeys"},
		"cycle":    map[string]any{"id": "cyc-12", "number": 12, "name": "Cycle 12"},
		"parent":   map[string]any{"identifier": "ENG-100"},
		"labels":   map[string]any{"nodes": []any{map[string]any{"name": "auth"}}},
		"creator":  map[string]any{"id": "user-bob"},
		"assignee": map[string]any{"id": "user-ada"},
		"inverseRelations": map[string]any{"nodes": []any{
			map[string]any{"type": "blocks", "issue": map[string]any{"identifier": "ENG-9", "state": map[string]any{"type": "started"}}},
			map[string]any{"type": "blocks", "issue": map[string]any{"identifier": "ENG-8", "state": map[string]any{"type": "completed"}}},
			map[string]any{"type": "related", "issue": map[string]any{"identifier": "ENG-7", "state": map[string]any{"type": "started"}}},
		}},
	})
}

// An issue first seen by webhook (parentId, no parent identifier, no
// relations) ends with the same facts as the poll of the same version:
// same event ids, same attributes (epic, blocked, blocked_by) and links.
func TestWebhookIssueHasThePollsFacts(t *testing.T) {
	fake := &linearFake{key: "lin_api_poll_key", now: hookSent, issues: []map[string]any{polledIssue1()}}
	hookPub := &recPublisher{}
	h := newLinearWebhookWith(t, hookPub, hookSent, fake)
	body := readLinearTestdata(t, "webhook_issue_completed.json")
	if rec := linDeliver(h, body, linSign(linHookSecret, body), 0); rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	poll := newLinearHarness(t, fake, nil)
	if err := poll.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	polled := poll.pub.byID
	hooked := hookPub.events()
	if len(hooked) == 0 {
		t.Fatal("webhook published nothing")
	}
	for _, ev := range hooked {
		p, ok := polled[ev.ID]
		if !ok {
			t.Errorf("webhook event %s not in the poll's %v", ev.ID, slices.Sorted(maps.Keys(polled)))
			continue
		}
		if !maps.Equal(ev.Attrs, p.Attrs) || !slices.Equal(ev.Links, p.Links) {
			t.Errorf("%s:\n webhook attrs %v links %v\n poll    attrs %v links %v", ev.ID, ev.Attrs, ev.Links, p.Attrs, p.Links)
		}
		if ev.Attrs["epic"] != "ENG-100" || ev.Attrs["blocked"] != "true" || ev.Attrs["blocked_by"] != "ENG-9" {
			t.Errorf("%s: epic %q blocked %q blocked_by %q", ev.ID, ev.Attrs["epic"], ev.Attrs["blocked"], ev.Attrs["blocked_by"])
		}
	}
}

// The look-up failing for a reason that may pass (rate limit, 5xx,
// timeout) answers 503 and publishes nothing: Linear redelivers, and the
// poll reads the issue anyway. An issue the API does not know is
// published as delivered.
func TestWebhookIssueLookupFailure(t *testing.T) {
	tests := []struct {
		name        string
		rateLimited int
		issues      []map[string]any
		want        int
		published   bool
	}{
		{"rate limited", 1, []map[string]any{polledIssue1()}, 503, false},
		{"unknown issue", 0, nil, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &linearFake{key: "k", now: hookSent, issues: tt.issues, rateLimited: tt.rateLimited}
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			pub := &recPublisher{}
			h, err := NewWebhook(&Config{BaseURL: srv.URL, APIKey: "k", WebhookSecret: linHookSecret}, pub, slog.New(slog.DiscardHandler),
				WithClock(func() time.Time { return hookSent }),
				WithClientOptions(WithBaseTransport(srv.Client().Transport), WithTransportOptions(transport.Options{MaxAttempts: 1})))
			if err != nil {
				t.Fatal(err)
			}
			body := readLinearTestdata(t, "webhook_issue_completed.json")
			if rec := linDeliver(h, body, linSign(linHookSecret, body), 0); rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			if got := len(pub.ids()) > 0; got != tt.published {
				t.Errorf("published %v, want %v", got, tt.published)
			}
		})
	}
}
