// Package rules turns objectives and key results written in the config into
// compiled match rules, and computes each key result's value, progress, score,
// status and evidence from the events that matched it.
package rules

// Objective is one [[objectives]] entry.
type Objective struct {
	Key        string      `toml:"key"`
	Title      string      `toml:"title"`
	Owner      string      `toml:"owner"`
	Team       string      `toml:"team"`
	Period     string      `toml:"period"` // a quarter such as 2026-Q4
	KeyResults []KeyResult `toml:"key_results"`
}

// KeyResult is one [[objectives.key_results]] entry.
type KeyResult struct {
	Key      string  `toml:"key"`
	Title    string  `toml:"title"`
	Type     string  `toml:"type"` // count | milestone | ratio | metric | manual
	Baseline float64 `toml:"baseline"`
	Target   float64 `toml:"target"`
	Match    string  `toml:"match"` // an expr-lang expression over the event
	// Writeback targets.
	NotionPage       string `toml:"notion_page"`
	LinearProject    string `toml:"linear_project"`
	LinearInitiative string `toml:"linear_initiative"`
}
