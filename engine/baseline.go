package engine

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/people"
)

// BaselineGrid is the weekly shipping baseline: for each engineer and each
// of their own local weeks (in their time zone, starting on their team's
// week start, Monday 00:00 by default), what they shipped to production.
// Shipped means change.shipped events (one per PR that reached a production
// deploy, or merged in a ship_on_merge repo) authored by the person.
type BaselineGrid struct {
	Team string // "" for everyone
	// Weeks label the columns, oldest first; the last is the week in
	// progress. Labels come from the team's calendar (ISO weeks like
	// 2026-W47 when weeks start on Monday); each cell carries its own
	// person-local bounds.
	Weeks    []string
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
	Label      string
	Start, End time.Time // the person's local week, [Start, End)
	Shipped    int
	Items      []ShippedItem
	Activity   int  // events of any kind by the person
	InProgress bool // the week has not ended: no miss yet
	Miss       bool // a finished week with nothing shipped
	TwoInARow  bool // a miss right after a miss
	Silent     bool // a finished week with no activity at all
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
	Label     string
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

// BaselineAt returns the grid of the weeks weeks ending with the week that
// contains at (so a past week's grid can be built again).
func (e *Engine) BaselineAt(ctx context.Context, at time.Time, weeks int, team string) (BaselineGrid, error) {
	if weeks < 1 {
		return BaselineGrid{}, fmt.Errorf("baseline: weeks must be at least 1, got %d", weeks)
	}
	if _, ok := e.dir.Team(team); team != "" && !ok {
		return BaselineGrid{}, fmt.Errorf("baseline: unknown team %q", team)
	}
	g := BaselineGrid{Team: team, At: at}
	ref := weekRange(people.WeekOf(at, e.dir.TeamLocation(team), e.dir.TeamWeekStart(team)), weeks)
	for _, w := range ref[1:] {
		g.Weeks = append(g.Weeks, w.Label())
	}
	rows, spans := e.baselineRows(ref[len(ref)-1], weeks, team)
	from, to := spanOf(ref, spans)
	unmapped := map[[2]string]*UnmappedHandle{}
	err := e.st.ScanActivity(ctx, from, to, func(a store.Activity) error {
		p, ok := e.dir.Lookup(a.Source, a.ActorHandle)
		if !ok {
			noteUnmapped(unmapped, a)
			return nil
		}
		if i, ok := spans.index[p.Key]; ok {
			rows[i].add(spans.weeks[i], a)
		}
		return nil
	})
	if err != nil {
		return BaselineGrid{}, fmt.Errorf("baseline: %w", err)
	}
	for i := range rows {
		g.Rows = append(g.Rows, rows[i].finish(at))
	}
	g.Coverage = coverage(g)
	g.Unmapped = sortUnmapped(unmapped)
	return g, nil
}

// personSpans are each row's weeks (one extra, older week first, to tell a
// second miss in a row in the first column).
type personSpans struct {
	index map[string]int
	weeks [][]people.Week
}

// last is the team's week of the last column: each person's last week is
// their own local week around its middle, so that every column holds the
// same week for everyone (at may already be next week, or still last week,
// in a person's time zone).
func (e *Engine) baselineRows(last people.Week, weeks int, team string) ([]rowBuilder, personSpans) {
	spans := personSpans{index: map[string]int{}}
	var rows []rowBuilder
	mid := last.Start.Add(last.End.Sub(last.Start) / 2)
	for _, p := range e.dir.People() {
		if !p.Engineer() || (team != "" && p.Team != team) {
			continue
		}
		loc := e.dir.Location(p.Key)
		ws := weekRange(people.WeekOf(mid, loc, e.dir.WeekStart(p.Key)), weeks)
		spans.index[p.Key] = len(rows)
		spans.weeks = append(spans.weeks, ws)
		rows = append(rows, newRowBuilder(p, loc, ws))
	}
	return rows, spans
}

// weekRange returns n+1 weeks ending with current, oldest first.
func weekRange(current people.Week, n int) []people.Week {
	out := make([]people.Week, n+1)
	out[n] = current
	for i := n - 1; i >= 0; i-- {
		out[i] = out[i+1].Prev()
	}
	return out
}

func spanOf(ref []people.Week, s personSpans) (from, to time.Time) {
	from, to = ref[0].Start, ref[len(ref)-1].End
	for _, ws := range s.weeks {
		if ws[0].Start.Before(from) {
			from = ws[0].Start
		}
		if last := ws[len(ws)-1].End; last.After(to) {
			to = last
		}
	}
	return from, to
}

// rowBuilder accumulates one person's cells; cells[0] is the hidden extra week.
type rowBuilder struct {
	row   BaselineRow
	cells []BaselineCell
}

func newRowBuilder(p people.Person, loc *time.Location, ws []people.Week) rowBuilder {
	b := rowBuilder{row: BaselineRow{Person: p.Key, Name: p.Name, Team: p.Team, TimeZone: loc.String()}}
	for _, w := range ws {
		b.cells = append(b.cells, BaselineCell{Label: w.Label(), Start: w.Start, End: w.End})
	}
	return b
}

func (b *rowBuilder) add(ws []people.Week, a store.Activity) {
	for i, w := range ws {
		if !w.Contains(a.OccurredAt) {
			continue
		}
		c := &b.cells[i]
		c.Activity++
		if a.Kind == event.KindChangeShipped && a.Event != nil {
			c.Shipped++
			c.Items = append(c.Items, ShippedItem{EventID: a.Event.ID, Unit: a.Event.Unit, Title: a.Event.Title,
				URL: a.Event.URL, Repo: a.Event.Repo, At: a.OccurredAt})
		}
		return
	}
}

func (b *rowBuilder) finish(at time.Time) BaselineRow {
	for i := range b.cells {
		c := &b.cells[i]
		c.InProgress = at.Before(c.End)
		c.Miss = !c.InProgress && c.Shipped == 0
		c.Silent = !c.InProgress && c.Activity == 0
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
	for i, label := range g.Weeks {
		out[i] = Coverage{Label: label, Engineers: len(g.Rows)}
		for _, r := range g.Rows {
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
