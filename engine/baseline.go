package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// BaselineGrid is the weekly shipping baseline: for each engineer and each
// of their own local weeks (in their time zone, starting on their team's
// week start, Monday 00:00 by default), what they shipped to production.
// Shipped means change.shipped events (one per PR that reached a production
// deploy, or merged in a ship_on_merge repo) authored by the person.
type BaselineGrid struct {
	Team string // "" for everyone
	// Weeks are the columns, oldest first. A week key (2026-W47) is the same
	// week for everyone, placed in each person's own calendar; each cell
	// carries its person-local bounds.
	Weeks    []calendar.Week
	Rows     []BaselineRow
	Coverage []Coverage // one per column
	// Unmapped are handles seen in the grid's time range that no person
	// claims: reported, never dropped.
	Unmapped []UnmappedHandle
	At       time.Time // the moment the grid describes
}

// BaselineRow is one engineer's weeks.
type BaselineRow struct {
	Person   string // person key
	Name     string
	Team     string
	TimeZone string
	Cells    []BaselineCell // aligned with BaselineGrid.Weeks
	// TwoInARow is set when the latest finished week is the second (or
	// later) miss in a row: a conversation, not a punishment.
	TwoInARow bool
	// Silent is set when the latest finished week had no activity at all.
	Silent bool
}

// BaselineCell is one person × local week.
type BaselineCell struct {
	Week       calendar.Week
	Start, End time.Time // the person's local week, [Start, End)
	Shipped    int
	Items      []ShippedItem
	Activity   int  // events of any kind by the person
	InProgress bool // the week has not ended: no miss yet
	// NoData is set for a week before the shipping history starts, or
	// outside the person's start and end dates: never a miss.
	NoData    bool
	Away      bool // the person was away: neither a miss nor silent
	Miss      bool // a finished week with nothing shipped
	TwoInARow bool // a miss right after a miss
	Silent    bool // a finished week with no activity at all
}

// ShippedItem is one change that reached production.
type ShippedItem struct {
	EventID string
	Unit    string
	Title   string
	URL     string
	Repo    string
	At      time.Time
}

// Coverage is the share of engineers who met the baseline in one week.
type Coverage struct {
	Week      calendar.Week
	Met       int
	Engineers int
	Share     float64 // Met / Engineers, 0 when there are none
}

// UnmappedHandle is a handle no person in the directory claims.
type UnmappedHandle struct {
	Source   string
	Handle   string
	Events   int
	LastSeen time.Time
}

// Baseline returns the grid for the last weeks weeks (the last one in
// progress) of team ("" for everyone) as of now.
func (e *Engine) Baseline(ctx context.Context, weeks int, team string) (BaselineGrid, error) {
	return e.BaselineAt(ctx, e.now(), weeks, team)
}

// BaselineAt returns the grid of the weeks weeks ending with the team's
// week that contains at, as of at (so a past week's grid can be built again).
func (e *Engine) BaselineAt(ctx context.Context, at time.Time, weeks int, team string) (BaselineGrid, error) {
	return e.BaselineWeeks(ctx, team, e.dir.TeamCalendar(team).WeekOf(at), weeks, at)
}

// BaselineWeeks returns the grid of the n weeks ending with week last, as
// of asOf. Each person's column is their own local week with that key. A
// week is over for everyone once asOf reaches its end in the team's
// calendar (a closed week); before that, each person's week is in progress
// until it ends in their own time zone.
func (e *Engine) BaselineWeeks(ctx context.Context, team string, last calendar.Week, n int, asOf time.Time) (BaselineGrid, error) {
	if n < 1 {
		return BaselineGrid{}, fmt.Errorf("baseline: weeks must be at least 1, got %d", n)
	}
	if _, ok := e.dir.Team(team); team != "" && !ok {
		return BaselineGrid{}, fmt.Errorf("baseline: unknown team %q", team)
	}
	g := BaselineGrid{Team: team, At: asOf, Weeks: last.Range(n)}
	keys := last.Range(n + 1) // one extra, older week first, to tell a second miss in a row in the first column
	rows, from, to := e.baselineRows(keys, team)
	fair, err := e.fairness(ctx)
	if err != nil {
		return BaselineGrid{}, fmt.Errorf("baseline: %w", err)
	}
	unmapped := map[[2]string]*UnmappedHandle{}
	err = e.st.ScanActivity(ctx, from, to, func(a store.Activity) error {
		p, ok := e.dir.Lookup(a.Source, a.ActorHandle)
		if !ok {
			noteUnmapped(unmapped, a)
			return nil
		}
		if b, ok := rows[p.Key]; ok {
			b.add(a)
		}
		return nil
	})
	if err != nil {
		return BaselineGrid{}, fmt.Errorf("baseline: %w", err)
	}
	teamCal := e.dir.TeamCalendar(team)
	for _, p := range e.dir.People() {
		if b, ok := rows[p.Key]; ok {
			g.Rows = append(g.Rows, b.finish(asOf, teamCal, fair))
		}
	}
	g.Coverage = coverage(g)
	g.Unmapped = sortUnmapped(unmapped)
	return g, nil
}

// baselineRows starts a row for every engineer of team ("" for everyone)
// over weeks, each in the person's own calendar, and returns the span of
// time they cover together.
func (e *Engine) baselineRows(weeks []calendar.Week, team string) (rows map[string]*rowBuilder, from, to time.Time) {
	rows = map[string]*rowBuilder{}
	for _, p := range e.dir.People() {
		if !p.Engineer() || (team != "" && p.Team != team) {
			continue
		}
		b := newRowBuilder(p, e.dir.Calendar(p.Key), weeks)
		first, last := b.cells[0], b.cells[len(b.cells)-1]
		if from.IsZero() || first.Start.Before(from) {
			from = first.Start
		}
		if last.End.After(to) {
			to = last.End
		}
		rows[p.Key] = b
	}
	return rows, from, to
}

// rowBuilder accumulates one person's cells; cells[0] is the hidden extra week.
type rowBuilder struct {
	row   BaselineRow
	cells []BaselineCell
}

func newRowBuilder(p people.Person, cal calendar.Calendar, weeks []calendar.Week) *rowBuilder {
	b := &rowBuilder{row: BaselineRow{Person: p.Key, Name: p.Name, Team: p.Team, TimeZone: cal.Location().String()}}
	for _, w := range weeks {
		s := cal.Week(w)
		b.cells = append(b.cells, BaselineCell{Week: w, Start: s.Start, End: s.End})
	}
	return b
}

func (b *rowBuilder) add(a store.Activity) {
	for i := range b.cells {
		c := &b.cells[i]
		if a.OccurredAt.Before(c.Start) || !a.OccurredAt.Before(c.End) {
			continue
		}
		c.Activity++
		if a.Kind == event.KindChangeShipped && a.Event != nil {
			c.Shipped++
			c.Items = append(c.Items, ShippedItem{EventID: a.Event.ID, Unit: a.Event.Unit, Title: a.Event.Title,
				URL: a.Event.URL, Repo: a.Event.Repo, At: a.OccurredAt})
		}
		return
	}
}

func (b *rowBuilder) finish(asOf time.Time, team calendar.Calendar, fair fairness) BaselineRow {
	for i := range b.cells {
		c := &b.cells[i]
		c.InProgress = asOf.Before(c.End) && asOf.Before(team.Week(c.Week).End)
		c.NoData = c.Shipped == 0 && !fair.covers(b.row.Person, calendar.Span{Start: c.Start, End: c.End})
		c.Away = c.Shipped == 0 && !c.NoData && fair.away(b.row.Person, c.Week)
		counts := !c.InProgress && !c.NoData && !c.Away
		c.Miss = counts && c.Shipped == 0
		c.Silent = counts && c.Activity == 0
		c.TwoInARow = c.Miss && i > 0 && b.cells[i-1].Miss
	}
	row := b.row
	row.Cells = b.cells[1:]
	for i := len(row.Cells) - 1; i >= 0; i-- {
		if c := row.Cells[i]; !c.InProgress {
			row.TwoInARow, row.Silent = c.TwoInARow, c.Silent
			break
		}
	}
	return row
}

func coverage(g BaselineGrid) []Coverage {
	out := make([]Coverage, len(g.Weeks))
	for i, w := range g.Weeks {
		out[i] = Coverage{Week: w}
		for _, r := range g.Rows {
			if c := r.Cells[i]; c.Shipped > 0 || (!c.NoData && !c.Away) {
				out[i].Engineers++
			}
			if r.Cells[i].Shipped > 0 {
				out[i].Met++
			}
		}
		if out[i].Engineers > 0 {
			out[i].Share = float64(out[i].Met) / float64(out[i].Engineers)
		}
	}
	return out
}

func noteUnmapped(m map[[2]string]*UnmappedHandle, a store.Activity) {
	k := [2]string{a.Source, a.ActorHandle}
	u, ok := m[k]
	if !ok {
		u = &UnmappedHandle{Source: a.Source, Handle: a.ActorHandle}
		m[k] = u
	}
	u.Events++
	if a.OccurredAt.After(u.LastSeen) {
		u.LastSeen = a.OccurredAt
	}
}

func sortUnmapped(m map[[2]string]*UnmappedHandle) []UnmappedHandle {
	out := make([]UnmappedHandle, 0, len(m))
	for _, u := range m {
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Events != out[j].Events {
			return out[i].Events > out[j].Events
		}
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return out[i].Handle < out[j].Handle
	})
	return out
}
