package dashboard

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"

	"github.com/goalpost/goalpost/internal/store"
	"github.com/goalpost/goalpost/pipeline/event"
)

// deliveryWeeks is how many weeks the delivery view covers (a quarter).
const deliveryWeeks = 13

// Delivery is the four keys per repository and week, from stored events:
// deploy frequency, lead time for changes (median and p90), change failure
// rate and time to restore.
type Delivery struct {
	Schema int `json:"schema"`
	Nav
	Weeks []string       `json:"weeks"` // oldest first, ending with Nav.Week
	Repos []RepoDelivery `json:"repos"` // "" (every repository) first
}

// RepoDelivery is one repository's weeks and its totals over them.
type RepoDelivery struct {
	Repo  string         `json:"repo"`
	Weeks []DeliveryWeek `json:"weeks"`
	Total DeliveryWeek   `json:"total"`
}

// DeliveryWeek is the four keys over one week. Durations are seconds; a
// figure with nothing to compute it from is null.
type DeliveryWeek struct {
	Week              string   `json:"week"`
	Deploys           int      `json:"deploys"`
	FailedDeploys     int      `json:"failed_deploys"`
	Changes           int      `json:"changes"`
	LeadMedian        *float64 `json:"lead_time_median_seconds"`
	LeadP90           *float64 `json:"lead_time_p90_seconds"`
	ChangeFailureRate *float64 `json:"change_failure_rate"`
	Restores          int      `json:"restores"`
	RestoreMedian     *float64 `json:"time_to_restore_median_seconds"`
}

// tally gathers one repository-week's raw figures.
type tally struct {
	ok, failed int
	lead       []float64
	restore    []float64
}

func (t *tally) add(ev event.Event) {
	switch ev.Kind {
	case event.KindDeploymentSucceeded:
		t.ok++
	case event.KindDeploymentFailed:
		t.failed++
	case event.KindChangeShipped:
		if v, ok := ev.Numbers["lead_time_seconds"]; ok {
			t.lead = append(t.lead, v)
		}
	case event.KindIncidentResolved:
		if v, ok := ev.Numbers["restore_seconds"]; ok {
			t.restore = append(t.restore, v)
		}
	}
}

func (t *tally) week(name string) DeliveryWeek {
	w := DeliveryWeek{Week: name, Deploys: t.ok, FailedDeploys: t.failed, Changes: len(t.lead), Restores: len(t.restore),
		LeadMedian: quantile(t.lead, 0.5), LeadP90: quantile(t.lead, 0.9), RestoreMedian: quantile(t.restore, 0.5)}
	if n := t.ok + t.failed; n > 0 {
		r := float64(t.failed) / float64(n)
		w.ChangeFailureRate = &r
	}
	return w
}

// quantile is the nearest-rank q-quantile of vs; nil when empty.
func quantile(vs []float64, q float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	s := slices.Sorted(slices.Values(vs))
	v := s[max(int(math.Ceil(q*float64(len(s))))-1, 0)]
	return &v
}

// Delivery builds the four keys for the 13 weeks ending with the view's
// week, for q's team (by the actor's team, incidents by their "team";
// events of nobody's team only count for every team) or every team.
func (db *Dashboard) Delivery(ctx context.Context, q Query) (*Delivery, error) {
	p, err := db.resolve(ctx, q)
	if err != nil {
		return nil, err
	}
	weeks := p.week.Range(deliveryWeeks)
	from := p.cal.Week(weeks[0]).Start
	col := map[string]int{}
	v := &Delivery{Schema: Schema, Nav: p.nav}
	for i, w := range weeks {
		v.Weeks = append(v.Weeks, w.String())
		col[w.String()] = i
	}
	team := p.nav.Team // one team of several; with one team, everything
	if len(p.nav.Teams) < 2 {
		team = ""
	}
	tallies := map[string][]tally{}
	err = db.d.Events.ScanEvents(ctx, store.EventFilter{From: from, To: p.nav.AsOf}, func(ev event.Event) error {
		i, ok := col[p.cal.WeekOf(ev.OccurredAt).String()]
		if !ok || !db.onTeam(ev, team) {
			return nil
		}
		for _, repo := range []string{"", ev.Repo} {
			if tallies[repo] == nil {
				tallies[repo] = make([]tally, len(weeks))
			}
			tallies[repo][i].add(ev)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, repo := range slices.Sorted(maps.Keys(tallies)) {
		rd := RepoDelivery{Repo: repo}
		var all tally
		for i, t := range tallies[repo] {
			rd.Weeks = append(rd.Weeks, t.week(v.Weeks[i]))
			all.ok, all.failed = all.ok+t.ok, all.failed+t.failed
			all.lead, all.restore = append(all.lead, t.lead...), append(all.restore, t.restore...)
		}
		rd.Total = all.week("total")
		v.Repos = append(v.Repos, rd)
	}
	if v.Repos == nil {
		v.Repos = []RepoDelivery{}
	}
	return v, nil
}

func (db *Dashboard) onTeam(ev event.Event, team string) bool {
	switch ev.Kind {
	case event.KindDeploymentSucceeded, event.KindDeploymentFailed, event.KindChangeShipped, event.KindIncidentResolved:
	default:
		return false
	}
	if team == "" || db.d.TeamOf == nil {
		return true
	}
	return cmp.Or(ev.Attrs["team"], db.d.TeamOf(ev.Actor)) == team
}
