package linear

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

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

// sentDocuments is every GraphQL document goalpost sends to Linear.
func sentDocuments() map[string]string {
	docs := map[string]string{"issues": issuesQuery, "issue": issueQuery, "projects": projectsQuery, "viewer": viewerQuery, "discover": discoverQuery}
	for kind, k := range updateKinds {
		docs[kind+" create"], docs[kind+" by id"], docs[kind+" latest"] = k.mutation, k.query, k.latest
	}
	return docs
}

// Every document goalpost sends validates against Linear's published
// schema (field names, arguments, variable types, enum values).
func TestConformanceLinearDocumentsValidate(t *testing.T) {
	raw, err := os.ReadFile(fixtures.Spec(t, "linear.schema.graphql"))
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "linear.schema.graphql", Input: string(raw)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	// The validator is live: a field the schema lacks is rejected.
	if _, errs := gqlparser.LoadQueryWithRules(schema, `query { issue(id: "x") { parentIdentifier } }`, nil); len(errs) == 0 {
		t.Fatal("an unknown field validated")
	}
	for name, doc := range sentDocuments() {
		t.Run(name, func(t *testing.T) {
			if _, errs := gqlparser.LoadQueryWithRules(schema, doc, nil); len(errs) > 0 {
				t.Errorf("%s does not validate: %v\n%s", name, errs, doc)
			}
		})
	}
}
