package report

import (
	"context"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
)

// Source is what a report is drafted from: the rules engine's key results,
// their movement over a window, and the shipped-to-production baseline. The
// report package only reads it; an adapter over the engine implements it.
//
// Every method is a read that may block on the store; it must honour ctx and
// is safe to call again (no side effects). Errors are returned as they are:
// the builder fails the report rather than draft it from partial data.
type Source interface {
	// Results returns every key result as it stood at at (all teams; the
	// builder keeps the team's by Result.Team): now for the week in
	// progress, a finished week's end for its report, computed from stored
	// data alone so that every later call gives the same results. A KR
	// whose data could not be refreshed has Status "stale" and keeps its
	// last known value.
	Results(ctx context.Context, at time.Time) ([]rules.Result, error)

	// Moved returns, for each key result whose value changed in [from, to),
	// its value at from and at to and the evidence items that moved it in
	// the window. KRs that did not move may be omitted.
	Moved(ctx context.Context, from, to time.Time) ([]Movement, error)

	// Baseline returns the shipped-to-production grid of team's people for
	// the n weeks ending with last (oldest first), as known at asOf: a week
	// that had not ended by then is in progress (no miss yet). Each person's
	// week is their own local calendar week (the engine's rule); columns are
	// labelled with the team's ISO weeks. Team "" means everyone.
	Baseline(ctx context.Context, team string, last calendar.Week, n int, asOf time.Time) (Grid, error)
}

// Movement is how one key result moved over a window.
type Movement struct {
	KRKey    string           `json:"kr_key"`
	From     float64          `json:"from"`
	To       float64          `json:"to"`
	Evidence []rules.Evidence `json:"evidence,omitempty"`
}

// Grid is the shipped-to-production baseline: one row per person, one cell
// per week.
type Grid struct {
	Weeks    []calendar.Week `json:"weeks"` // oldest first
	People   []GridRow       `json:"people"`
	Unmapped []Unmapped      `json:"unmapped,omitempty"`
}

// GridRow is one person's weeks, aligned with Grid.Weeks.
type GridRow struct {
	Person string     `json:"person"` // person key
	Name   string     `json:"name"`
	Cells  []GridCell `json:"cells"`
}

// GridCell is one person × week.
type GridCell struct {
	// Shipped are the changes the person got to production that week.
	Shipped []rules.Evidence `json:"shipped,omitempty"`
	// Miss is set when the person shipped nothing that week.
	Miss bool `json:"miss,omitempty"`
	// TwoInARow is set on the second (or later) consecutive miss.
	TwoInARow bool `json:"two_in_a_row,omitempty"`
	// Silent is set when the person had no activity at all that week.
	Silent bool `json:"silent,omitempty"`
	// InProgress is set while the week has not ended: no miss yet.
	InProgress bool `json:"in_progress,omitempty"`
	// NoData is set for a week before the history or outside the person's
	// start and end dates; Away for a week the person was away. Neither is
	// a miss.
	NoData bool `json:"no_data,omitempty"`
	Away   bool `json:"away,omitempty"`
}

// Unmapped is a handle seen in events that maps to no person.
type Unmapped struct {
	Source string `json:"source"`
	Handle string `json:"handle"`
	Events int    `json:"events"`
}
