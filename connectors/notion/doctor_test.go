package notion_test

import (
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/secret"
)

// doctor names each misconfiguration with its fix: a page not shared, a
// status property with Notion's default options (the missing ones named),
// a multi-source goals database is fine.
func TestDoctor(t *testing.T) {
	e := newEnv(t, nil)
	good := e.page(t, nil)
	hidden := e.page(t, nil)
	_ = e.fake.SetShared(hidden, false)
	defaults := notionDefaultStatus(t, e)
	if _, err := e.fake.AddDataSource(e.db, "Archive"); err != nil {
		t.Fatal(err)
	}
	cfg := &notion.Config{BaseURL: e.srv.URL + "/v1/", Token: secret.String(token), RequestsPerSecond: 100, Goals: notion.GoalsConfig{DatabaseID: e.db}}
	checks := notion.Doctor(t.Context(), cfg, e.srv.Client(), []string{good, hidden, "https://www.notion.so/acme/KR-" + strings.ReplaceAll(defaults, "-", "")})
	want := map[string]string{ // check name → text its detail must hold ("" passes)
		"notion: token":                 "",
		"notion page " + good:           "",
		"notion page " + hidden:         "object_not_found",
		"notion goals database " + e.db: "",
	}
	for _, ck := range checks {
		if strings.Contains(ck.Name, strings.ReplaceAll(defaults, "-", "")) {
			want[ck.Name] = `lacks the options "At risk", "Off track", "On track", "Stale"`
		}
		w, ok := want[ck.Name]
		switch {
		case !ok:
			t.Errorf("unexpected check %+v", ck)
		case ck.OK != (w == "") || !strings.Contains(ck.Detail, w) || (!ck.OK && ck.Fix == ""):
			t.Errorf("%s: ok %v detail %q fix %q; want %q", ck.Name, ck.OK, ck.Detail, ck.Fix, w)
		}
		delete(want, ck.Name)
	}
	if len(checks) != 5 {
		t.Errorf("%d checks, want 5: %+v", len(checks), checks)
	}
}
