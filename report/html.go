package report

import (
	_ "embed"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/goalpost/goalpost/report/present"
	"github.com/goalpost/goalpost/rules"
)

//go:embed html.tmpl
var htmlSource string

// htmlTmpl is parsed once; parsing a fixed, embedded template cannot fail at
// run time (a test renders it).
var htmlTmpl = template.Must(template.New("report").Parse(htmlSource))

// HTML writes r as a self-contained HTML page: inline CSS, no scripts, no
// external assets; a status strip, one card per key result with a progress
// bar in its status colour, the baseline grid, and print styles.
func HTML(r *Report, w io.Writer) error {
	return htmlTmpl.Execute(w, newHTMLView(r))
}

type htmlView struct {
	Title, Span, Generated, Summary, Narrative, Placeholder, Legend string
	Strip                                                           []htmlKR
	Objectives                                                      []htmlObjective
	Wins                                                            []htmlItem
	Weeks                                                           []string
	Rows                                                            []htmlRow
	Coverage                                                        []string
	TwoInARow, Silent                                               []string
	TeamOnly                                                        bool
	NoPeople, TeamOnlyNote                                          string
	Notes                                                           []ownerNote
	Unmapped                                                        []htmlUnmapped
}

type htmlObjective struct {
	Label string
	KRs   []htmlKR
}

type htmlKR struct {
	Key, Label, Class, Status, CurrentTarget, Meta, Moved string
	Pct                                                   int
	MovedItems, Blockers                                  []htmlItem
	HasMoved                                              bool
}

type htmlItem struct {
	Title, Meta string
	URL         template.URL // only http(s), checked by safeURL
}

type htmlRow struct {
	Name  string
	Cells []htmlCell
}

type htmlCell struct{ Class, Text string }

type htmlUnmapped struct{ Source, Handle, Events string }

func newHTMLView(r *Report) htmlView {
	v := htmlView{
		Title: r.title(), Span: r.span(), Generated: r.generated(),
		Summary: summaryLine(r, ""), Narrative: r.Narrative, Placeholder: narrativePlaceholder, Legend: gridLegend,
		Wins: htmlItems(r.Wins), TwoInARow: names(r.TwoInARow), Silent: names(r.Silent),
		TeamOnly: r.TeamOnly, NoPeople: noPeople(r), TeamOnlyNote: teamOnlyNote, Notes: r.notes(),
	}
	for _, o := range r.Objectives {
		ho := htmlObjective{Label: o.label()}
		for _, k := range o.KRs {
			hk := newHTMLKR(k)
			ho.KRs = append(ho.KRs, hk)
			v.Strip = append(v.Strip, hk)
		}
		v.Objectives = append(v.Objectives, ho)
	}
	for _, w := range r.Baseline.Weeks {
		v.Weeks = append(v.Weeks, w.String())
	}
	for _, row := range r.Baseline.Rows {
		hr := htmlRow{Name: personName(Person{Person: row.Person, Name: row.Name})}
		for _, c := range row.Cells {
			hr.Cells = append(hr.Cells, htmlCell{Class: "c-" + cellClass(c.State), Text: cellText(c)})
		}
		v.Rows = append(v.Rows, hr)
	}
	for _, c := range r.Baseline.Coverage {
		v.Coverage = append(v.Coverage, coverageText(c))
	}
	for _, u := range r.Unmapped {
		v.Unmapped = append(v.Unmapped, htmlUnmapped{Source: u.Source, Handle: u.Handle, Events: present.Count(u.Events, "event")})
	}
	return v
}

func newHTMLKR(k KR) htmlKR {
	meta := []string{"progress " + present.Percent(k.Progress), "score " + present.Number(k.Score)}
	if k.Owner != "" {
		meta = append(meta, "owner "+k.Owner)
	}
	hk := htmlKR{
		Key: k.Key, Label: k.label(), Class: "st-" + statusClass(k.Status), Status: present.Status(k.Status),
		CurrentTarget: k.currentTarget(), Meta: strings.Join(meta, " · "),
		Pct: int(math.Round(math.Max(0, math.Min(1, k.Progress)) * 100)), Blockers: htmlItems(k.Blockers),
		Moved: "no change",
	}
	if k.Moved != nil {
		hk.HasMoved, hk.Moved, hk.MovedItems = true, k.Moved.line(k.Unit), htmlItems(k.Moved.Items)
	}
	return hk
}

func htmlItems(items []Item) []htmlItem {
	out := make([]htmlItem, 0, len(items))
	for _, it := range items {
		var meta []string
		if it.Who != "" {
			meta = append(meta, it.Who)
		}
		if !it.At.IsZero() {
			meta = append(meta, day(it.At))
		}
		out = append(out, htmlItem{Title: it.Title, Meta: strings.Join(meta, ", "), URL: template.URL(safeURL(it.URL))})
	}
	return out
}

func names(ps []Person) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, personName(p))
	}
	return out
}

// statusClass maps a status to a CSS class suffix from a fixed set.
func statusClass(s string) string {
	switch s {
	case rules.StatusOnTrack, rules.StatusAtRisk, rules.StatusOffTrack, rules.StatusDone:
		return s
	}
	return rules.StatusStale
}

func cellClass(state string) string {
	switch state {
	case CellShipped, CellMiss, CellTwoInARow, CellSilent, CellOpen, CellNoData, CellAway:
		return state
	}
	return CellMiss
}
