// Package rules turns objectives and key results written in the config into
// compiled match rules, and computes each key result's value, progress, score,
// status and evidence from the events that matched it.
//
// Compile checks every key result once (expression type-checked against the
// event, periods, aggregates, targets) and returns a *Set; Set.Match finds the
// rules an event matches without evaluating every rule (rules are indexed by
// the source and kind their expression requires); Rule.Evaluate turns the
// inputs the engine gathered from the store into a Result. Nothing here does
// I/O.
package rules

// Key result types.
const (
	TypeCount     = "count"
	TypeMilestone = "milestone"
	TypeRatio     = "ratio"
	TypeMetric    = "metric"
	TypeManual    = "manual"
)

// Metric aggregates.
const (
	AggMedian        = "median"
	AggP95           = "p95"
	AggAvg           = "avg"
	AggSum           = "sum"
	AggMin           = "min"
	AggMax           = "max"
	AggLast          = "last"
	AggCountPerWeek  = "count_per_week"
	AggCountPerMonth = "count_per_month"
	// The four keys: AggDeployFrequency, AggChangeFailureRate and
	// AggTimeToRestore (delivery.go).
)

// DefaultTolerance is how far (as a share of the whole) progress may fall
// behind the straight-line pace of the period before a key result is at risk.
const DefaultTolerance = 0.15

// Objective is one [[objectives]] entry.
type Objective struct {
	Key   string `toml:"key"`
	Title string `toml:"title"`
	Owner string `toml:"owner"`
	Team  string `toml:"team"`
	// Period is a quarter such as 2026-Q4 (also 2026-H2 or a year, 2026).
	// Alternatively Start and End give dates (YYYY-MM-DD, End inclusive).
	Period string `toml:"period"`
	Start  string `toml:"start"`
	End    string `toml:"end"`
	// TimeZone places the period's boundaries (IANA name). Default: the
	// team's time zone, else UTC.
	TimeZone   string      `toml:"time_zone"`
	KeyResults []KeyResult `toml:"key_results"`
}

// KeyResult is one [[objectives.key_results]] entry.
type KeyResult struct {
	Key      string  `toml:"key"`
	Title    string  `toml:"title"`
	Owner    string  `toml:"owner"` // default: the objective's owner
	Type     string  `toml:"type"`  // count | milestone | ratio | metric | manual
	Baseline float64 `toml:"baseline"`
	Target   float64 `toml:"target"`
	Match    string  `toml:"match"` // an expr-lang expression over the event
	// Aggregate and Field say what a metric computes: Aggregate over the
	// numeric field Field (event.Numbers) of matching units. count_per_week
	// and count_per_month need no field.
	Aggregate string `toml:"aggregate"`
	Field     string `toml:"field"`
	// DivideBy scales the field before aggregating (60 turns seconds into
	// minutes). Default 1.
	DivideBy float64 `toml:"divide_by"`
	// Window is the span a count or metric key result reads, placed in the
	// objective's time zone: a trailing length ("28d", "4w", "12h"), a
	// calendar unit so far ("week", "month", "quarter") or the previous full
	// one ("last_week", "last_month", "last_quarter"). Default: the period
	// so far; count_per_week defaults to 4w and count_per_month to 30d.
	Window string `toml:"window"`
	// WindowOn is the time of an event the window and period apply to:
	// "occurred_at" (the event's own time, the default) or "created_at"
	// (its issue's or incident's creation: "MTTR of incidents created this
	// quarter"). Events that carry no creation time use their own.
	WindowOn string `toml:"window_on"`
	// Per is deploy_frequency's unit: "week" (default) or "day".
	Per string `toml:"per"`
	// Failures says what a change_failure_rate counts as a failed change.
	Failures Failures `toml:"failures"`
	// Scope narrows a ratio key result to issues of an epic, project or label:
	// "epic:AUTH-1", "project:AUTH" (an Asana project by gid), "label:auth"
	// (also "tag:auth"), "section:Doing" (an Asana section), "board:<id>" and
	// "list:Doing" (Trello). It is combined with Match
	// (both must hold) when both are set.
	Scope string `toml:"scope"`
	// Canceled says how a ratio counts canceled, won't-do and duplicate
	// issues: "excluded" from both sides (default), as "done", or as
	// "open" (in scope, not done).
	Canceled string `toml:"canceled"`
	// Display is how a ratio's value reads: "percent" (0–100, the
	// default) or "fraction" (0–1); baseline and target are on the same
	// scale. A Notion Current formatted as a percent gets the fraction
	// either way.
	Display string `toml:"display"`
	// Unit is the display unit ("min", "%", "PRs").
	Unit string `toml:"unit"`
	// Value is a manual key result's value until someone sets one at run time.
	Value *float64 `toml:"value"`
	// Tolerance overrides DefaultTolerance for the pace rule.
	Tolerance *float64 `toml:"tolerance"`
	// Writeback targets.
	NotionPage       string `toml:"notion_page"`
	LinearProject    string `toml:"linear_project"`
	LinearInitiative string `toml:"linear_initiative"`
	AsanaGoal        string `toml:"asana_goal"` // an Asana goal gid: metric value and status updates
}
