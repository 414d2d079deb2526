package report

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/goalpost/goalpost/rules"
	"github.com/goalpost/goalpost/rules/calendar"
	"github.com/goalpost/goalpost/rules/people"
)

// QuarterSchema is the version of the QuarterReport JSON kept in frozen
// quarter snapshots.
const QuarterSchema = 1

// QuarterReport is a team's quarter: the final value of every key result
// whose period ends in the quarter, its commit-style grade, and each
// objective's OKR score (ADR 42). Once the quarter is over it is frozen:
// drafted as of the end from stored data, stored, and read back unchanged.
// Before that it is provisional: values so far, no grades.
type QuarterReport struct {
	Schema      int                `json:"schema"`
	Team        string             `json:"team"`
	TimeZone    string             `json:"time_zone"`
	Quarter     calendar.Quarter   `json:"quarter"`
	Start       time.Time          `json:"start"` // inclusive, team-local
	End         time.Time          `json:"end"`   // exclusive, team-local
	GeneratedAt time.Time          `json:"generated_at"`
	Final       bool               `json:"final"` // over: values as of the end, graded
	Score       float64            `json:"score"` // mean of the objectives' progress, one decimal
	Grades      GradeCount         `json:"grades"`
	Objectives  []QuarterObjective `json:"objectives"`
}

// GradeCount counts the key results by grade (all zero while provisional).
type GradeCount struct {
	KRs     int `json:"krs"`
	Hit     int `json:"hit"`
	Partial int `json:"partial"`
	Missed  int `json:"missed"`
}

// QuarterObjective is one objective's score and grade from its key results.
type QuarterObjective struct {
	Key      string      `json:"key"`
	Title    string      `json:"title"`
	Owner    string      `json:"owner,omitempty"`
	Progress float64     `json:"progress"` // mean of its key results' progress
	Score    float64     `json:"score"`    // Progress rounded to one decimal
	Grade    string      `json:"grade,omitempty"`
	KRs      []QuarterKR `json:"krs"`
}

// QuarterKR is one key result's final value and grade.
type QuarterKR struct {
	Key         string    `json:"key"`
	Title       string    `json:"title"`
	Owner       string    `json:"owner,omitempty"`
	Type        string    `json:"type"`
	Unit        string    `json:"unit,omitempty"`
	Current     float64   `json:"current"`
	Baseline    float64   `json:"baseline"`
	Target      float64   `json:"target"`
	Progress    float64   `json:"progress"`
	Score       float64   `json:"score"`
	Grade       string    `json:"grade,omitempty"` // empty while provisional
	Status      string    `json:"status"`
	NoData      bool      `json:"no_data,omitempty"`
	PeriodEnd   time.Time `json:"period_end"`
	EvaluatedAt time.Time `json:"evaluated_at"`
	RuleVersion string    `json:"rule_version,omitempty"`
}

// BuildQuarter drafts team's report for quarter q as of now. Its key
// results are those whose period ends in q (the period's last day, in the
// key result's own time zone, falls in q), each valued at its period's end
// once that is past (from stored data, as a closed week is), else at now.
// The report is final once now is past the quarter's end (in the team's
// zone) and every such period's end. It fails for a quarter that has not
// started yet.
func BuildQuarter(ctx context.Context, src Source, team people.Team, q calendar.Quarter, now time.Time) (*QuarterReport, error) {
	cal, err := calendar.Parse(team.TimeZone, team.WeekStart)
	if err != nil {
		return nil, fmt.Errorf("team %q: %w", team.Name, err)
	}
	span := cal.Quarter(q)
	if now.Before(span.Start) {
		return nil, fmt.Errorf("quarter %s has not started yet", q)
	}
	results, last, err := quarterResults(ctx, src, team.Name, q, now)
	if err != nil {
		return nil, err
	}
	end := later(span.End, last)
	loc := cal.Location()
	r := &QuarterReport{
		Schema: QuarterSchema, Team: team.Name, TimeZone: loc.String(), Quarter: q,
		Start: span.Start, End: span.End, Final: !now.Before(end), Objectives: []QuarterObjective{},
	}
	r.GeneratedAt = now.In(loc)
	if r.Final {
		r.GeneratedAt = end.In(loc)
	}
	r.Objectives = quarterObjectives(results, r.Final, loc)
	r.Score, r.Grades = quarterTotals(r.Objectives)
	return r, nil
}

// quarterResults are team's key results whose period ends in q, each as of
// its period's end when that is past, else as of now, sorted by objective
// and key; and the latest of their period ends.
func quarterResults(ctx context.Context, src Source, team string, q calendar.Quarter, now time.Time) ([]rules.Result, time.Time, error) {
	all, err := src.Results(ctx, now)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("key results: %w", err)
	}
	var last time.Time
	at := map[int64][]string{} // moment (unix ms) → the keys valued then
	for _, res := range teamResults(all, team) {
		if !inQuarter(res.PeriodEnd, q) {
			continue
		}
		last = later(last, res.PeriodEnd)
		t := now
		if !now.Before(res.PeriodEnd) {
			t = res.PeriodEnd
		}
		at[t.UnixMilli()] = append(at[t.UnixMilli()], res.KRKey)
	}
	var out []rules.Result
	for _, ms := range slices.Sorted(maps.Keys(at)) {
		rs := all
		if t := time.UnixMilli(ms).UTC(); ms != now.UnixMilli() {
			if rs, err = src.Results(ctx, t); err != nil {
				return nil, time.Time{}, fmt.Errorf("key results at %s: %w", t.Format(time.RFC3339), err)
			}
		}
		for _, res := range rs {
			if slices.Contains(at[ms], res.KRKey) {
				out = append(out, res)
			}
		}
	}
	return teamResults(out, team), last, nil
}

// inQuarter reports whether a period ending at end (exclusive) has its last
// day in q, read in end's own zone (a period ends at a local midnight).
func inQuarter(end time.Time, q calendar.Quarter) bool {
	lastDay := end.Add(-time.Nanosecond)
	return calendar.New(end.Location(), time.Monday).QuarterOf(lastDay) == q
}

func quarterObjectives(results []rules.Result, final bool, loc *time.Location) []QuarterObjective {
	out := []QuarterObjective{}
	for _, res := range results {
		if len(out) == 0 || out[len(out)-1].Key != res.ObjectiveKey {
			out = append(out, QuarterObjective{Key: res.ObjectiveKey, Title: res.Objective, Owner: res.Owner})
		}
		o := &out[len(out)-1]
		kr := QuarterKR{
			Key: res.KRKey, Title: res.Title, Owner: res.Owner, Type: res.Type, Unit: res.Unit,
			Current: res.Current, Baseline: res.Baseline, Target: res.Target, Progress: res.Progress,
			Score: rules.Score(res.Progress), Status: res.Status, NoData: res.NoData,
			PeriodEnd: res.PeriodEnd.In(loc), EvaluatedAt: res.EvaluatedAt.In(loc), RuleVersion: res.RuleVersion,
		}
		if final {
			kr.Grade = rules.Grade(res.Progress)
		}
		o.KRs = append(o.KRs, kr)
	}
	for i := range out {
		o := &out[i]
		sum := 0.0
		for _, k := range o.KRs {
			sum += k.Progress
		}
		o.Progress = round4(sum / float64(len(o.KRs)))
		o.Score = rules.Score(o.Progress)
		if final {
			o.Grade = rules.Grade(o.Progress)
		}
	}
	return out
}

// quarterTotals are the team's score (the mean of its objectives'
// progress, one decimal) and the key results counted by grade.
func quarterTotals(objs []QuarterObjective) (float64, GradeCount) {
	var c GradeCount
	sum := 0.0
	for _, o := range objs {
		sum += o.Progress
		for _, k := range o.KRs {
			c.KRs++
			switch k.Grade {
			case rules.GradeHit:
				c.Hit++
			case rules.GradePartial:
				c.Partial++
			case rules.GradeMissed:
				c.Missed++
			}
		}
	}
	if len(objs) == 0 {
		return 0, c
	}
	return rules.Score(sum / float64(len(objs))), c
}

// DecodeQuarter reads a quarter report written by its JSON encoding (a
// frozen snapshot), putting times back in the report's time zone.
func DecodeQuarter(b []byte) (*QuarterReport, error) {
	var r QuarterReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode quarter report: %w", err)
	}
	if r.Schema != QuarterSchema {
		return nil, fmt.Errorf("decode quarter report: schema %d, want %d", r.Schema, QuarterSchema)
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("decode quarter report: %w", err)
	}
	r.Start, r.End, r.GeneratedAt = r.Start.In(loc), r.End.In(loc), r.GeneratedAt.In(loc)
	for i := range r.Objectives {
		for j := range r.Objectives[i].KRs {
			k := &r.Objectives[i].KRs[j]
			k.PeriodEnd, k.EvaluatedAt = k.PeriodEnd.In(loc), k.EvaluatedAt.In(loc)
		}
	}
	return &r, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }
