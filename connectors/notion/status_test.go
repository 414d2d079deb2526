package notion_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/goalpost/goalpost/connectors/notion"
	"github.com/goalpost/goalpost/internal/sandbox/notionfake"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/writeback/outbox"
)

// notionDefaultStatus is a goals database whose Status is a `status`
// property with the options Notion gives a new one.
func notionDefaultStatus(t *testing.T, e *env) string {
	t.Helper()
	schema := notionfake.GoalsSchema()
	schema["Status"] = notionfake.Prop{Type: notionfake.Status, Options: []string{"Not started", "In progress", "Done"}}
	db, err := e.fake.AddDatabase("", "Team goals", schema)
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.fake.AddPage(db, map[string]any{"Name": "KR", "Key": "kr-1", "Status": "Not started"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// A status property without goalpost's options: the other properties are
// written and the missing option is logged by name (not a parked write);
// a status whose option exists under another case is written with
// Notion's spelling.
func TestSinkStatusOptionsOfNotionsDefaultStatus(t *testing.T) {
	e := newEnv(t, func(c *notion.Config) { c.StatusNames.Done = "DONE" })
	id := notionDefaultStatus(t, e)
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusOnTrack)); err != nil {
		t.Fatalf("write with a missing status option: %v", err)
	}
	p, err := e.fake.Page(id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Props["Current"] != 12.0 || p.Props["Status"] != "Not started" {
		t.Errorf("page props %v: want Current written, Status untouched", p.Props)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `missing="On track"`) || !strings.Contains(logs, "Not started, In progress, Done") {
		t.Errorf("log does not name the missing option and the existing ones:\n%s", logs)
	}
	if err := e.sink.Write(t.Context(), outbox.NotionPage(id), result(rules.StatusDone)); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.fake.Page(id); p.Props["Status"] != "Done" {
		t.Errorf("Status = %v, want Done (configured as DONE)", p.Props["Status"])
	}
}

// What doctor reports for such a property: every configured option it
// lacks, compared ignoring case.
func TestMissingStatusOptions(t *testing.T) {
	cfg := &notion.Config{}
	got := cfg.MissingStatusOptions([]string{"Not started", "In progress", "done"})
	if want := []string{"At risk", "Off track", "On track", "Stale"}; !slices.Equal(got, want) {
		t.Errorf("missing %v, want %v", got, want)
	}
}
