package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jomei/notionapi"

	"github.com/goalpost/goalpost/rules/people"
)

// [dashboard] people = "team-only": the weekly check-in in every format
// (terminal/Markdown, HTML, JSON, Slack, the Notion page) keeps the team's
// row of the grid and lists no person, no miss and no silence; the frozen
// snapshot keeps the people, so the setting can be changed back.
func TestTeamOnlyReportHidesPeople(t *testing.T) {
	st := openStore(t, t.TempDir())
	named := buildFixed(t)
	if len(named.Baseline.Rows) == 0 || len(named.TwoInARow)+len(named.Silent) == 0 {
		t.Fatal("the fixed dataset should name people, misses and silence")
	}
	b, err := NewBuilder(loadSource(t), st, []people.Team{platform}, nil, TeamOnly(true))
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.Report(t.Context(), "platform", week47, reportTime)
	if err != nil {
		t.Fatal(err)
	}
	if !r.TeamOnly || len(r.Baseline.Rows)+len(r.TwoInARow)+len(r.Silent) != 0 || len(r.Baseline.Coverage) == 0 {
		t.Fatalf("team-only report = rows %v, two in a row %v, silent %v, coverage %v", r.Baseline.Rows, r.TwoInARow, r.Silent, r.Baseline.Coverage)
	}
	md, html, slackJSON := render(t, r, FormatMarkdown), render(t, r, FormatHTML), render(t, r, FormatSlack)
	grid, _ := json.Marshal(slackBaseline(r))
	for _, row := range named.Baseline.Rows {
		checks := []struct{ name, text, person string }{
			{"markdown grid", md, "| " + row.Name + " |"},
			{"html grid", html, `<th scope="row">` + row.Name},
			{"slack grid", string(grid), row.Name},
		}
		for _, c := range checks {
			if strings.Contains(c.text, c.person) {
				t.Errorf("%s lists %q", c.name, row.Name)
			}
		}
	}
	for name, text := range map[string]string{"markdown": md, "html": html, "slack": slackJSON} {
		if strings.Contains(text, "Two misses in a row") || strings.Contains(text, "Silence") {
			t.Errorf("%s still has the two-in-a-row or silence section", name)
		}
		if !strings.Contains(text, "team figures only") {
			t.Errorf("%s does not say it shows team figures only", name)
		}
	}
	if n := tableRows(notionBlocks(r)); n != 2 {
		t.Errorf("notion grid has %d rows, want the header and the team's", n)
	}
	body, err := st.ReportSnapshot(t.Context(), "platform", week47.String())
	if err != nil {
		t.Fatal(err)
	}
	if frozen, _ := Decode(body); frozen == nil || len(frozen.Baseline.Rows) != len(named.Baseline.Rows) {
		t.Error("the frozen snapshot lost its people")
	}
}

func tableRows(bs []notionapi.Block) int {
	n := 0
	for _, b := range bs {
		if tb, ok := b.(*notionapi.TableBlock); ok {
			n += len(tb.Table.Children)
		}
	}
	return n
}
