package jira

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/goalpost/goalpost/internal/fixtures"
)

// fixturesDir finds ../shared/fixtures/<name> next to the repository root
// (the directory holding go.mod), skipping the test when it is absent.
func fixturesDir(t *testing.T, name string) string {
	t.Helper()
	return fixtures.Dir(t, name)
}

func readFixture(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Skipf("fixture %s: %v", name, err)
	}
	return b
}

// Real Jira webhook deliveries (Cloud and Server) decode and map to the
// expected events.
func TestConformanceWebhookFixtures(t *testing.T) {
	dir := fixturesDir(t, "jira")
	tests := []struct {
		file      string
		wantKinds []string
		wantCat   string
	}{
		{"webhook.cloud.jira-issue_updated.status-changelog.zulip.json", []string{"issue.updated"}, "indeterminate"},
		{"webhook.server.jira-issue_created.json", []string{"issue.created"}, "new"},
		{"webhook.server.jira-issue_updated.status-changelog.json", []string{"issue.completed", "issue.updated"}, "done"},
		{"webhook.server.jira-issue_updated.fields-changelog.json", []string{"issue.updated"}, "new"},
		{"webhook.server.jira-issue_updated.status-done-resolution.json", []string{"issue.completed", "issue.updated"}, "done"},
		{"webhook.cloud.comment_created.json", nil, ""},
	}
	h := newTestWebhook(t, &memPublisher{}).(*Webhook)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var p webhookPayload
			if err := json.Unmarshal(readFixture(t, dir, tt.file), &p); err != nil {
				t.Fatalf("decode: %v", err)
			}
			evs := h.events(&p)
			var kinds []string
			for _, ev := range evs {
				if err := ev.Validate(); err != nil {
					t.Error(err)
				}
				if ev.Unit != p.Issue.Key || ev.Repo == "" {
					t.Errorf("%s: unit %q repo %q", ev.ID, ev.Unit, ev.Repo)
				}
				if tt.wantCat != "" && ev.Attrs["status_category"] != tt.wantCat {
					t.Errorf("%s: status_category %q, want %q", ev.ID, ev.Attrs["status_category"], tt.wantCat)
				}
				kinds = append(kinds, ev.Kind)
			}
			slices.Sort(kinds)
			if tt.wantKinds != nil && !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("kinds = %v, want %v", kinds, tt.wantKinds)
			}
			if tt.file == "webhook.cloud.comment_created.json" && len(evs) != 0 {
				t.Errorf("comment delivery mapped to %v", kinds)
			}
		})
	}
}

// REST payloads from Atlassian's OpenAPI examples decode into the types the
// poller uses.
func TestConformanceRESTFixtures(t *testing.T) {
	dir := fixturesDir(t, "jira")
	cfg := (&Config{BaseURL: "https://your-domain.atlassian.net"}).withDefaults()
	m := mapper{cfg: &cfg}
	t.Run("search/jql page", func(t *testing.T) {
		var p searchPage
		if err := json.Unmarshal(readFixture(t, dir, "rest-api-3.search-jql.200.json"), &p); err != nil {
			t.Fatal(err)
		}
		if !p.IsLast || len(p.Issues) == 0 || p.Issues[0].Key == "" {
			t.Fatalf("page %+v", p)
		}
		st := m.state(&p.Issues[0])
		if st.Project == "" || st.Updated.IsZero() {
			t.Errorf("state %+v", st)
		}
	})
	t.Run("issue changelog page", func(t *testing.T) {
		var page struct {
			Values []apiHistory `json:"values"`
			Total  int          `json:"total"`
			IsLast bool         `json:"isLast"`
		}
		if err := json.Unmarshal(readFixture(t, dir, "rest-api-3.issue.changelog.200.json"), &page); err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || page.IsLast || len(page.Values) != 2 || page.Values[0].Created.IsZero() {
			t.Errorf("page %+v", page)
		}
		if got := added(string(page.Values[1].Items[0].FromString), string(page.Values[1].Items[0].ToString)); !slices.Equal(got, []string{"label-2"}) {
			t.Errorf("added labels %v", got)
		}
	})
	t.Run("issue", func(t *testing.T) {
		var is apiIssue
		if err := json.Unmarshal(readFixture(t, dir, "rest-api-3.issue.get.200.json"), &is); err != nil {
			t.Fatal(err)
		}
		if is.Key == "" {
			t.Errorf("issue %+v", is)
		}
		_ = m.state(&is)
	})
}
