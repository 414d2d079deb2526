package rules

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

func TestFrozen(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	r := &Rule{Key: "sev2", Type: TypeMetric, KR: KeyResult{Baseline: 10, Target: 2}, Aggregate: AggCountPerWeek,
		Window: calendar.Trailing(28 * 24 * time.Hour), Start: start, End: start.AddDate(0, 0, 92), Location: time.UTC,
		Tolerance: DefaultTolerance, DivideBy: 1, Version: "v1"}
	healthy := r.Evaluate(Inputs{Count: 40, EvidenceTotal: 40, Evidence: []Evidence{{Unit: "INC-1"}}}, start.AddDate(0, 0, 28))
	done := r.Evaluate(Inputs{Count: 4, EvidenceTotal: 4}, start.AddDate(0, 0, 28))
	with := func(f func(*Result)) *Result {
		res := healthy
		f(&res)
		return &res
	}
	stale := []string{"jira"}
	later := start.AddDate(0, 0, 60)
	tests := []struct {
		name    string
		last    *Result
		current float64
		noData  bool
		status  string
	}{
		{"keeps the last healthy value", &healthy, 10, false, StatusStale},
		{"keeps a value frozen before", ptrTo(r.Frozen(&healthy, stale, later.AddDate(0, 0, -7))), 10, false, StatusStale},
		{"done before the outage stays done", &done, 1, false, StatusDone},
		{"no result yet: no data, not zero", nil, 10, true, StatusStale},
		{"another rule version: no data", with(func(x *Result) { x.RuleVersion = "v0" }), 10, true, StatusStale},
		{"another target: no data", with(func(x *Result) { x.Target = 5 }), 10, true, StatusStale},
		{"a healthy result with no data stays no data", with(func(x *Result) { x.NoData, x.Evidence, x.EvidenceTotal = true, nil, 0 }), 10, true, StatusStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := r.Frozen(tt.last, stale, later)
			if got.Current != tt.current || got.NoData != tt.noData || got.Status != tt.status {
				t.Errorf("current %v no_data %v status %s; want %v %v %s (%s)", got.Current, got.NoData, got.Status,
					tt.current, tt.noData, tt.status, got.Formula)
			}
			if !reflect.DeepEqual(got.StaleSources, stale) || !got.EvaluatedAt.Equal(later) || got.RuleVersion != "v1" {
				t.Errorf("stale %v evaluated %s version %s; want [jira], %s, v1", got.StaleSources, got.EvaluatedAt, got.RuleVersion, later)
			}
			if r.computed(tt.last) && !tt.last.NoData && (got.Progress != tt.last.Progress || got.Score != tt.last.Score ||
				got.Formula != tt.last.Formula || !reflect.DeepEqual(got.Evidence, tt.last.Evidence)) {
				t.Errorf("progress %v score %v evidence %v; want the last result's %v %v %v",
					got.Progress, got.Score, got.Evidence, tt.last.Progress, tt.last.Score, tt.last.Evidence)
			}
			if tt.noData && (got.Progress != 0 || got.Evidence != nil) {
				t.Errorf("no data: progress %v evidence %v; want 0, none", got.Progress, got.Evidence)
			}
			if reason := r.StatusReason(got); !strings.Contains(reason, "[jira]") {
				t.Errorf("status reason %q does not name the failing source", reason)
			}
		})
	}
}

// The value of a frozen done key result is the done one, and the status
// reason says it was done before the sources failed.
func TestFrozenDoneReason(t *testing.T) {
	r := &Rule{Key: "m", Type: TypeMilestone, KR: KeyResult{Target: 1}, Start: time.Unix(0, 0), End: time.Unix(1000, 0),
		Location: time.UTC, Tolerance: DefaultTolerance, DivideBy: 1, Version: "v1"}
	last := r.Evaluate(Inputs{Count: 1, ReachedAt: time.Unix(5, 0)}, time.Unix(10, 0))
	got := r.Frozen(&last, []string{"github"}, time.Unix(2000, 0))
	if got.Status != StatusDone || got.Grade != GradeHit || !strings.Contains(r.StatusReason(got), "before source(s) [github] failed") {
		t.Errorf("status %s grade %s reason %q; want done, hit, done before github failed", got.Status, got.Grade, r.StatusReason(got))
	}
}

func ptrTo(r Result) *Result { return &r }
