package report

import (
	"context"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
)

// EngineSource is the Source over the rules engine: current results, weekly
// movement and the shipping baseline, as the engine computes them.
type EngineSource struct {
	eng *engine.Engine
}

var _ Source = (*EngineSource)(nil)

// NewEngineSource adapts e. It does no I/O.
func NewEngineSource(e *engine.Engine) *EngineSource {
	return &EngineSource{eng: e}
}

// Results implements Source.
func (s *EngineSource) Results(ctx context.Context, at time.Time) ([]rules.Result, error) {
	return s.eng.ResultsAt(ctx, at)
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

// Baseline implements Source: the engine's grid of the n weeks ending with
// last, each person's column being their own local week with that key.
func (s *EngineSource) Baseline(ctx context.Context, team string, last calendar.Week, n int, asOf time.Time) (Grid, error) {
	g, err := s.eng.BaselineWeeks(ctx, team, last, n, asOf)
	if err != nil {
		return Grid{}, err
	}
	out := Grid{People: []GridRow{}, Weeks: g.Weeks}
	for _, row := range g.Rows {
		gr := GridRow{Person: row.Person, Name: row.Name}
		for _, c := range row.Cells {
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
	gc := GridCell{Miss: c.Miss, TwoInARow: c.TwoInARow, Silent: c.Silent, InProgress: c.InProgress, NoData: c.NoData, Away: c.Away}
	for _, it := range c.Items {
		gc.Shipped = append(gc.Shipped, rules.Evidence{
			EventID: it.EventID, Unit: it.Unit, Kind: event.KindChangeShipped, Title: it.Title,
			URL: it.URL, Actor: person, OccurredAt: it.At,
		})
	}
	return gc
}
