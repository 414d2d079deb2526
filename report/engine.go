package report

import (
	"context"
	"fmt"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/people"
)

// EngineSource is the Source over the rules engine: current results, weekly
// movement and the shipping baseline, as the engine computes them.
type EngineSource struct {
	eng  *engine.Engine
	cals map[string]Calendar
}

var _ Source = (*EngineSource)(nil)

// NewEngineSource adapts e for teams (the same [[teams]] the engine's
// directory was built from). It does no I/O.
func NewEngineSource(e *engine.Engine, teams []people.Team) (*EngineSource, error) {
	s := &EngineSource{eng: e, cals: map[string]Calendar{"": {Loc: time.UTC, Start: time.Monday}}}
	for _, t := range teams {
		cal, err := NewCalendar(t.TimeZone, t.WeekStart)
		if err != nil {
			return nil, fmt.Errorf("team %q: %w", t.Name, err)
		}
		s.cals[t.Name] = cal
	}
	return s, nil
}

// Results implements Source.
func (s *EngineSource) Results(ctx context.Context) ([]rules.Result, error) {
	return s.eng.Results(ctx)
}

// Moved implements Source.
func (s *EngineSource) Moved(ctx context.Context, from, to time.Time) ([]Movement, error) {
	if !to.After(from) {
		return nil, nil
	}
	ms, err := s.eng.Moved(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]Movement, 0, len(ms))
	for _, m := range ms {
		out = append(out, Movement{KRKey: m.KRKey, From: m.From, To: m.To, Evidence: m.Evidence})
	}
	return out, nil
}

// Baseline implements Source. The engine lines each person's local weeks up
// with the team's column weeks, ending with the week containing a moment;
// for a finished week that moment is the middle of the following week (so
// the report's week is over for everyone, whatever their time zone), and the
// following week's column is dropped.
func (s *EngineSource) Baseline(ctx context.Context, team string, last Week, n int, asOf time.Time) (Grid, error) {
	cal, ok := s.cals[team]
	if !ok {
		return Grid{}, fmt.Errorf("unknown team %q", team)
	}
	start, end := cal.Bounds(last)
	at, cols := asOf, n
	if !asOf.Before(end) {
		at, cols = end.Add(end.Sub(start)/2), n+1
	}
	g, err := s.eng.BaselineAt(ctx, at, cols, team)
	if err != nil {
		return Grid{}, err
	}
	out := Grid{People: []GridRow{}}
	for i := range n {
		out.Weeks = append(out.Weeks, last.Add(i-n+1))
	}
	for _, row := range g.Rows {
		if len(row.Cells) < n {
			return Grid{}, fmt.Errorf("baseline: %s has %d weeks, want %d", row.Person, len(row.Cells), n)
		}
		gr := GridRow{Person: row.Person, Name: row.Name}
		for _, c := range row.Cells[:n] {
			gr.Cells = append(gr.Cells, gridCell(row.Person, c))
		}
		out.People = append(out.People, gr)
	}
	for _, u := range g.Unmapped {
		out.Unmapped = append(out.Unmapped, Unmapped{Source: u.Source, Handle: u.Handle, Events: u.Events})
	}
	return out, nil
}

func gridCell(person string, c engine.BaselineCell) GridCell {
	gc := GridCell{Miss: c.Miss, TwoInARow: c.TwoInARow, Silent: c.Silent, InProgress: c.InProgress}
	for _, it := range c.Items {
		gc.Shipped = append(gc.Shipped, rules.Evidence{
			EventID: it.EventID, Unit: it.Unit, Kind: event.KindChangeShipped, Title: it.Title,
			URL: it.URL, Actor: person, OccurredAt: it.At,
		})
	}
	return gc
}
