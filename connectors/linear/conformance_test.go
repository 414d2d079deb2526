package linear

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// linearFixturesDir finds ../shared/fixtures/linear next to the repository
// root (the directory holding go.mod), skipping when it is absent.
func linearFixturesDir(t *testing.T) string {
	t.Helper()
	return fixtures.Dir(t, "linear")
}

// Real Linear deliveries, signed here and delivered at their own
// webhookTimestamp, map to the expected events.
func TestConformanceLinearWebhooks(t *testing.T) {
	dir := linearFixturesDir(t)
	tests := []struct {
		file      string
		wantKinds []string
		wantUnit  string
		wantCat   string
		noURL     bool // the delivery names no URL
	}{
		{"webhook.Issue.create.zulip.json", []string{"issue.created"}, "WEB-43", "new", false},
		{"webhook.Issue.update.title-change.zulip.json", []string{"issue.updated"}, "WEB-44", "indeterminate", false},
		// A trashed issue: deleted, with no state.
		{"webhook.Issue.remove.zulip.json", []string{"issue.deleted"}, "WEB-44", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Skip(err)
			}
			var env struct {
				WebhookTimestamp int64 `json:"webhookTimestamp"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			pub := &recPublisher{}
			h := newLinearWebhook(t, pub, time.UnixMilli(env.WebhookTimestamp).Add(2*time.Second))
			if rec := linDeliver(h, body, linSign(linHookSecret, body), 0); rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var kinds []string
			for _, ev := range pub.events() {
				kinds = append(kinds, ev.Kind)
				if ev.Unit != tt.wantUnit || ev.Repo != "WEB" || ev.Attrs["status_category"] != tt.wantCat || (ev.URL == "") != tt.noURL {
					t.Errorf("%s: unit %q repo %q category %q url %q", ev.ID, ev.Unit, ev.Repo, ev.Attrs["status_category"], ev.URL)
				}
			}
			slices.Sort(kinds)
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("kinds = %v, want %v", kinds, tt.wantKinds)
			}
		})
	}
}
