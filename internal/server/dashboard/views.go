package dashboard

import (
	"context"
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report"
)

// Baseline builds one team's baseline weeks, ending with the view's week.
func (db *Dashboard) Baseline(ctx context.Context, q Query) (*BaselineView, error) {
	q.PerTeam = true
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	r, err := db.d.Reports.Report(ctx, p.nav.Team, p.week, p.now)
	if err != nil {
		return nil, err
	}
	v := &BaselineView{Schema: Schema, Nav: p.nav, TeamOnly: db.d.TeamOnly, Weeks: []string{},
		Rows: []report.BaselineRow{}, Coverage: r.Baseline.Coverage, TwoInARow: []report.Person{}, Silent: []report.Person{}}
	for _, w := range r.Baseline.Weeks {
		v.Weeks = append(v.Weeks, w.String())
	}
	if !db.d.TeamOnly {
		v.Rows = append(v.Rows, r.Baseline.Rows...)
		v.TwoInARow = append(v.TwoInARow, r.TwoInARow...)
		v.Silent = append(v.Silent, r.Silent...)
	}
	return v, nil
}

// Sources builds every source's health.
func (db *Dashboard) Sources(ctx context.Context, q Query) (*Sources, error) {
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	hs, err := db.d.Health.SourceHealth(ctx)
	if err != nil {
		return nil, err
	}
	cursors, err := db.d.Health.Cursors(ctx)
	if err != nil {
		return nil, err
	}
	var hooks map[string]int
	if db.d.Deliveries != nil {
		hooks = db.d.Deliveries.Since(p.now.Add(-time.Hour))
	}
	names := slices.Clone(db.d.Sources)
	for _, h := range hs {
		names = append(names, h.Source)
	}
	for _, c := range cursors {
		names = append(names, c.Source)
	}
	slices.Sort(names)
	v := &Sources{Schema: Schema, Nav: p.nav, Sources: []Source{}}
	for _, n := range slices.Compact(names) {
		s := Source{Name: n, Cursors: []Cursor{}, Deliveries: hooks[n]}
		if i := slices.IndexFunc(hs, func(h store.SourceHealth) bool { return h.Source == n }); i >= 0 {
			h := hs[i]
			s.LastOK, s.LastErrorAt, s.LastError, s.Failing = h.LastOK, h.LastErrorAt, h.LastError, h.Failing
		}
		for _, c := range cursors {
			if c.Source == n {
				s.Cursors = append(s.Cursors, Cursor{Key: c.Key, Value: c.Value, UpdatedAt: c.UpdatedAt})
			}
		}
		v.Sources = append(v.Sources, s)
	}
	return v, nil
}
