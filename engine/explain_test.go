package engine

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
)

func TestExplainGolden(t *testing.T) {
	tests := []struct{ name, golden, kr, item, at string }{
		{"value", "count_units", "perf-units", "", "2026-11-15T12:00:00Z"},
		{"item_counted_once", "count_units", "perf-units", "https://github.com/acme/api/pull/2", "2026-11-15T12:00:00Z"},
		{"item_by_unit_key", "count_units", "perf-units", "AUTH-2", "2026-11-15T12:00:00Z"},
		{"item_not_matching", "count_units", "perf-units", "acme/api#4", "2026-11-15T12:00:00Z"},
		{"item_outside_period", "count_units", "perf-units", "https://github.com/acme/api/pull/1", "2026-11-15T12:00:00Z"},
		{"metric_median", "metric_lead_time", "lead-median", "acme/api#14", "2026-10-15T12:00:00Z"},
		{"metric_p95_no_value", "metric_lead_time", "lead-p95", "acme/api#15", "2026-10-15T12:00:00Z"},
		{"ratio_older_states", "ratio_epic", "auth-epic", "AUTH-2", "2026-10-26T00:00:00Z"},
		{"ratio_canceled", "ratio_epic", "auth-epic", "AUTH-3", "2026-10-26T00:00:00Z"},
		{"ratio_deleted", "ratio_deleted", "auth-epic", "AUTH-1", "2026-10-15T00:00:00Z"},
		{"manual", "milestone_manual_stale", "nps", "", "2026-10-10T00:00:00Z"},
		{"milestone", "milestone_manual_stale", "passkeys-live", "acme/api#70", "2026-10-27T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := loadCase(t, tt.golden, mustTime(tt.at))
			var buf bytes.Buffer
			if err := h.eng.Explain(t.Context(), tt.kr, tt.item, &buf); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "explain", tt.name+".golden"), buf.Bytes())
		})
	}
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	var ie *InputError
	if err := h.eng.Explain(t.Context(), "nope", "", &bytes.Buffer{}); !errors.As(err, &ie) || !strings.Contains(err.Error(), `unknown key result "nope"; choose one of: perf-units`) {
		t.Errorf("unknown key result: err = %v", err)
	}
	var out bytes.Buffer
	err := h.eng.Explain(t.Context(), "perf-units", "https://github.com/acme/api/pull/999", &out)
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "items of perf-units include: https://") || out.Len() > 0 {
		t.Errorf("unknown item: err = %v, output %q; want an InputError naming some items, and nothing printed", err, out.String())
	}
}

func TestRebuildAfterRuleChange(t *testing.T) {
	h, cfg := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	// The rule changes: only GitHub events count now; a key result is added.
	cfg.Objectives[0].KeyResults[0].Match = `source == "github" && kind == "pull_request.merged" && has_label("perf")`
	cfg.Objectives[0].KeyResults = append(cfg.Objectives[0].KeyResults, rules.KeyResult{
		Key: "jira-done", Title: "Jira issues done", Type: rules.TypeCount, Target: 4,
		Match: `source == "jira" && kind == "issue.completed"`})
	h.compile(t, cfg)
	if changed, err := h.eng.ChangedRules(t.Context()); err != nil || len(changed) != 1 || changed[0] != "perf-units" {
		t.Errorf("changed rules = %v, %v; want [perf-units]", changed, err)
	}
	var out bytes.Buffer
	if err := h.eng.Rebuild(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "rebuild.golden"), out.Bytes())
	if got := h.result(t, "perf-units"); got.Current != 4 {
		t.Errorf("after rebuild perf-units = %v, want 4 (PRs #2, #3, #6, web#7)", got.Current)
	}
	if changed, err := h.eng.ChangedRules(t.Context()); err != nil || len(changed) != 0 {
		t.Errorf("after the rebuild, changed rules = %v, %v; want none", changed, err)
	}
	// Rebuilding again changes nothing and queues nothing new.
	out.Reset()
	if err := h.eng.Rebuild(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 changed, 2 unchanged, 0 removed") {
		t.Errorf("second rebuild:\n%s", out.String())
	}
	// A key result removed from the config is reported and forgotten.
	cfg.Objectives[0].KeyResults = cfg.Objectives[0].KeyResults[1:]
	h.compile(t, cfg)
	out.Reset()
	if err := h.eng.Rebuild(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "perf-units: removed from the config (was 4 changes)") {
		t.Errorf("rebuild after removal:\n%s", out.String())
	}
}

func TestMoved(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	moves, err := h.eng.Moved(t.Context(), mustTime("2026-10-19T00:00:00Z"), mustTime("2026-10-26T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	m := moves[0]
	if m.KRKey != "perf-units" || m.From != 1 || m.To != 3 || m.Delta != 2 || len(m.Evidence) != 2 {
		t.Fatalf("moved = %+v", m)
	}
	if m.Evidence[0].Unit != "AUTH-2" || m.Evidence[1].Unit != "acme/api#3" {
		t.Errorf("evidence %+v, want AUTH-2 then acme/api#3 (newest first)", m.Evidence)
	}
	if _, err := h.eng.Moved(t.Context(), m.Evidence[0].OccurredAt, m.Evidence[0].OccurredAt); err == nil {
		t.Error("an empty span: want an error")
	}
}

// newEpicRatio is a harness with one ratio key result over epic E-1.
func newEpicRatio(t *testing.T, now time.Time) *harness {
	return newHarness(t, decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "epic"
type = "ratio"
scope = "epic:E-1"
target = 100
`)), now)
}

// issue is a Jira update of key in epic E-1 to status category cat at at.
func issue(key, cat, at string) event.Event {
	return event.Event{ID: key + ":" + cat, Source: "jira", Kind: event.KindIssueUpdated, OccurredAt: mustTime(at),
		Unit: key, Attrs: map[string]string{"status_category": cat, "epic": "E-1"}}
}

func TestMovedRatioUsesSnapshots(t *testing.T) {
	h := newEpicRatio(t, mustTime("2026-10-05T00:00:00Z"))
	steps := []struct {
		at  string
		evs []event.Event
	}{
		{"2026-10-05T00:00:00Z", []event.Event{issue("A-1", "new", "2026-10-04T00:00:00Z"), issue("A-2", "new", "2026-10-04T00:00:00Z")}},
		{"2026-10-13T00:00:00Z", []event.Event{issue("A-1", "done", "2026-10-12T00:00:00Z")}},
	}
	for _, s := range steps {
		h.clock.Set(mustTime(s.at))
		if err := h.eng.Handle(t.Context(), s.evs); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Set(mustTime("2026-10-20T00:00:00Z"))
	moves, err := h.eng.Moved(t.Context(), mustTime("2026-10-10T00:00:00Z"), mustTime("2026-10-17T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if m := moves[0]; m.From != 0 || m.To != 50 || len(m.Evidence) != 1 || m.Evidence[0].Unit != "A-1" {
		t.Errorf("moved = %+v", m)
	}
}

// A backfill stores a ratio's history in one go, after the weeks it
// covers: with no snapshot from then, a past week's value is folded from the
// stored issue events before it (not "no data", not 0%).
func TestMovedRatioBeforeAnySnapshotFoldsEvents(t *testing.T) {
	h := newEpicRatio(t, mustTime("2026-10-20T00:00:00Z"))
	backfill := []event.Event{issue("A-1", "new", "2026-10-04T00:00:00Z"), issue("A-2", "new", "2026-10-04T00:00:00Z"),
		issue("A-1", "done", "2026-10-12T00:00:00Z"), issue("A-3", "new", "2026-10-18T00:00:00Z")}
	if err := h.eng.Handle(t.Context(), backfill); err != nil {
		t.Fatal(err)
	}
	moves, err := h.eng.Moved(t.Context(), mustTime("2026-10-10T00:00:00Z"), mustTime("2026-10-17T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if m := moves[0]; m.From != 0 || m.To != 50 || len(m.Evidence) != 1 || m.Evidence[0].Unit != "A-1" {
		t.Errorf("moved = %+v, want 0 → 50 with A-1", m)
	}
	tests := []struct {
		name   string
		at     string
		want   float64
		noData bool
	}{
		{"before any issue", "2026-10-01T00:00:00Z", 0, true},
		{"two to do", "2026-10-05T00:00:00Z", 0, false},
		{"one of two done", "2026-10-17T00:00:00Z", 50, false},
		{"a third joined", "2026-10-19T00:00:00Z", 33.3333, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			results, err := h.eng.ResultsAt(t.Context(), mustTime(tt.at))
			if err != nil {
				t.Fatal(err)
			}
			if r := results[0]; r.NoData != tt.noData || math.Abs(r.Current-tt.want) > 1e-3 {
				t.Errorf("at %s: current %v no data %v, want %v no data %v", tt.at, r.Current, r.NoData, tt.want, tt.noData)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	h := newHarness(t, decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "n"
type = "count"
target = 4
match = 'kind == "change.shipped"'
`)), mustTime("2026-10-02T00:00:00Z"))
	for _, at := range []string{"2026-10-02T00:00:00Z", "2026-10-03T00:00:00Z", "2026-10-04T00:00:00Z"} {
		h.clock.Set(mustTime(at))
		ev := event.Event{ID: at, Source: "github", Kind: event.KindChangeShipped, OccurredAt: mustTime(at).Add(-time.Hour), Unit: at}
		if err := h.eng.Handle(t.Context(), []event.Event{ev}); err != nil {
			t.Fatal(err)
		}
		if err := h.eng.Tick(t.Context()); err != nil { // nothing changed: no extra snapshot
			t.Fatal(err)
		}
	}
	snaps, err := h.eng.History(t.Context(), "n", time.Time{}, mustTime("2027-01-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 3 || snaps[0].Current != 1 || snaps[2].Current != 3 || snaps[2].Progress != 0.75 {
		t.Errorf("history = %+v", snaps)
	}
	if _, err := h.eng.History(t.Context(), "nope", time.Time{}, time.Now()); err == nil {
		t.Error("unknown key result: want an error")
	}
}

// A changed rule still needs a rebuild after the daemon re-evaluated (and
// stored) the key result under the new rule: its history was matched by the
// old one.
func TestChangedRulesAfterATick(t *testing.T) {
	h, cfg := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	cfg.Objectives[0].KeyResults[0].Match = `source == "github" && kind == "pull_request.merged" && has_label("perf")`
	h.compile(t, cfg)
	if err := h.eng.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if changed, err := h.eng.ChangedRules(t.Context()); err != nil || len(changed) != 1 || changed[0] != "perf-units" {
		t.Errorf("after a tick, changed rules = %v, %v; want [perf-units]", changed, err)
	}
	if _, err := h.eng.RebuildReport(t.Context()); err != nil {
		t.Fatal(err)
	}
	if changed, err := h.eng.ChangedRules(t.Context()); err != nil || len(changed) != 0 {
		t.Errorf("after the rebuild, changed rules = %v, %v; want none", changed, err)
	}
}
