package rules

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestAggregate(t *testing.T) {
	seq := func(n int) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = float64(n - i) // descending: the aggregate must sort
		}
		return out
	}
	tests := []struct {
		name    string
		agg     string
		values  []float64
		want    float64
		formula string
	}{
		{"median odd", AggMedian, []float64{40, 10, 25}, 25, "(the 2nd)"},
		{"median even", AggMedian, []float64{40, 10, 25, 15}, 20, "(15 + 25) / 2"},
		{"median one", AggMedian, []float64{7}, 7, ""},
		{"p95 of 20 is the 19th", AggP95, seq(20), 19, "⌈0.95 × 20⌉ = 19"},
		{"p95 of 21 is the 20th", AggP95, seq(21), 20, "⌈0.95 × 21⌉ = 20"},
		{"p95 of 10 is the 10th", AggP95, seq(10), 10, "= 10"},
		{"p95 of 1", AggP95, []float64{3}, 3, ""},
		{"avg", AggAvg, []float64{1, 2, 4}, 7.0 / 3, "avg = 7 / 3"},
		{"sum", AggSum, []float64{1, 2, 4}, 7, ""},
		{"min", AggMin, []float64{5, 2, 9}, 2, ""},
		{"max", AggMax, []float64{5, 2, 9}, 9, ""},
		{"last is the newest", AggLast, []float64{5, 2, 9, 1}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, f := Aggregate(tt.agg, tt.values)
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("= %v, want %v (%s)", got, tt.want, f)
			}
			if !strings.Contains(f, tt.formula) {
				t.Errorf("formula %q lacks %q", f, tt.formula)
			}
		})
	}
}

func TestAggregateNoValues(t *testing.T) {
	for _, agg := range []string{AggMedian, AggP95, AggAvg, AggSum, AggMin, AggMax, AggLast} {
		if v, _ := Aggregate(agg, nil); v != 0 {
			t.Errorf("%s of nothing = %v", agg, v)
		}
	}
}

func TestEvaluate(t *testing.T) {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 100)
	day := func(n float64) time.Time { return start.Add(time.Duration(n * 24 * float64(time.Hour))) }
	rule := func(typ string, baseline, target float64) *Rule {
		return &Rule{Key: "kr", Type: typ, KR: KeyResult{Baseline: baseline, Target: target}, Start: start, End: end,
			Location: time.UTC, Tolerance: DefaultTolerance, DivideBy: 1, Aggregate: AggMedian, Field: "x"}
	}
	manual := func(v float64) Inputs { return Inputs{Manual: &v} }
	tests := []struct {
		name     string
		rule     *Rule
		in       Inputs
		at       time.Time
		progress float64
		score    float64
		status   string
		grade    string
	}{
		{"on pace", rule(TypeManual, 0, 100), manual(50), day(50), 0.5, 0.5, StatusOnTrack, GradePartial},
		{"behind by exactly the tolerance", rule(TypeManual, 0, 100), manual(35), day(50), 0.35, 0.4, StatusOnTrack, GradeMissed},
		{"behind by more than the tolerance", rule(TypeManual, 0, 100), manual(34), day(50), 0.34, 0.3, StatusAtRisk, GradeMissed},
		{"behind by exactly twice", rule(TypeManual, 0, 100), manual(20), day(50), 0.2, 0.2, StatusAtRisk, GradeMissed},
		{"behind by more than twice", rule(TypeManual, 0, 100), manual(19), day(50), 0.19, 0.2, StatusOffTrack, GradeMissed},
		{"decreasing target halfway", rule(TypeManual, 82, 49), manual(65.5), day(50), 0.5, 0.5, StatusOnTrack, GradePartial},
		{"decreasing, worse than baseline: clamped to 0", rule(TypeManual, 82, 49), manual(90), day(10), 0, 0, StatusOnTrack, GradeMissed},
		{"decreasing, beyond target: clamped to 1", rule(TypeManual, 82, 49), manual(30), day(10), 1, 1, StatusDone, GradeHit},
		{"above target: clamped to 1", rule(TypeManual, 0, 10), manual(12), day(99), 1, 1, StatusDone, GradeHit},
		{"a hair short of a decreasing target is not done", rule(TypeManual, 5, 2), manual(2.0001), day(50), 0.9999, 1, StatusOnTrack, GradePartial},
		{"a hair short of the target is not done", rule(TypeManual, 0, 100000), manual(99999), day(50), 0.9999, 1, StatusOnTrack, GradePartial},
		{"score rounds 0.65 up", rule(TypeManual, 0, 100), manual(65), day(60), 0.65, 0.7, StatusOnTrack, GradePartial},
		{"blocked item: at risk", rule(TypeManual, 0, 100), Inputs{Manual: ptr(60), Blocked: []Evidence{{Unit: "A-1"}}}, day(50), 0.6, 0.6, StatusAtRisk, GradePartial},
		{"stale keeps the value", rule(TypeManual, 0, 100), Inputs{Manual: ptr(10), StaleSources: []string{"jira"}}, day(90), 0.1, 0.1, StatusStale, GradeMissed},
		{"before the period", rule(TypeManual, 0, 100), manual(0), day(-5), 0, 0, StatusOnTrack, GradeMissed},
		{"metric with no data shows the baseline", rule(TypeMetric, 30, 12), Inputs{}, day(5), 0, 0, StatusOnTrack, GradeMissed},
		{"metric with no data later is off track", rule(TypeMetric, 30, 12), Inputs{}, day(50), 0, 0, StatusOffTrack, GradeMissed},
		{"milestone early", rule(TypeMilestone, 0, 1), Inputs{}, day(84), 0, 0, StatusOnTrack, GradeMissed},
		{"milestone in the last 15%", rule(TypeMilestone, 0, 1), Inputs{}, day(85), 0, 0, StatusAtRisk, GradeMissed},
		{"milestone after the end", rule(TypeMilestone, 0, 1), Inputs{}, day(101), 0, 0, StatusOffTrack, GradeMissed},
		{"milestone reached", rule(TypeMilestone, 0, 1), Inputs{Count: 1, ReachedAt: day(3)}, day(90), 1, 1, StatusDone, GradeHit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.rule.Evaluate(tt.in, tt.at)
			if math.Abs(res.Progress-tt.progress) > 1e-9 || res.Score != tt.score || res.Status != tt.status || res.Grade != tt.grade {
				t.Errorf("progress %v score %v status %s grade %s; want %v %v %s %s (pace %v; %s)",
					res.Progress, res.Score, res.Status, res.Grade, tt.progress, tt.score, tt.status, tt.grade, res.Pace, res.Formula)
			}
		})
	}
}

func TestEvaluateNoDataNeverZero(t *testing.T) {
	r := &Rule{Key: "lead", Type: TypeMetric, KR: KeyResult{Baseline: 30, Target: 12}, Aggregate: AggMedian, Field: "x",
		Start: time.Unix(0, 0), End: time.Unix(1000, 0), Location: time.UTC, Tolerance: DefaultTolerance, DivideBy: 1}
	res := r.Evaluate(Inputs{}, time.Unix(10, 0))
	if !res.NoData || res.Current != 30 || res.Progress != 0 || res.Status == StatusDone {
		t.Errorf("no data: current %v progress %v status %s no_data %v; want the baseline, 0, not done", res.Current, res.Progress, res.Status, res.NoData)
	}
}

func ptr(v float64) *float64 { return &v }

// A decreasing key result at its baseline has progress (0 − 0) / (49 − 82):
// a negative zero, which writebacks print as "-0%".
func TestEvaluateAtTheBaselineIsNotNegativeZero(t *testing.T) {
	r := &Rule{Key: "tickets", Type: TypeManual, KR: KeyResult{Baseline: 82, Target: 49},
		Start: time.Unix(0, 0), End: time.Unix(1000, 0), Location: time.UTC, Tolerance: DefaultTolerance, DivideBy: 1}
	res := r.Evaluate(Inputs{Manual: ptr(82)}, time.Unix(10, 0))
	if math.Signbit(res.Progress) || math.Signbit(res.Score) {
		t.Errorf("progress %v, score %v; want 0, not -0 (shown as %.0f%%)", res.Progress, res.Score, res.Progress*100)
	}
}
