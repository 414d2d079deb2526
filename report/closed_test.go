package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/engine"
	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules/calendar"
)

// newClosedFixture is the end-to-end fixture (testdata/engine) over a real
// engine whose clock the test moves.
func newClosedFixture(t *testing.T) (*engine.Engine, *time.Time) {
	t.Helper()
	_, dir, set := loadEngineFixture(t)
	now := new(time.Time)
	*now = reportTime
	eng := engine.New(set, dir, openStore(t, t.TempDir()), engine.WithClock(func() time.Time { return *now }))
	if err := eng.Handle(t.Context(), readJSONL(t, filepath.Join("testdata", "engine", "events.jsonl"))); err != nil {
		t.Fatal(err)
	}
	return eng, now
}

func reportJSON(t *testing.T, src Source, week calendar.Week, now time.Time) []byte {
	t.Helper()
	cfg, _, _ := loadEngineFixture(t)
	r, err := Build(t.Context(), src, cfg.Teams[0], week, now, 4)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func shipEvent(n int, who string, at time.Time) event.Event {
	unit := fmt.Sprintf("acme/api#%d", n)
	return event.Event{ID: "gh:shipped:" + unit, Source: event.SourceGitHub, Kind: event.KindChangeShipped,
		OccurredAt: at, ActorHandle: who, Repo: "acme/api", Unit: unit, Title: unit, Labels: []string{"perf"},
		URL: "https://github.com/" + unit, Environment: "production", Numbers: map[string]float64{"lead_time_seconds": 600}}
}

// TestClosedWeekReadsTheSame (issue 12.5): W47's report opened three weeks
// later, after new events landed and key results moved, has the same bytes
// as when it was opened the day after W47 ended.
func TestClosedWeekReadsTheSame(t *testing.T) {
	eng, now := newClosedFixture(t)
	src := NewEngineSource(eng)
	dayAfter := reportTime // Mon 23 Nov 09:00 Berlin, W47 ended at midnight
	first := reportJSON(t, src, week47, dayAfter)

	var later []event.Event
	for i, at := 0, dayAfter.Add(time.Hour); i < 12; i, at = i+1, at.Add(38*time.Hour) {
		later = append(later, shipEvent(100+i, []string{"alice-gh", "bob-gh", "carol-gh"}[i%3], at))
	}
	*now = dayAfter.Add(21 * 24 * time.Hour)
	if err := eng.Handle(t.Context(), later); err != nil {
		t.Fatal(err)
	}
	if err := eng.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	today := reportJSON(t, src, week47, *now)
	if !bytes.Equal(first, today) {
		t.Errorf("W47 changed after the fact:\nthe day after: %s\ntoday:         %s", first, today)
	}
	if cur := reportJSON(t, src, week47.Add(3), *now); bytes.Equal(cur, today) {
		t.Error("the current week reads like W47")
	}
}

// TestReportAndBaselineAgree (issue 12.5), property style: over random
// histories, for every finished week, the report's "two misses in a row"
// and "silent" lists are the baseline's for that week.
func TestReportAndBaselineAgree(t *testing.T) {
	cfg, dir, set := loadEngineFixture(t)
	team := cfg.Teams[0]
	handles := []string{"alice-gh", "bob-gh", "carol-gh", "dan-gh"}
	today := reportTime.Add(14 * 24 * time.Hour)
	first := week47.Add(-7)
	for seed := range uint64(6) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 42))
			eng := engine.New(set, dir, openStore(t, t.TempDir()), engine.WithClock(func() time.Time { return today }))
			cal := calendar.New(mustLocation(t, team.TimeZone), time.Monday)
			var evs []event.Event
			for w := range 9 {
				start := cal.Week(first.Add(w)).Start
				for i, h := range handles {
					at := start.Add(time.Duration(rng.IntN(7*24)) * time.Hour)
					switch rng.IntN(3) {
					case 0:
						evs = append(evs, shipEvent(w*10+i, h, at))
					case 1:
						evs = append(evs, event.Event{ID: fmt.Sprintf("c%d-%d", w, i), Source: event.SourceGitHub,
							Kind: event.KindPullRequestMerged, OccurredAt: at, ActorHandle: h, Unit: fmt.Sprintf("x#%d", w*10+i)})
					}
				}
			}
			if err := eng.Handle(t.Context(), evs); err != nil {
				t.Fatal(err)
			}
			grid, err := eng.BaselineWeeks(t.Context(), team.Name, first.Add(8), 8, today)
			if err != nil {
				t.Fatal(err)
			}
			src := NewEngineSource(eng)
			for i, w := range grid.Weeks {
				r, err := Build(t.Context(), src, team, w, today, 4)
				if err != nil {
					t.Fatal(err)
				}
				var two, silent []string
				for _, row := range grid.Rows {
					if row.Cells[i].TwoInARow {
						two = append(two, row.Person)
					}
					if row.Cells[i].Silent {
						silent = append(silent, row.Person)
					}
				}
				if got := personKeys(r.TwoInARow); !slices.Equal(got, two) {
					t.Errorf("%s: report two in a row %v, baseline %v", w, got, two)
				}
				if got := personKeys(r.Silent); !slices.Equal(got, silent) {
					t.Errorf("%s: report silent %v, baseline %v", w, got, silent)
				}
			}
		})
	}
}

func personKeys(ps []Person) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Person)
	}
	slices.Sort(out)
	return out
}

func mustLocation(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestClosedWeekShowsItsBlockers (issue 12.5): a finished week's report
// lists the items blocked at the week's end, as an open week's does, from
// the stored issue events: AUTH-7 (blocked in W47, done since) is there,
// AUTH-8 (blocked only after W47) is not, whenever the report is first
// drafted.
func TestClosedWeekShowsItsBlockers(t *testing.T) {
	eng, now := newClosedFixture(t)
	issue := func(id, unit, cat string, blocked bool, at time.Time) event.Event {
		return event.Event{ID: id, Source: event.SourceJira, Kind: event.KindIssueUpdated, OccurredAt: at,
			Unit: unit, Title: unit + " Token store", URL: "https://acme.atlassian.net/browse/" + unit,
			Attrs: map[string]string{"status_category": cat, "blocked": fmt.Sprint(blocked)}}
	}
	pr := event.Event{ID: "gh:pr:acme/api#70:merged", Source: event.SourceGitHub, Kind: event.KindPullRequestMerged,
		OccurredAt: time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC), ActorHandle: "alice-gh", Repo: "acme/api",
		Unit: "acme/api#70", Title: "acme/api#70 Token store", Labels: []string{"perf"}, Links: []string{"AUTH-7", "AUTH-8"}}
	evs := []event.Event{pr,
		issue("j1", "AUTH-7", "indeterminate", true, time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC)),
		issue("j2", "AUTH-8", "indeterminate", false, time.Date(2026, 11, 18, 9, 0, 0, 0, time.UTC)),
		issue("j3", "AUTH-7", "done", false, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)),
		issue("j4", "AUTH-8", "indeterminate", true, time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)),
	}
	*now = reportTime.Add(14 * 24 * time.Hour)
	if err := eng.Handle(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	src := NewEngineSource(eng)
	blockers := func(r *Report) []string {
		var out []string
		for _, o := range r.Objectives {
			for _, k := range o.KRs {
				for _, b := range k.Blockers {
					out = append(out, k.Key+":"+b.Unit)
				}
			}
		}
		return out
	}
	cfg, _, _ := loadEngineFixture(t)
	closed, err := Build(t.Context(), src, cfg.Teams[0], week47, *now, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := blockers(closed); !slices.Equal(got, []string{"perf-prs:AUTH-7"}) {
		t.Errorf("W47 blockers %v, want [perf-prs:AUTH-7] (blocked at its end)", got)
	}
	open, err := Build(t.Context(), src, cfg.Teams[0], week47.Add(2), *now, 4)
	if err != nil {
		t.Fatal(err)
	}
	if got := blockers(open); !slices.Equal(got, []string{"perf-prs:AUTH-8"}) {
		t.Errorf("W49 (open) blockers %v, want [perf-prs:AUTH-8]", got)
	}
}
