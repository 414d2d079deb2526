package report

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

func TestBuildContent(t *testing.T) {
	r := buildFixed(t)
	var keys []string
	for _, o := range r.Objectives {
		for _, k := range o.KRs {
			keys = append(keys, k.Key)
		}
	}
	if want := []string{"KR-1.1", "KR-1.2", "KR-2.1", "KR-2.2", "KR-2.3"}; !slices.Equal(keys, want) {
		t.Errorf("KRs = %v, want %v (sorted, other teams' left out)", keys, want)
	}
	kr21 := r.Objectives[1].KRs[0]
	if kr21.Moved == nil || kr21.Moved.Delta != 4 || len(kr21.Moved.Items) != 4 {
		t.Fatalf("KR-2.1 moved = %+v, want +4 with 4 distinct items", kr21.Moved)
	}
	if got := kr21.Moved.Items[0].Who; got != "Alice Ng" {
		t.Errorf("evidence who = %q, want the person's name", got)
	}
	if r.Objectives[0].KRs[1].Moved != nil {
		t.Error("KR-1.2 did not move but has a Move")
	}
	if got := r.Summary; got.KRs != 5 || got.Done != 1 || got.Stale != 1 || got.Shipped != 3 || got.Met != 2 || got.People != 4 {
		t.Errorf("summary = %+v", got)
	}
	if len(r.TwoInARow) != 1 || r.TwoInARow[0].Person != "bob" || len(r.Silent) != 1 || r.Silent[0].Person != "carol" {
		t.Errorf("two in a row %v, silent %v", r.TwoInARow, r.Silent)
	}
	if r.Unmapped[0].Source != "github" {
		t.Errorf("unmapped not sorted: %v", r.Unmapped)
	}
	if !r.Final || r.Start.Format(time.RFC3339) != "2026-11-16T00:00:00+01:00" {
		t.Errorf("final %v, start %s", r.Final, r.Start)
	}
}

func TestBuildWindowAndTeams(t *testing.T) {
	mid := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		team     people.Team
		now      time.Time
		wantTo   time.Time
		wantKRs  int
		wantFin  bool
		wantZone string
	}{
		{name: "finished week: the whole week", team: platform, now: reportTime,
			wantTo: time.Date(2026, 11, 22, 23, 0, 0, 0, time.UTC), wantKRs: 5, wantFin: true, wantZone: "Europe/Berlin"},
		{name: "week in progress: up to now", team: platform, now: mid, wantTo: mid, wantKRs: 5, wantZone: "Europe/Berlin"},
		{name: "team \"\" gets every KR, in UTC", team: people.Team{}, now: reportTime,
			wantTo: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), wantKRs: 6, wantFin: true, wantZone: "UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := loadSource(t)
			r, err := Build(t.Context(), src, tc.team, week47, tc.now, DefaultGridWeeks)
			if err != nil {
				t.Fatal(err)
			}
			if len(src.windows) != 1 || !src.windows[0][1].Equal(tc.wantTo) {
				t.Errorf("Moved window = %v, want to %s", src.windows, tc.wantTo)
			}
			if r.KRCount() != tc.wantKRs || r.Final != tc.wantFin || r.TimeZone != tc.wantZone {
				t.Errorf("KRs %d final %v zone %s", r.KRCount(), r.Final, r.TimeZone)
			}
			if len(r.Baseline.Weeks) != DefaultGridWeeks {
				t.Errorf("grid weeks = %d", len(r.Baseline.Weeks))
			}
		})
	}
}

func TestBuildKRWithoutTeamInEveryTeam(t *testing.T) {
	src := loadSource(t)
	src.Data.Results = append(src.Data.Results, rules.Result{KRKey: "KR-0.1", ObjectiveKey: "O0", Status: rules.StatusOnTrack})
	r, err := Build(t.Context(), src, platform, week47, reportTime, 4)
	if err != nil {
		t.Fatal(err)
	}
	if r.Objectives[0].Key != "O0" {
		t.Errorf("company-wide KR missing: %v", r.Objectives[0].Key)
	}
}

func TestBuildErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*fakeSource)
		team   people.Team
		week   calendar.Week
		want   string
	}{
		{name: "future week", week: calendar.Week{Year: 2026, Num: 49}, want: "has not started"},
		{name: "source fails", mutate: func(f *fakeSource) { f.err = errors.New("database is locked") }, want: "key results: database is locked"},
		{name: "bad time zone", team: people.Team{Name: "x", TimeZone: "Nowhere/Land"}, want: `team "x"`},
		{name: "grid cells misaligned", mutate: func(f *fakeSource) { f.Data.Grid.People[0].Cells = f.Data.Grid.People[0].Cells[:2] }, want: "has 2 cells for 4 weeks"},
		{name: "no grid", mutate: func(f *fakeSource) { f.Data.Grid.Weeks = nil }, want: "baseline"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := loadSource(t)
			if tc.mutate != nil {
				tc.mutate(src)
			}
			team, week := platform, week47
			if tc.team.Name != "" {
				team = tc.team
			}
			if !tc.week.IsZero() {
				week = tc.week
			}
			_, err := Build(t.Context(), src, team, week, reportTime, 4)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
