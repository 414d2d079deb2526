package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// Build drafts team's report for week from src, as of now. It does not
// store anything (see Builder for frozen snapshots). Key results belong to
// the team when Result.Team is the team's name; key results without a team
// appear in every team's report, and team "" gets every key result. It fails
// for a week that has not started yet, and when the source fails.
func Build(ctx context.Context, src Source, team people.Team, week calendar.Week, now time.Time, gridWeeks int) (*Report, error) {
	cal, err := calendar.Parse(team.TimeZone, team.WeekStart)
	if err != nil {
		return nil, fmt.Errorf("team %q: %w", team.Name, err)
	}
	span := cal.Week(week)
	start, end := span.Start, span.End
	if now.Before(start) {
		return nil, fmt.Errorf("week %s has not started yet", week)
	}
	// A finished week is drafted as of its end, from stored data alone: the
	// same report whenever it is asked for (ADR 19).
	at := now
	if !now.Before(end) {
		at = end
	}
	in, err := read(ctx, src, team.Name, week, start, end, at, gridWeeks)
	if err != nil {
		return nil, err
	}
	results, moved, grid := in.results, in.moved, in.grid
	loc := cal.Location()
	r := &Report{
		Schema:      Schema,
		Team:        team.Name,
		TimeZone:    loc.String(),
		Week:        week,
		Start:       start,
		End:         end,
		GeneratedAt: at.In(loc),
		Final:       !now.Before(end),
		Unmapped:    sortedUnmapped(grid.Unmapped),
		TwoInARow:   []Person{},
		Silent:      []Person{},
	}
	names := nameIndex(grid)
	r.Objectives = objectives(teamResults(results, team.Name), moveIndex(moved), names, loc)
	r.Baseline, r.Wins = baseline(r, grid, names, loc)
	r.Summary = summarize(r)
	return r, nil
}

// inputs are what a report is drafted from.
type inputs struct {
	results []rules.Result
	moved   []Movement
	grid    Grid
}

// read asks src for the week's inputs as of now (a finished week's end):
// results then, movement over the week until then, and the grid then.
func read(ctx context.Context, src Source, team string, week calendar.Week, start, end, now time.Time, gridWeeks int) (inputs, error) {
	var in inputs
	var err error
	if in.results, err = src.Results(ctx, now); err != nil {
		return in, fmt.Errorf("key results: %w", err)
	}
	to := end
	if now.Before(end) {
		to = now
	}
	if in.moved, err = src.Moved(ctx, start, to); err != nil {
		return in, fmt.Errorf("moved this week: %w", err)
	}
	if in.grid, err = src.Baseline(ctx, team, week, gridWeeks, now); err != nil {
		return in, fmt.Errorf("baseline: %w", err)
	}
	return in, checkGrid(in.grid, week)
}

func teamResults(all []rules.Result, team string) []rules.Result {
	var out []rules.Result
	for _, res := range all {
		if team == "" || res.Team == "" || res.Team == team {
			out = append(out, res)
		}
	}
	slices.SortFunc(out, func(a, b rules.Result) int {
		return cmp.Or(cmp.Compare(a.ObjectiveKey, b.ObjectiveKey), cmp.Compare(a.KRKey, b.KRKey))
	})
	return out
}

func moveIndex(ms []Movement) map[string]Movement {
	idx := make(map[string]Movement, len(ms))
	for _, m := range ms {
		idx[m.KRKey] = m
	}
	return idx
}

func objectives(results []rules.Result, moved map[string]Movement, names map[string]string, loc *time.Location) []Objective {
	out := []Objective{}
	for _, res := range results {
		if len(out) == 0 || out[len(out)-1].Key != res.ObjectiveKey {
			out = append(out, Objective{Key: res.ObjectiveKey, Title: res.Objective})
		}
		o := &out[len(out)-1]
		kr := KR{
			Key: res.KRKey, Title: res.Title, Owner: res.Owner, Type: res.Type, Unit: res.Unit,
			Current: res.Current, Baseline: res.Baseline, Target: res.Target,
			Progress: res.Progress, Score: res.Score, Grade: res.Grade, Status: res.Status,
			EvaluatedAt: res.EvaluatedAt.In(loc), RuleVersion: res.RuleVersion,
			Blockers: items(res.Blocked, names, loc),
		}
		if m, ok := moved[res.KRKey]; ok && (m.From != m.To || len(m.Evidence) > 0) {
			kr.Moved = &Move{From: m.From, To: m.To, Delta: round(m.To - m.From), Items: items(m.Evidence, names, loc)}
		}
		if o.Owner == "" {
			o.Owner = res.Owner
		}
		o.KRs = append(o.KRs, kr)
	}
	return out
}

// items turns evidence into report items: deduplicated by event (or URL),
// sorted by time then title.
func items(evs []rules.Evidence, names map[string]string, loc *time.Location) []Item {
	out := []Item{}
	seen := map[string]bool{}
	for _, ev := range evs {
		key := cmp.Or(ev.EventID, ev.URL, ev.Title)
		if seen[key] {
			continue
		}
		seen[key] = true
		who := ev.Actor
		if n := names[ev.Actor]; n != "" {
			who = n
		}
		out = append(out, Item{
			Title: cmp.Or(ev.Title, ev.Unit, ev.EventID), URL: ev.URL, Kind: ev.Kind,
			Unit: ev.Unit, Who: who, At: ev.OccurredAt.In(loc),
		})
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Title, b.Title), cmp.Compare(a.URL, b.URL))
	})
	return out
}

func nameIndex(g Grid) map[string]string {
	idx := make(map[string]string, len(g.People))
	for _, p := range g.People {
		idx[p.Person] = cmp.Or(p.Name, p.Person)
	}
	return idx
}

func checkGrid(g Grid, week calendar.Week) error {
	if len(g.Weeks) == 0 || g.Weeks[len(g.Weeks)-1] != week {
		return fmt.Errorf("baseline grid does not end with week %s", week)
	}
	for _, p := range g.People {
		if len(p.Cells) != len(g.Weeks) {
			return fmt.Errorf("baseline grid: %s has %d cells for %d weeks", p.Person, len(p.Cells), len(g.Weeks))
		}
	}
	return nil
}

// baseline turns the grid into the report's table, lists and wins.
func baseline(r *Report, g Grid, names map[string]string, loc *time.Location) (Baseline, []Item) {
	rows := slices.Clone(g.People)
	slices.SortFunc(rows, func(a, b GridRow) int {
		return cmp.Or(cmp.Compare(names[a.Person], names[b.Person]), cmp.Compare(a.Person, b.Person))
	})
	b := Baseline{Weeks: slices.Clone(g.Weeks), Rows: []BaselineRow{}, Coverage: make([]Coverage, len(g.Weeks))}
	var shipped []rules.Evidence
	last := len(g.Weeks) - 1
	for _, p := range rows {
		row := BaselineRow{Person: p.Person, Name: names[p.Person]}
		for i, c := range p.Cells {
			row.Cells = append(row.Cells, Cell{Shipped: len(c.Shipped), State: cellState(c)})
			if len(c.Shipped) == 0 && (c.NoData || c.Away) {
				continue // could not have shipped: not counted in the coverage
			}
			b.Coverage[i].People++
			if len(c.Shipped) > 0 {
				b.Coverage[i].Met++
			}
		}
		b.Rows = append(b.Rows, row)
		c := p.Cells[last]
		who := Person{Person: p.Person, Name: row.Name}
		if c.TwoInARow {
			r.TwoInARow = append(r.TwoInARow, who)
		}
		if c.Silent {
			r.Silent = append(r.Silent, who)
		}
		shipped = append(shipped, c.Shipped...)
	}
	return b, items(shipped, names, loc)
}

func cellState(c GridCell) string {
	switch {
	case len(c.Shipped) > 0:
		return CellShipped
	case c.NoData:
		return CellNoData
	case c.Away:
		return CellAway
	case c.InProgress:
		return CellOpen
	case c.Silent:
		return CellSilent
	case c.TwoInARow:
		return CellTwoInARow
	default:
		return CellMiss
	}
}

func sortedUnmapped(us []Unmapped) []Unmapped {
	out := append([]Unmapped{}, us...)
	slices.SortFunc(out, func(a, b Unmapped) int {
		return cmp.Or(cmp.Compare(a.Source, b.Source), cmp.Compare(a.Handle, b.Handle))
	})
	return out
}

func summarize(r *Report) Summary {
	s := Summary{Shipped: len(r.Wins)}
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			s.KRs++
			switch k.Status {
			case rules.StatusOnTrack:
				s.OnTrack++
			case rules.StatusAtRisk:
				s.AtRisk++
			case rules.StatusOffTrack:
				s.OffTrack++
			case rules.StatusDone:
				s.Done++
			case rules.StatusStale:
				s.Stale++
			}
		}
	}
	if n := len(r.Baseline.Coverage); n > 0 {
		s.Met, s.People = r.Baseline.Coverage[n-1].Met, r.Baseline.Coverage[n-1].People
	}
	return s
}

// round keeps deltas free of float noise (0.1+0.2).
func round(v float64) float64 { return math.Round(v*1e6) / 1e6 }
