package rules

import "time"

// Status values of a key result.
const (
	StatusOnTrack  = "on_track"
	StatusAtRisk   = "at_risk"
	StatusOffTrack = "off_track"
	StatusDone     = "done"
	StatusStale    = "stale"
)

// Result is where one key result stands at one moment: the value, its
// progress and status, and the evidence behind it. It is what the engine
// stores and snapshots; writeback receives an outbox.Update made from it.
// Where the key result is written (its Notion page, Linear project, Asana
// goal) is not part of it: the engine's writeback wiring reads the targets
// from the key result's configuration.
//
// Stale freezes the value: while a source the key result depends on is
// failing (StaleSources), Current, Progress, Score, Grade, Formula,
// Evidence and Blocked are those of the last result computed with its
// sources healthy, and Status is stale (done only when it was done before
// the outage). Events that arrive meanwhile, from any source, count once the
// sources recover. With no such result it shows NoData, never a zero. See
// Rule.Frozen and docs/adr/0007-stale-freezes-the-value.md.
type Result struct {
	KRKey        string    `json:"kr_key"`
	Title        string    `json:"title"`
	ObjectiveKey string    `json:"objective_key"`
	Objective    string    `json:"objective"`
	Owner        string    `json:"owner,omitempty"`
	Team         string    `json:"team,omitempty"`
	Type         string    `json:"type"`
	Current      float64   `json:"current"`
	Baseline     float64   `json:"baseline"`
	Target       float64   `json:"target"`
	Unit         string    `json:"unit,omitempty"` // display unit, e.g. "min", "%"
	Progress     float64   `json:"progress"`       // clamp((current-baseline)/(target-baseline), 0, 1)
	Score        float64   `json:"score"`          // progress rounded to one decimal
	Grade        string    `json:"grade"`          // hit | partial | missed
	Status       string    `json:"status"`
	PeriodStart  time.Time `json:"period_start"`
	PeriodEnd    time.Time `json:"period_end"`
	EvaluatedAt  time.Time `json:"evaluated_at"`
	RuleVersion  string    `json:"rule_version"`
	// Formula is the computation with the numbers filled in, for explain.
	Formula  string     `json:"formula,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	Blocked  []Evidence `json:"blocked,omitempty"`
	// NoData is true when there is nothing to compute a value from yet (a
	// metric with no data points in its window, a ratio with no issues in
	// scope, a manual key result nobody set): Current then shows the
	// baseline, never a made-up zero.
	NoData bool `json:"no_data,omitempty"`
	// EvidenceTotal is how many items are behind the value; Evidence holds
	// the most recent of them (capped).
	EvidenceTotal int `json:"evidence_total,omitempty"`
	// Direction is "up" when the target is above the baseline, else "down".
	Direction string `json:"direction,omitempty"`
	// Pace is the progress the straight-line pace of the period expects at
	// EvaluatedAt (0..1). Time-only: it is not a meaningful change.
	Pace float64 `json:"pace"`
	// StaleSources are the failing sources the key result depends on: while
	// there are any, the value is frozen (see above) and the status stale,
	// or done when it was done before they failed.
	StaleSources []string `json:"stale_sources,omitempty"`
}

// Evidence is one item behind a number.
type Evidence struct {
	EventID     string    `json:"event_id"`
	Unit        string    `json:"unit"`
	Kind        string    `json:"kind"`
	Title       string    `json:"title,omitempty"`
	URL         string    `json:"url,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	OccurredAt  time.Time `json:"occurred_at"`
	Value       *float64  `json:"value,omitempty"`
	RuleVersion string    `json:"rule_version"`
}
