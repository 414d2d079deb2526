package main

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/goalpost/goalpost/internal/config"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
)

func TestNotionGoalsOverrideTitlesOwnersAndTargets(t *testing.T) {
	fake := notionfake.New("notion-token")
	db, err := fake.AddDatabase("", "Key results", notionfake.GoalsSchema())
	if err != nil {
		t.Fatal(err)
	}
	page, err := fake.AddPage(db, map[string]any{"Name": "Merge 12 PRs (edited in Notion)", "Key": "merged-10", "Target": 12, "Baseline": 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.AddPage(db, map[string]any{"Name": "A row with no key result in the config", "Key": "other"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	text := daemonConfig(t.TempDir(), "http://127.0.0.1:1/", 4096) + `
[notion]
base_url = "` + srv.URL + `/v1/"
token = "notion-token"
[notion.goals]
database_id = "` + db + `"
`
	cfg, err := config.Parse("goals.toml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := loadNotionGoals(context.Background(), cfg, discardLog()); err != nil {
		t.Fatal(err)
	}
	kr := cfg.Objectives[0].KeyResults[0]
	if kr.Title != "Merge 12 PRs (edited in Notion)" || kr.Target != 12 || kr.Baseline != 2 || kr.NotionPage != page {
		t.Fatalf("key result not overridden from Notion: %+v", kr)
	}
	if kr.Match != `kind == "pull_request.merged"` {
		t.Fatalf("match rule must stay the configuration's, got %q", kr.Match)
	}
}
