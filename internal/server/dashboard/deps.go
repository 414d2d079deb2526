package dashboard

import (
	"context"
	"log/slog"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// Every method below is a read that may block on the store; it honours ctx,
// has no side effect and may be called concurrently. Errors are returned as
// they are: the dashboard answers 500 rather than show partial data.

// Results is where every key result stands now (*engine.Engine).
type Results interface {
	Results(ctx context.Context) ([]rules.Result, error)
	// History returns a key result's snapshots in [from, to), oldest first.
	History(ctx context.Context, krKey string, from, to time.Time) ([]store.Snapshot, error)
}

// Reports gives a team's weekly check-in (*report.Builder): the baseline
// grid and what moved, frozen once the week has ended.
type Reports interface {
	Teams() []string
	Team(name string) (people.Team, error)
	Report(ctx context.Context, team string, week calendar.Week, now time.Time) (*report.Report, error)
}

// Health is what goalpost recorded of its sources (*store.Store).
type Health interface {
	SourceHealth(ctx context.Context) ([]store.SourceHealth, error)
	Cursors(ctx context.Context) ([]store.CursorRow, error)
}

// Events scans stored events (*store.Store), for delivery metrics.
type Events interface {
	ScanEvents(ctx context.Context, f store.EventFilter, fn func(event.Event) error) error
}

// Deliveries counts webhook deliveries per source since a moment
// (*server.Deliveries). It never blocks.
type Deliveries interface {
	Since(t time.Time) map[string]int
}

// Deps is what the dashboard reads, wired in cmd/goalpost.
type Deps struct {
	Results    Results
	Reports    Reports
	Health     Health
	Events     Events
	Deliveries Deliveries   // nil: no webhook counts
	Notes      report.Notes // the owners' notes (*store.Store); nil: none
	// Sources are the configured sources (shown even before their first poll).
	Sources []string
	// TeamOf is a person's team ("" when none); nil: delivery is never
	// split by team.
	TeamOf func(person string) string
	// TeamOnly hides per-person baseline rows ([dashboard] people = "team-only").
	TeamOnly bool
	Now      func() time.Time
	Log      *slog.Logger
}
