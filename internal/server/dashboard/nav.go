package dashboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Dashboard builds the views and serves them as pages and as the API.
type Dashboard struct {
	d   Deps
	hub *Hub
}

// New returns the dashboard over d. It does no I/O.
func New(d Deps) *Dashboard {
	return &Dashboard{d: d, hub: NewHub()}
}

// Hub returns the live-update hub: notify it after each committed batch.
func (db *Dashboard) Hub() *Hub { return db.hub }

// badRequest is a query that can never succeed (an unknown team, a bad
// week): 400, with a message naming the valid choices.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

// IsInputError reports whether err is about what was asked (an unknown
// team or key result, a bad week) rather than a failure: the API answers
// 4xx, the commands exit 2.
func IsInputError(err error) bool {
	var nf errNotFound
	return isBadRequest(err) || errors.As(err, &nf)
}

func isBadRequest(err error) bool {
	var b *badRequest
	return errors.As(err, &b)
}

// Query is a view's team and week as asked ("" for the defaults: every
// team, or the only one; the current week): the API's ?team= and ?week=,
// the commands' --team and --week.
type Query struct {
	Team, Week string
	// PerTeam views (baseline) need one team: "" picks the first.
	PerTeam bool
}

// place is a resolved query.
type place struct {
	nav  Nav
	week calendar.Week
	span calendar.Span
	cal  calendar.Calendar
	now  time.Time
}

// resolve checks q's team and week and works out the view's moment: now for
// the current week, the end of the week for a past one.
func (db *Dashboard) resolve(ctx context.Context, q Query) (place, error) {
	teams := db.d.Reports.Teams()
	team := q.Team
	if team == "" && (q.PerTeam || len(teams) == 1) {
		team = teams[0]
	}
	calTeam := team
	if calTeam == "" {
		calTeam = teams[0] // every team: the first team's weeks
	}
	if team != "" && !slices.Contains(teams, team) {
		return place{}, &badRequest{fmt.Sprintf("unknown team %q (teams: %s)", team, strings.Join(teams, ", "))}
	}
	tm, err := db.d.Reports.Team(calTeam)
	if err != nil {
		return place{}, err
	}
	cal, err := calendar.Parse(tm.TimeZone, tm.WeekStart)
	if err != nil {
		return place{}, err
	}
	now := db.d.Now()
	current := cal.WeekOf(now)
	week := current
	if q.Week != "" {
		if week, err = calendar.ParseWeek(q.Week); err != nil {
			return place{}, &badRequest{"week: " + err.Error()}
		}
		if current.Before(week) {
			return place{}, &badRequest{fmt.Sprintf("week %s has not started (the current week is %s)", week, current)}
		}
	}
	p := place{week: week, span: cal.Week(week), cal: cal, now: now}
	p.nav = Nav{Team: team, Teams: teams, Week: week.String(), Prev: week.Add(-1).String(),
		AsOf: now, GeneratedAt: now, Failing: []string{}}
	if week != current {
		p.nav.Next = week.Add(1).String()
		p.nav.AsOf = p.span.End
	}
	if p.nav.Failing, err = db.failing(ctx); err != nil {
		return place{}, err
	}
	return p, nil
}

// failing lists the sources whose last poll failed.
func (db *Dashboard) failing(ctx context.Context) ([]string, error) {
	hs, err := db.d.Health.SourceHealth(ctx)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, h := range hs {
		if h.Failing {
			out = append(out, h.Source)
		}
	}
	return out, nil
}
