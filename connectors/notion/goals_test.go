package notion_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
)

func TestLoadGoals(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.fake.AddUser(notionfake.User{ID: "11111111-2222-4333-8444-555555555555", Name: "Ada", Email: "ada@acme.test"}); err != nil {
		t.Fatal(err)
	}
	for i := range 150 { // two query pages
		props := map[string]any{"Name": fmt.Sprintf("KR %d", i), "Key": fmt.Sprintf("kr-%03d", i), "Target": i * 2}
		if i == 7 {
			props["Owner"] = []string{"ada@acme.test"}
			props["Baseline"] = 3
		}
		if i == 8 {
			props["Key"] = "" // a row nobody tied to the config yet
		}
		id := e.page(t, props)
		if i == 9 {
			_ = e.fake.Trash(id)
		}
	}
	goals, err := notion.LoadGoals(t.Context(), e.sink.Client(), notion.GoalsConfig{DatabaseID: e.db})
	if err != nil {
		t.Fatal(err)
	}
	if len(goals) != 148 {
		t.Errorf("goals = %d, want 148 (one without a key, one trashed)", len(goals))
	}
	g := goals["kr-007"]
	if g.Title != "KR 7" || g.Owner != "ada@acme.test" || *g.Target != 14 || *g.Baseline != 3 || g.PageID == "" {
		t.Errorf("kr-007 = %+v", g)
	}
	if g := goals["kr-010"]; g.Baseline != nil || g.Owner != "" {
		t.Errorf("kr-010 = %+v, want no baseline and no owner", g)
	}
	if got := e.fake.Count("POST /v1/data_sources/{id}/query"); got != 2 {
		t.Errorf("queries = %d, want 2", got)
	}
}

// A goals database someone added a second data source to: the 2022-06-28
// query gets Notion's 400; goalpost reads the rows of every source by
// database id, and of one source by its data source id. A key on rows of
// two sources is a duplicate.
func TestLoadGoalsMultiSourceDatabase(t *testing.T) {
	e := newEnv(t, nil)
	e.page(t, map[string]any{"Name": "KR 1", "Key": "kr-1", "Target": 10})
	second, err := e.fake.AddDataSource(e.db, "Platform team")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fake.AddPageToSource(e.db, second, map[string]any{"Name": "KR 2", "Key": "kr-2", "Target": 20}); err != nil {
		t.Fatal(err)
	}
	old := httptest.NewRequest("POST", "/v1/databases/"+e.db+"/query", strings.NewReader("{}"))
	old.Header.Set("Authorization", "Bearer "+token)
	old.Header.Set("Notion-Version", "2022-06-28")
	rec := httptest.NewRecorder()
	e.fake.ServeHTTP(rec, old)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "validation_error") {
		t.Fatalf("2022-06-28 query of a multi-source database: %d %s, want Notion's 400", rec.Code, rec.Body)
	}
	tests := []struct {
		name, id string
		want     map[string]float64 // key → target
	}{
		{"database: every source", e.db, map[string]float64{"kr-1": 10, "kr-2": 20}},
		{"first data source", e.fake.DataSources(e.db)[0], map[string]float64{"kr-1": 10}},
		{"second data source", second, map[string]float64{"kr-2": 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			goals, err := notion.LoadGoals(t.Context(), e.sink.Client(), notion.GoalsConfig{DatabaseID: tt.id})
			if err != nil {
				t.Fatal(err)
			}
			if len(goals) != len(tt.want) {
				t.Fatalf("goals %+v, want %v", goals, tt.want)
			}
			for key, target := range tt.want {
				if g := goals[key]; g.Target == nil || *g.Target != target || g.PageID == "" {
					t.Errorf("%s = %+v, want target %v", key, g, target)
				}
			}
		})
	}
	if _, err := e.fake.AddPageToSource(e.db, second, map[string]any{"Name": "KR 1 again", "Key": "kr-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := notion.LoadGoals(t.Context(), e.sink.Client(), notion.GoalsConfig{DatabaseID: e.db}); err == nil ||
		!strings.Contains(err.Error(), `key "kr-1" is on two rows`) {
		t.Fatalf("a key in two sources: %v", err)
	}
}

func TestLoadGoalsErrors(t *testing.T) {
	tests := []struct {
		name string
		rows []map[string]any
		cfg  func(db string) notion.GoalsConfig
		want string
	}{
		{name: "duplicate key", want: `key "kr-1" is on two rows`,
			rows: []map[string]any{{"Name": "a", "Key": "kr-1"}, {"Name": "b", "Key": "kr-1"}}},
		{name: "missing key property", want: `no "Code" property`,
			rows: []map[string]any{{"Name": "a", "Key": "kr-1"}},
			cfg:  func(db string) notion.GoalsConfig { return notion.GoalsConfig{DatabaseID: db, KeyProperty: "Code"} }},
		{name: "target is not a number", want: `property "Name" is a title, want number`,
			rows: []map[string]any{{"Name": "a", "Key": "kr-1"}},
			cfg:  func(db string) notion.GoalsConfig { return notion.GoalsConfig{DatabaseID: db, TargetProperty: "Name"} }},
		{name: "unknown database", want: "object_not_found",
			cfg: func(string) notion.GoalsConfig {
				return notion.GoalsConfig{DatabaseID: "99999999999999999999999999999999"}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			for _, r := range tt.rows {
				e.page(t, r)
			}
			cfg := notion.GoalsConfig{DatabaseID: e.db}
			if tt.cfg != nil {
				cfg = tt.cfg(e.db)
			}
			_, err := notion.LoadGoals(t.Context(), e.sink.Client(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  notion.Config
		want []string // keys named in the error; none means valid
	}{
		{name: "minimal", cfg: notion.Config{Token: "t"}},
		{name: "no token", cfg: notion.Config{}, want: []string{"token"}},
		{name: "bad values", cfg: notion.Config{Token: "t", BaseURL: "ftp://x", RequestsPerSecond: -1, EvidenceLimit: 99, Checkin: "page"},
			want: []string{"base_url", "requests_per_second", "evidence_limit", "checkin"}},
		{name: "duplicate property", cfg: notion.Config{Token: "t", Properties: notion.Properties{Current: "Value", Target: "Value"}},
			want: []string{"properties."}},
		{name: "bad goals database", cfg: notion.Config{Token: "t", Goals: notion.GoalsConfig{DatabaseID: "abc"}},
			want: []string{"goals.database_id"}},
		{name: "comma in option", cfg: notion.Config{Token: "t", StatusNames: notion.StatusNames{Done: "Done, finally"}},
			want: []string{"status_names.done"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, k := range tt.want {
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		})
	}
}
