package report

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Schema is the version of the Report JSON; it is stored with frozen
// snapshots and bumped on incompatible changes.
const Schema = 1

// Report is one team's weekly check-in: where every key result stands, what
// moved it this week, what reached production, and who shipped. It is plain
// data: renderers turn it into Markdown, HTML, JSON or Slack messages, and
// its JSON is what a frozen snapshot stores. Every list is sorted, so the
// same inputs give byte-identical output.
type Report struct {
	Schema      int           `json:"schema"`
	Team        string        `json:"team"`
	TimeZone    string        `json:"time_zone"`
	Week        calendar.Week `json:"week"`
	Start       time.Time     `json:"start"` // inclusive, team-local
	End         time.Time     `json:"end"`   // exclusive, team-local
	GeneratedAt time.Time     `json:"generated_at"`
	Final       bool          `json:"final"` // the week had ended when the report was drafted
	Summary     Summary       `json:"summary"`
	Objectives  []Objective   `json:"objectives"`
	Wins        []Item        `json:"wins"`
	Baseline    Baseline      `json:"baseline"`
	TwoInARow   []Person      `json:"two_in_a_row"`
	Silent      []Person      `json:"silent"`
	Unmapped    []Unmapped    `json:"unmapped"`
	// TeamOnly reports drop every per-person row (the grid's rows, two
	// misses in a row, silence): [dashboard] people = "team-only".
	TeamOnly bool `json:"team_only,omitempty"`
	// Narrative is the owners' text; drafts leave it empty and renderers
	// show a placeholder.
	Narrative string `json:"narrative"`
}

// Summary counts the report's key results by status, and the week's shipping.
type Summary struct {
	KRs      int `json:"krs"`
	OnTrack  int `json:"on_track"`
	AtRisk   int `json:"at_risk"`
	OffTrack int `json:"off_track"`
	Done     int `json:"done"`
	Stale    int `json:"stale"`
	Shipped  int `json:"shipped"` // changes that reached production this week
	// Met and People give the team's baseline coverage this week.
	Met    int `json:"met"`
	People int `json:"people"`
}

// Objective groups its key results.
type Objective struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Owner string `json:"owner,omitempty"`
	KRs   []KR   `json:"krs"`
}

// KR is one key result in the report.
type KR struct {
	Key         string    `json:"key"`
	Title       string    `json:"title"`
	Owner       string    `json:"owner,omitempty"`
	Type        string    `json:"type"`
	Unit        string    `json:"unit,omitempty"`
	Current     float64   `json:"current"`
	Baseline    float64   `json:"baseline"`
	Target      float64   `json:"target"`
	Progress    float64   `json:"progress"`
	Score       float64   `json:"score"`
	Grade       string    `json:"grade,omitempty"`
	Status      string    `json:"status"`
	EvaluatedAt time.Time `json:"evaluated_at"`
	RuleVersion string    `json:"rule_version,omitempty"`
	Moved       *Move     `json:"moved,omitempty"` // nil when it did not move this week
	Blockers    []Item    `json:"blockers"`
	// Note is the owner's note for the week (plan, help needed), from
	// `goalpost note` or the block under the Notion check-in; "" when none.
	Note string `json:"note,omitempty"`
}

// Move is a key result's change over the report's week.
type Move struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Delta float64 `json:"delta"`
	Items []Item  `json:"items"`
}

// Item is one piece of evidence: a PR, deploy or issue, with its link.
type Item struct {
	Title string    `json:"title"`
	URL   string    `json:"url,omitempty"`
	Kind  string    `json:"kind,omitempty"`
	Unit  string    `json:"unit,omitempty"`
	Who   string    `json:"who,omitempty"` // display name when known, else the person key
	At    time.Time `json:"at"`
}

// Baseline is the shipped-to-production grid as reported.
type Baseline struct {
	Weeks    []calendar.Week `json:"weeks"` // oldest first; the last is the report's week
	Rows     []BaselineRow   `json:"rows"`
	Coverage []Coverage      `json:"coverage"` // aligned with Weeks
}

// BaselineRow is one person's weeks.
type BaselineRow struct {
	Person string `json:"person"`
	Name   string `json:"name"`
	Cells  []Cell `json:"cells"`
}

// Cell states.
const (
	CellShipped   = "shipped"
	CellMiss      = "miss"
	CellTwoInARow = "two_in_a_row"
	CellSilent    = "silent"
	CellOpen      = "open"    // the week has not ended and nothing shipped yet
	CellNoData    = "no_data" // before the history or the person's start, after their end
	CellAway      = "away"
)

// Cell is one person × week: how many changes shipped and the cell's state.
type Cell struct {
	Shipped int    `json:"shipped"`
	State   string `json:"state"`
}

// Coverage is the share of people who met the baseline in one week.
type Coverage struct {
	Met    int `json:"met"`
	People int `json:"people"`
}

// Share returns Met/People, or 0 when there are no people.
func (c Coverage) Share() float64 {
	if c.People == 0 {
		return 0
	}
	return float64(c.Met) / float64(c.People)
}

// Person names one person.
type Person struct {
	Person string `json:"person"`
	Name   string `json:"name"`
}

// Decode reads a report written by its JSON encoding (a frozen snapshot),
// putting times back in the report's time zone.
func Decode(b []byte) (*Report, error) {
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("decode report: schema %d, want %d", r.Schema, Schema)
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	r.inZone(loc)
	return &r, nil
}

// inZone puts every time in loc, so rendering never depends on how the
// report was loaded.
func (r *Report) inZone(loc *time.Location) {
	r.Start, r.End, r.GeneratedAt = r.Start.In(loc), r.End.In(loc), r.GeneratedAt.In(loc)
	fix := func(items []Item) {
		for i := range items {
			items[i].At = items[i].At.In(loc)
		}
	}
	fix(r.Wins)
	for i := range r.Objectives {
		for j := range r.Objectives[i].KRs {
			k := &r.Objectives[i].KRs[j]
			k.EvaluatedAt = k.EvaluatedAt.In(loc)
			fix(k.Blockers)
			if k.Moved != nil {
				fix(k.Moved.Items)
			}
		}
	}
}

// KRCount returns how many key results the report has.
func (r *Report) KRCount() int {
	n := 0
	for _, o := range r.Objectives {
		n += len(o.KRs)
	}
	return n
}

// HidePeople makes r a team-only report: the grid keeps its team row and
// loses its people, and nobody is named as missing or silent.
func (r *Report) HidePeople() {
	r.TeamOnly = true
	r.Baseline.Rows = []BaselineRow{}
	r.TwoInARow, r.Silent = []Person{}, []Person{}
}
