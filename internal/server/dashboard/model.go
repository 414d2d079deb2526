// Package dashboard is goalpost's dashboard: server-rendered pages
// (overview, key result, baseline, delivery, sources) with inline SVG
// charts, the read-only JSON API under /api/v1/ that carries exactly the
// same views, and the server-sent events that tell open pages to refresh.
// Views are plain data (this file); pages and API render them. It reads
// through the small interfaces in deps.go and writes nothing.
package dashboard

import (
	"time"

	"github.com/goalpost/goalpost/report"
)

// Schema is the version of every view's JSON (the API's and -o json's);
// bumped on incompatible changes.
const Schema = 1

// Nav is where a view sits: its team and week, the choices, and the
// neighbouring weeks. Every view carries it.
type Nav struct {
	Team  string   `json:"team"` // "" is every team (overview, delivery, sources)
	Teams []string `json:"teams"`
	Week  string   `json:"week"` // ISO week, e.g. 2026-W47
	Prev  string   `json:"prev"`
	Next  string   `json:"next,omitempty"` // "" when Week is the current week
	// AsOf is the moment the view shows: now for the current week, else
	// the end of Week.
	AsOf        time.Time `json:"as_of"`
	GeneratedAt time.Time `json:"generated_at"`
	// Failing are the sources whose last poll failed (a banner on every page).
	Failing []string `json:"failing"`
}

// Overview is every team's objectives and key results.
type Overview struct {
	Schema int `json:"schema"`
	Nav
	Objectives []Objective `json:"objectives"`
}

// Objective groups its key results.
type Objective struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Team  string `json:"team,omitempty"`
	KRs   []KR   `json:"krs"`
}

// KR is one key result as of the view's moment, with its history over the
// period (one point per stored snapshot).
type KR struct {
	Key          string    `json:"key"`
	Title        string    `json:"title"`
	Objective    string    `json:"objective"`
	Owner        string    `json:"owner,omitempty"`
	Team         string    `json:"team,omitempty"`
	Type         string    `json:"type"`
	Unit         string    `json:"unit,omitempty"`
	Current      float64   `json:"current"`
	Baseline     float64   `json:"baseline"`
	Target       float64   `json:"target"`
	Progress     float64   `json:"progress"`
	Pace         float64   `json:"pace"` // progress the straight-line pace expects by AsOf
	Status       string    `json:"status"`
	NoData       bool      `json:"no_data,omitempty"`
	StaleSources []string  `json:"stale_sources,omitempty"`
	PeriodStart  time.Time `json:"period_start"`
	PeriodEnd    time.Time `json:"period_end"`
	// Projection is the value at period end if the rate so far holds; nil
	// before any of the period has passed.
	Projection *float64 `json:"projection"`
	History    []Point  `json:"history"`
	// Note is the owner's note for the week (plan, help needed); "" when
	// none was written.
	Note string `json:"note,omitempty"`
}

// Point is one stored snapshot of a key result.
type Point struct {
	At       time.Time `json:"at"`
	Value    float64   `json:"value"`
	Progress float64   `json:"progress"`
	Status   string    `json:"status"`
}

// KRDetail is one key result's page: the KR, how its value is computed,
// its evidence, its status changes and its movement this week.
type KRDetail struct {
	Schema int `json:"schema"`
	Nav
	KR            KR             `json:"kr"`
	Formula       string         `json:"formula"`
	RuleVersion   string         `json:"rule_version"`
	Evidence      []report.Item  `json:"evidence"`
	EvidenceTotal int            `json:"evidence_total"`
	StatusChanges []StatusChange `json:"status_changes"`
	Moved         *report.Move   `json:"moved"` // nil when it did not move this week
}

// StatusChange is a snapshot whose status differs from the one before.
type StatusChange struct {
	At   time.Time `json:"at"`
	From string    `json:"from"`
	To   string    `json:"to"`
}

// BaselineView is one team's shipped-to-production weeks. TeamOnly views
// ([dashboard] people = "team-only") carry no per-person rows or names.
type BaselineView struct {
	Schema int `json:"schema"`
	Nav
	TeamOnly  bool                 `json:"team_only"`
	Weeks     []string             `json:"weeks"`
	Rows      []report.BaselineRow `json:"rows"`
	Coverage  []report.Coverage    `json:"coverage"`
	TwoInARow []report.Person      `json:"two_in_a_row"`
	Silent    []report.Person      `json:"silent"`
}

// Sources is every connector's health.
type Sources struct {
	Schema int `json:"schema"`
	Nav
	Sources []Source `json:"sources"`
}

// Source is one connector's health.
type Source struct {
	Name        string    `json:"name"`
	LastOK      time.Time `json:"last_ok"`       // zero when no poll succeeded
	LastErrorAt time.Time `json:"last_error_at"` // zero when no poll failed
	LastError   string    `json:"last_error"`
	Failing     bool      `json:"failing"`
	Cursors     []Cursor  `json:"cursors"`
	// Deliveries is how many webhook deliveries it received in the last hour.
	Deliveries int `json:"webhook_deliveries_last_hour"`
}

// Cursor is a poll position.
type Cursor struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}
