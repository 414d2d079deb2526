package dashboard

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/report"
	"github.com/goalpost/goalpost/rules"
)

// Overview builds the overview: every objective and key result of q's team
// (every team when q.Team is ""), as of the view's moment.
func (db *Dashboard) Overview(ctx context.Context, q Query) (*Overview, error) {
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	results, err := db.d.Results.Results(ctx)
	if err != nil {
		return nil, err
	}
	notes, err := db.notes(ctx, p)
	if err != nil {
		return nil, err
	}
	ov := &Overview{Schema: Schema, Nav: p.nav, Objectives: []Objective{}}
	idx := map[string]int{}
	for _, res := range results {
		if p.nav.Team != "" && res.Team != "" && res.Team != p.nav.Team {
			continue
		}
		kr, err := db.kr(ctx, res, p.nav.AsOf, p.now)
		if err != nil {
			return nil, err
		}
		kr.Note = notes[kr.Key].Body
		i, ok := idx[res.ObjectiveKey]
		if !ok {
			i = len(ov.Objectives)
			idx[res.ObjectiveKey] = i
			ov.Objectives = append(ov.Objectives, Objective{Key: res.ObjectiveKey, Title: res.Objective, Team: res.Team})
		}
		ov.Objectives[i].KRs = append(ov.Objectives[i].KRs, kr)
	}
	slices.SortStableFunc(ov.Objectives, func(a, b Objective) int { return cmp.Compare(a.Team, b.Team) })
	return ov, nil
}

// kr is res as of asOf: its snapshots over the period up to asOf, and, for
// a past moment, the value of the last snapshot then.
func (db *Dashboard) kr(ctx context.Context, res rules.Result, asOf, now time.Time) (KR, error) {
	snaps, err := db.d.Results.History(ctx, res.KRKey, res.PeriodStart, asOf)
	if err != nil {
		return KR{}, err
	}
	k := KR{Key: res.KRKey, Title: res.Title, Objective: res.ObjectiveKey, Owner: res.Owner, Team: res.Team,
		Type: res.Type, Unit: res.Unit, Current: res.Current, Baseline: res.Baseline, Target: res.Target,
		Progress: res.Progress, Pace: res.Pace, Status: res.Status, NoData: res.NoData,
		StaleSources: res.StaleSources, PeriodStart: res.PeriodStart, PeriodEnd: res.PeriodEnd,
		History: make([]Point, len(snaps))}
	for i, s := range snaps {
		k.History[i] = Point{At: s.At, Value: s.Current, Progress: s.Progress, Status: s.Status}
	}
	if asOf.Before(now) {
		k.Pace = pace(res.PeriodStart, res.PeriodEnd, asOf)
		k.Current, k.Progress, k.Status, k.NoData = res.Baseline, 0, rules.StatusOnTrack, true
		if n := len(snaps); n > 0 {
			last := snaps[n-1]
			k.Current, k.Progress, k.Status, k.NoData = last.Current, last.Progress, last.Status, last.NoData
		}
	}
	k.Projection = projection(k, asOf)
	return k, nil
}

// pace is the share of [start, end) passed at t, 0..1.
func pace(start, end, t time.Time) float64 {
	total := end.Sub(start)
	if total <= 0 {
		return 1
	}
	return min(max(float64(t.Sub(start))/float64(total), 0), 1)
}

// projection extends the rate since the period started to its end.
func projection(k KR, asOf time.Time) *float64 {
	f := pace(k.PeriodStart, k.PeriodEnd, asOf)
	if f <= 0 || k.NoData || k.Type == rules.TypeMilestone || k.Status == rules.StatusDone {
		return nil
	}
	v := k.Baseline + (k.Current-k.Baseline)/f
	return &v
}

// KR builds one key result's page.
func (db *Dashboard) KR(ctx context.Context, key string, q Query) (*KRDetail, error) {
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	results, err := db.d.Results.Results(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(results, func(r rules.Result) bool { return r.KRKey == key })
	if i < 0 {
		return nil, errNotFound{fmt.Sprintf("no key result %q", key)}
	}
	res := results[i]
	kr, err := db.kr(ctx, res, p.nav.AsOf, p.now)
	if err != nil {
		return nil, err
	}
	notes, err := db.notes(ctx, p)
	if err != nil {
		return nil, err
	}
	kr.Note = notes[kr.Key].Body
	d := &KRDetail{Schema: Schema, Nav: p.nav, KR: kr, Formula: res.Formula, RuleVersion: res.RuleVersion,
		Evidence: evidence(res.Evidence, p.cal.Location()), EvidenceTotal: res.EvidenceTotal,
		StatusChanges: statusChanges(kr.History)}
	if d.Moved, err = db.moved(ctx, res, p); err != nil {
		return nil, err
	}
	return d, nil
}

// errNotFound is a key result that does not exist: 404.
type errNotFound struct{ msg string }

func (e errNotFound) Error() string { return e.msg }

// moved is the key result's movement in the view's week, from the team's
// weekly check-in (frozen once the week has ended).
func (db *Dashboard) moved(ctx context.Context, res rules.Result, p place) (*report.Move, error) {
	team := cmp.Or(res.Team, p.nav.Team, p.nav.Teams[0])
	r, err := db.d.Reports.Report(ctx, team, p.week, p.now)
	if err != nil {
		return nil, err
	}
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			if k.Key == res.KRKey {
				return k.Moved, nil
			}
		}
	}
	return nil, nil
}

func evidence(evs []rules.Evidence, loc *time.Location) []report.Item {
	out := make([]report.Item, 0, len(evs))
	for _, e := range evs {
		out = append(out, report.Item{Title: cmp.Or(e.Title, e.Unit), URL: e.URL, Kind: e.Kind, Unit: e.Unit, Who: e.Actor, At: e.OccurredAt.In(loc)})
	}
	return out
}

func statusChanges(h []Point) []StatusChange {
	out := []StatusChange{}
	for i := 1; i < len(h); i++ {
		if h[i].Status != h[i-1].Status {
			out = append(out, StatusChange{At: h[i].At, From: h[i-1].Status, To: h[i].Status})
		}
	}
	return out
}

// notes are the owners' notes of the view's week as known at its moment.
func (db *Dashboard) notes(ctx context.Context, p place) (map[string]store.Note, error) {
	if db.d.Notes == nil {
		return nil, nil
	}
	return db.d.Notes.Notes(ctx, p.nav.Week, p.nav.AsOf)
}
