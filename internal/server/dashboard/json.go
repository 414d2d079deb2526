package dashboard

import (
	"context"
	"encoding/json"
	"io"

	"github.com/goalpost/goalpost/report"
)

// WriteJSON writes a view as the API answers it: indented, ending with a
// newline. The API and every command's -o json write through it, from the
// same views, so the two cannot drift apart.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Status is GET /api/v1/status and `goalpost status -o json`: the
// overview's objectives and key results and every source's health.
type Status struct {
	Schema int `json:"schema"`
	Nav
	Objectives []Objective `json:"objectives"`
	Sources    []Source    `json:"sources"`
}

// Status builds the overview and the sources for q.
func (db *Dashboard) Status(ctx context.Context, q Query) (*Status, error) {
	ov, err := db.Overview(ctx, q)
	if err != nil {
		return nil, err
	}
	src, err := db.Sources(ctx, q)
	if err != nil {
		return nil, err
	}
	return &Status{Schema: Schema, Nav: ov.Nav, Objectives: ov.Objectives, Sources: src.Sources}, nil
}

// Report is one team's weekly check-in, GET /api/v1/report and `goalpost
// report -o json`: the report's own model (report.Schema), frozen once the
// week has ended, without per-person rows for a team-only install.
func (db *Dashboard) Report(ctx context.Context, q Query) (*report.Report, error) {
	q.PerTeam = true
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	return db.d.Reports.Report(ctx, p.nav.Team, p.week, p.now)
}
