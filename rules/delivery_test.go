package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

var d0 = time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC)

func deployEv(id, repo string, at time.Duration, ok bool) event.Event {
	kind := event.KindDeploymentFailed
	if ok {
		kind = event.KindDeploymentSucceeded
	}
	return event.Event{ID: id, Source: "gitlab", Kind: kind, Repo: repo, OccurredAt: d0.Add(at), Environment: "production",
		Title: "deploy " + id, Unit: repo + ":deploy:" + id}
}

func incidentEv(id, service, repos string, at time.Duration) event.Event {
	return event.Event{ID: id, Source: "pagerduty", Kind: event.KindIncidentOpened, OccurredAt: d0.Add(at),
		Repo: strings.Split(repos, ",")[0], Attrs: map[string]string{"service": service, "repos": repos, "ref": id}}
}

func revertEv(id, repo, title string, labels []string, at time.Duration) event.Event {
	return event.Event{ID: id, Source: "github", Kind: event.KindPullRequestMerged, Repo: repo, Title: title,
		Labels: labels, OccurredAt: d0.Add(at)}
}

func cfrRule(t *testing.T, f Failures) *Rule {
	t.Helper()
	set, err := Compile([]Objective{{Key: "o", Period: "2026-Q4", KeyResults: []KeyResult{{
		Key: "cfr", Type: TypeMetric, Aggregate: AggChangeFailureRate, Baseline: 20, Target: 5,
		Match: `repo == "acme/api"`, Failures: f,
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := set.Rule("cfr")
	return r
}

// TestChangeFailureRate: each failure source on and off over the same
// events; an incident on another service never counts.
func TestChangeFailureRate(t *testing.T) {
	h := time.Hour
	evs := []event.Event{
		deployEv("d1", "acme/api", 0, true),
		deployEv("d2", "acme/api", 2*h, false),
		deployEv("d3", "acme/api", 4*h, true),
		incidentEv("INC-1", "checkout", "acme/web,acme/api", 5*h), // fails d3
		deployEv("d4", "acme/api", 30*h, true),
		incidentEv("INC-2", "search", "acme/search", 31*h),                 // another service
		revertEv("pr-9", "acme/api", "Revert \"faster login\"", nil, 32*h), // fails d4
		deployEv("d5", "acme/api", 40*h, true),
		revertEv("pr-10", "acme/api", "Fix typo", []string{"HotFix"}, 80*h), // beyond 24h of d5
		deployEv("d6", "acme/api", 90*h, true),
		incidentEv("INC-3", "checkout", "acme/web,acme/api", 130*h), // beyond 24h of d6
	}
	tests := []struct {
		name            string
		f               Failures
		deploys, failed int
		formula         string
	}{
		{"default: failed deploys only", Failures{}, 6, 1, "(failed_deploy: 1)"},
		{"incidents only", Failures{Sources: []string{FailureIncident}}, 5, 1, "(incident: 1)"},
		{"reverts only", Failures{Sources: []string{FailureRevert}}, 5, 1, "(revert: 1)"},
		{"all three", Failures{Sources: []string{FailedDeploy, FailureIncident, FailureRevert}}, 6, 3,
			"(failed_deploy: 1, incident: 1, revert: 1)"},
		{"a wider window catches the late hotfix and incident", Failures{Sources: []string{FailureIncident, FailureRevert}, Window: "2d"},
			5, 4, "(incident: 2, revert: 2)"},
		{"a label rule of its own", Failures{Sources: []string{FailureRevert}, RevertLabels: []string{"rollback"}, RevertTitle: "^Rollback", Window: "7d"},
			5, 0, "= 0%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cfrRule(t, tt.f)
			var matched []event.Event
			for _, ev := range evs {
				if m := mustMatch(t, r, ev); m {
					matched = append(matched, ev)
				}
			}
			rate := r.ChangeFailureRate(matched)
			if rate.Deploys != tt.deploys || rate.Failed != tt.failed || !strings.Contains(rate.Formula, tt.formula) {
				t.Fatalf("deploys %d failed %d (%s), want %d/%d %q", rate.Deploys, rate.Failed, rate.Formula, tt.deploys, tt.failed, tt.formula)
			}
			if len(rate.Evidence) != tt.deploys {
				t.Fatalf("evidence %d items, want one per deploy", len(rate.Evidence))
			}
		})
	}
}

// mustMatch runs the rule's compiled expression (the kinds its aggregate
// implies, scoped by its match) on ev.
func mustMatch(t *testing.T, r *Rule, ev event.Event) bool {
	t.Helper()
	s := &Set{}
	ok, err := s.Eval(r, NewEnv(&ev, ""))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestDeliveryAggregates: deploy frequency and time to restore through
// Evaluate, and the options check refuses.
func TestDeliveryAggregates(t *testing.T) {
	objs := []Objective{{Key: "o", Period: "2026-Q4", KeyResults: []KeyResult{
		{Key: "df", Type: TypeMetric, Aggregate: AggDeployFrequency, Per: "day", Window: "14d", Baseline: 1, Target: 5, Match: `repo == "acme/api"`},
		{Key: "dfw", Type: TypeMetric, Aggregate: AggDeployFrequency, Window: "28d", Baseline: 1, Target: 5},
		{Key: "ttr", Type: TypeMetric, Aggregate: AggTimeToRestore, DivideBy: 60, Baseline: 60, Target: 20, Unit: "min"},
	}}}
	set, err := Compile(objs)
	if err != nil {
		t.Fatal(err)
	}
	now := d0.Add(30 * 24 * time.Hour)
	tests := []struct {
		key  string
		in   Inputs
		want float64
	}{
		{"df", Inputs{Count: 28, From: now.Add(-14 * 24 * time.Hour), To: now}, 2},
		{"dfw", Inputs{Count: 12, From: now.Add(-28 * 24 * time.Hour), To: now}, 3},
		{"ttr", Inputs{Values: []float64{10, 40, 25}}, 25},
	}
	for _, tt := range tests {
		r, _ := set.Rule(tt.key)
		if res := r.Evaluate(tt.in, now); res.Current != tt.want || res.NoData {
			t.Errorf("%s = %v (%s), want %v", tt.key, res.Current, res.Formula, tt.want)
		}
	}
	ttr, _ := set.Rule("ttr")
	inc := event.Event{ID: "i", Source: "incidentio", Kind: event.KindIncidentResolved, OccurredAt: d0,
		Numbers: map[string]float64{"restore_seconds": 600}}
	if m := set.Match(&inc, "", nil); len(m) != 1 || m[0].Rule != ttr || *m[0].Value != 10 {
		t.Fatalf("time_to_restore matched %+v", m)
	}
	bad := []KeyResult{
		{Key: "a", Type: TypeMetric, Aggregate: AggChangeFailureRate, Baseline: 10, Target: 5, Failures: Failures{Sources: []string{"outage"}}},
		{Key: "b", Type: TypeMetric, Aggregate: AggDeployFrequency, Baseline: 1, Target: 5, Per: "month"},
		{Key: "c", Type: TypeMetric, Aggregate: AggDeployFrequency, Baseline: 1, Target: 5, Failures: Failures{Window: "1h"}},
		{Key: "d", Type: TypeMetric, Aggregate: AggChangeFailureRate, Baseline: 10, Target: 5, Failures: Failures{RevertTitle: "("}},
	}
	_, err = Compile([]Objective{{Key: "o", Period: "2026-Q4", KeyResults: bad}})
	for _, want := range []string{"unknown failure source", "per applies", "failures apply", "revert_title"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}
