package rules

import (
	"fmt"
	"math"
	"time"

	"github.com/goalpost/goalpost/rules/calendar"
)

// Grades of a key result (commit-style goals).
const (
	GradeHit     = "hit"
	GradePartial = "partial"
	GradeMissed  = "missed"
)

// Inputs are what the engine gathered from the store for one key result at
// one moment; Evaluate turns them into a Result. Each unit of work appears
// once (the engine resolves a PR, its issue and its shipped change to one
// unit before counting).
type Inputs struct {
	// Count is the number of distinct units matched: in the period (count),
	// up to the period's end (milestone), or in the window (count_per_week,
	// count_per_month).
	Count int
	// Values are a metric's data points, one per unit, oldest first.
	Values []float64
	// Sample, when set, stands for Values: what the aggregate reads of them
	// (see SampleAggregate).
	Sample *Sample
	// Done and Total are the issues in a ratio's scope that are done, and
	// all of them (canceled issues are in neither); Canceled counts those
	// apart (KeyResult.Canceled says how the ratio counts them).
	Done, Total, Canceled int
	// Manual is a manual key result's value; nil when nobody set one.
	Manual *float64
	// ReachedAt is when a milestone's first matching event happened.
	ReachedAt time.Time
	// Evidence is the most recent items behind the value (capped by the
	// engine); EvidenceTotal how many there are in all.
	Evidence      []Evidence
	EvidenceTotal int
	// Blocked are linked items flagged blocked and not done.
	Blocked []Evidence
	// StaleSources are failing sources this key result depends on.
	StaleSources []string
	// From and To are the window the values were read from.
	From, To time.Time
	// Rate is a change_failure_rate's computation (Rule.ChangeFailureRate
	// over the window's matched events).
	Rate *Rate
}

// WindowAt is the span of events a key result reads at now: its window (a
// trailing length, a calendar week, month or quarter so far, or the last full
// one, in the key result's calendar) placed at now, or at the period's end
// once it is over; else the period so far. Milestones look back without
// limit.
//
// Events at now itself are in (the store keeps milliseconds, so the window
// ends one millisecond after now).
func (r *Rule) WindowAt(now time.Time) (from, to time.Time) {
	to = r.End
	if next := now.Truncate(time.Millisecond).Add(time.Millisecond); next.Before(to) {
		to = next
	}
	if r.Type == TypeMilestone && r.Window.IsPeriod() {
		return time.Time{}, to
	}
	s := r.Calendar().Span(r.Window, calendar.Span{Start: r.Start, End: r.End}, to)
	return s.Start, s.End
}

// Calendar is the calendar of the key result's objective: its time zone,
// with its team's week start (default Monday).
func (r *Rule) Calendar() calendar.Calendar { return calendar.New(r.Location, r.WeekStart) }

// Evaluate computes the Result for in at now: the current value, progress
// = clamp((current − baseline) / (target − baseline), 0, 1) (which also
// works for targets below the baseline), score (progress rounded to one
// decimal), grade, status and the formula with the numbers filled in.
//
// Evaluate computes from in as given: with in.StaleSources set it marks the
// result stale but does not freeze it. A key result whose sources are
// failing is evaluated with Frozen instead (stale freezes the value; the
// engine does this), never from inputs the outage left incomplete.
func (r *Rule) Evaluate(in Inputs, now time.Time) Result {
	res := r.shell(now)
	res.Evidence, res.EvidenceTotal, res.Blocked, res.StaleSources = in.Evidence, in.EvidenceTotal, in.Blocked, in.StaleSources
	cur, formula, noData := r.current(in)
	res.NoData = noData
	if noData {
		cur = res.Baseline
		res.Formula = formula + "; no data yet, so current shows the baseline and progress is 0"
	} else {
		p := clamp((cur-res.Baseline)/(res.Target-res.Baseline), 0, 1)
		res.Progress = round(p, 4)
		if res.Progress >= 1 && p < 1-1e-9 {
			res.Progress = 0.9999 // rounding must not reach a target the value has not
		}
		res.Formula = fmt.Sprintf("%s; progress = clamp((%s − %s) / (%s − %s), 0, 1) = %s",
			formula, num(cur), num(res.Baseline), num(res.Target), num(res.Baseline), num(res.Progress))
	}
	res.Current = round(cur, 4)
	res.Score = Score(res.Progress)
	res.Formula += "; score = " + num(res.Score)
	res.Grade = Grade(res.Progress)
	res.Status, res.Pace = r.status(res, now)
	return res
}

// shell is a Result with what the config and the clock decide: names,
// baseline, target, period, rule version.
func (r *Rule) shell(now time.Time) Result {
	res := Result{
		KRKey: r.Key, Title: r.KR.Title, ObjectiveKey: r.ObjectiveKey, Objective: r.ObjectiveTitle,
		Owner: r.Owner, Team: r.Team, Type: r.Type, Baseline: r.KR.Baseline, Target: r.KR.Target,
		Unit: r.displayUnit(), PeriodStart: r.Start, PeriodEnd: r.End, EvaluatedAt: now,
		RuleVersion: r.Version, Direction: "up",
	}
	if res.Target < res.Baseline {
		res.Direction = "down"
	}
	return res
}

// Frozen is the Result at now of a key result whose sources stale are
// failing: stale freezes the value. Its current value, progress, score,
// grade, formula, evidence and blocked items are those of last, its last
// stored result (computed while its sources were healthy, or itself frozen
// from such a result), whatever the stored events say now: a trailing
// window must not slide past the data the outage is missing, and events
// that still arrive (another source's webhooks) count once the sources
// recover. Its status is stale, except that a key result done before the
// outage stays done.
//
// Without a usable last result (none, or one computed under another rule
// version, baseline or target) there is no value to keep: the result shows
// no data (the baseline, progress 0), stale, never a zero.
func (r *Rule) Frozen(last *Result, stale []string, now time.Time) Result {
	res := r.shell(now)
	res.StaleSources = stale
	res.Pace = round(Pace(r.Start, r.End, now), 4)
	res.Status = StatusStale
	if !r.computed(last) {
		res.NoData, res.Current, res.Grade = true, res.Baseline, Grade(0)
		res.Formula = fmt.Sprintf("source(s) %v failing and no value computed before with them healthy, "+
			"so current shows the baseline and progress is 0; score = 0", stale)
		return res
	}
	res.Current, res.Progress, res.Score, res.Grade, res.NoData = last.Current, last.Progress, last.Score, last.Grade, last.NoData
	res.Formula, res.Evidence, res.EvidenceTotal, res.Blocked = last.Formula, last.Evidence, last.EvidenceTotal, last.Blocked
	if last.Status == StatusDone {
		res.Status = StatusDone
	}
	return res
}

// computed reports whether last was computed by this rule, with its
// baseline and target: only then does its value still stand.
func (r *Rule) computed(last *Result) bool {
	return last != nil && last.KRKey == r.Key && last.Type == r.Type && last.RuleVersion == r.Version &&
		last.Baseline == r.KR.Baseline && last.Target == r.KR.Target
}

func (r *Rule) displayUnit() string {
	if r.KR.Unit == "" && r.Type == TypeRatio && !r.fraction() {
		return "%"
	}
	return r.KR.Unit
}

func (r *Rule) current(in Inputs) (cur float64, formula string, noData bool) {
	switch r.Type {
	case TypeCount:
		return float64(in.Count), fmt.Sprintf("count = %s matched in %s", plural(in.Count, "distinct unit"), present(r.Window)), false
	case TypeMilestone:
		if in.Count == 0 {
			return 0, "milestone not reached: no matching event yet", false
		}
		return 1, "milestone reached " + in.ReachedAt.In(r.Location).Format("2006-01-02 15:04 MST"), false
	case TypeRatio:
		done, total, note := r.ratioCounts(&in)
		if total == 0 {
			return 0, "ratio: no issues in scope" + note, true
		}
		if r.fraction() {
			v := float64(done) / float64(total)
			return v, fmt.Sprintf("ratio = %d done / %d in scope%s = %s", done, total, note, num(round(v, 4))), false
		}
		v := 100 * float64(done) / float64(total)
		return v, fmt.Sprintf("ratio = 100 × %d done / %d in scope%s = %s%%", done, total, note, num(round(v, 4))), false
	case TypeManual:
		if in.Manual == nil {
			return 0, "manual: no value set", true
		}
		return *in.Manual, "manual value " + num(*in.Manual), false
	}
	switch r.Aggregate {
	case AggDeployFrequency:
		v, f := perSpan(in.Count, in.To.Sub(in.From), r.KR.Per)
		return v, f, false
	case AggChangeFailureRate:
		if in.Rate == nil || in.Rate.Deploys == 0 {
			return 0, "change_failure_rate: no production deploys in the window", true
		}
		return in.Rate.Value, in.Rate.Formula, false
	case AggTimeToRestore:
		if len(in.Values) == 0 {
			return 0, "time_to_restore: no resolved incidents in the window", true
		}
		v, f := Aggregate(AggMedian, in.Values)
		return v, fmt.Sprintf("time_to_restore = %s of restore_seconds%s", f, r.scaleNote()), false
	}
	if r.Aggregate == AggCountPerWeek || r.Aggregate == AggCountPerMonth {
		v, f := perPeriod(r.Aggregate, in.Count, r.Window, r.Calendar(), calendar.Span{Start: in.From, End: in.To})
		return v, f, false
	}
	s := in.Sample
	if s == nil {
		all := SampleOf(in.Values)
		s = &all
	}
	if s.N == 0 {
		return 0, fmt.Sprintf("%s of %s: no data points in the window", r.Aggregate, r.Field), true
	}
	v, f := AggregateSample(r.Aggregate, *s)
	return v, fmt.Sprintf("%s of %s%s", f, r.Field, r.scaleNote()), false
}

func (r *Rule) scaleNote() string {
	if r.DivideBy == 1 {
		return ""
	}
	return fmt.Sprintf(" (÷ %s)", num(r.DivideBy))
}

// status applies the pace rule. Milestones, being all or nothing, are on
// track until the last tolerance share of the period (then at risk) and off
// track once the period is over; other types compare progress with the
// straight-line pace. A blocked linked item makes an on-track key result at
// risk; failing sources make it stale (the engine then uses Frozen, which
// keeps the last healthy value, never a zero).
func (r *Rule) status(res Result, now time.Time) (string, float64) {
	pace := round(Pace(r.Start, r.End, now), 4)
	const eps = 1e-9
	switch {
	case !res.NoData && res.Progress >= 1-eps:
		return StatusDone, pace
	case len(res.StaleSources) > 0:
		return StatusStale, pace
	}
	status := StatusOnTrack
	if r.Type == TypeMilestone {
		switch {
		case pace >= 1:
			status = StatusOffTrack
		case pace >= 1-r.Tolerance-eps:
			status = StatusAtRisk
		}
	} else {
		switch behind := pace - res.Progress; {
		case behind > 2*r.Tolerance+eps:
			status = StatusOffTrack
		case behind > r.Tolerance+eps:
			status = StatusAtRisk
		}
	}
	if status == StatusOnTrack && len(res.Blocked) > 0 {
		status = StatusAtRisk
	}
	return status, pace
}

// StatusReason explains res.Status in a sentence, for explain.
func (r *Rule) StatusReason(res Result) string {
	switch res.Status {
	case StatusDone:
		if len(res.StaleSources) > 0 {
			return fmt.Sprintf("progress reached 1 before source(s) %v failed (the value is kept until they recover)", res.StaleSources)
		}
		return "progress reached 1"
	case StatusStale:
		if res.NoData {
			return fmt.Sprintf("source(s) %v failing and no value was computed before they failed: no data until they recover", res.StaleSources)
		}
		return fmt.Sprintf("source(s) %v failing: the value shown is the last one computed with them healthy, kept until they recover", res.StaleSources)
	}
	if r.Type == TypeMilestone {
		return fmt.Sprintf("milestone not reached with %s of the period elapsed (at risk from %s, off track at the end)",
			pct(res.Pace), pct(1-r.Tolerance))
	}
	gap := round(res.Pace-res.Progress, 4)
	where := "behind by " + points(gap)
	if gap <= 0 {
		where = "ahead by " + points(-gap)
	}
	s := fmt.Sprintf("pace expects %s by now, progress is %s (%s; at risk when behind by more than %s, off track beyond %s)",
		pct(res.Pace), pct(res.Progress), where, points(r.Tolerance), points(2*r.Tolerance))
	if len(res.Blocked) > 0 {
		s += fmt.Sprintf("; %d linked item(s) blocked", len(res.Blocked))
	}
	return s
}

// pct shows a progress or pace (0..1) as a percentage, as status and the
// pages show progress: 0.5027 is "50.3%".
func pct(v float64) string { return num(round(100*v, 1)) + "%" }

// points shows a difference of two progresses in percentage points.
func points(v float64) string {
	if p := num(round(100*v, 1)); p != "1" {
		return p + " points"
	}
	return "1 point"
}

// Grade thresholds (commit-style goals, ADR 42): a key result or objective
// is hit at progress GradeHitAt, partial from GradePartialAt, else missed.
const (
	GradeHitAt     = 1.0
	GradePartialAt = 0.5
)

// Grade is the commit-style grade of a progress (0..1).
func Grade(progress float64) string {
	switch {
	case progress >= GradeHitAt-1e-9:
		return GradeHit
	case progress >= GradePartialAt-1e-9:
		return GradePartial
	}
	return GradeMissed
}

// Score is a progress rounded to one decimal, as OKR scores are read.
func Score(progress float64) float64 { return round(progress, 1) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// num formats a number for formulas: integers without decimals, others with
// up to four.
func num(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return fmt.Sprintf("%d", int64(v))
	}
	s := fmt.Sprintf("%.4f", v)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}
