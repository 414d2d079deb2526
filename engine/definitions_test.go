package engine

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
)

// definitionConfig is the ratio_epic golden's team and objective with one
// ratio key result over epic AUTH-100; extra is added to the key result.
const definitionConfig = `
[[teams]]
name = "identity"
time_zone = "America/New_York"

[[objectives]]
key = "O4"
title = "Passwordless"
owner = "dana"
team = "identity"
period = "2026-Q4"

[[objectives.key_results]]
key = "auth-epic"
title = "80%% of epic AUTH-100 done"
type = "ratio"
scope = "epic:AUTH-100"
baseline = 0
target = 80
%s
`

// TestRatioCanceledSetting: the same Jira events (epic AUTH-100 on Oct 15:
// AUTH-1 done, AUTH-2 and AUTH-4 to do, AUTH-3 resolved Won't Do) under
// each `canceled` setting (values rounded to 4 decimals). The incremental value, the from-scratch
// reference (Check) and a rebuild agree, and the formula says how the
// canceled issue counted.
func TestRatioCanceledSetting(t *testing.T) {
	at := time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)
	evs := readEvents(t, filepath.Join("testdata", "golden", "ratio_epic", "events.jsonl"))
	for _, tc := range []struct {
		name, setting string
		want          float64
		formula       string
	}{
		{"unset is excluded", "", 33.3333, "1 done / 3 in scope (1 canceled issue excluded)"},
		{"excluded from both sides", `canceled = "excluded"`, 33.3333, "1 done / 3 in scope (1 canceled issue excluded)"},
		{"counted done, as Jira's status category", `canceled = "done"`, 50, "2 done / 4 in scope (1 canceled issue counted done)"},
		{"counted open", `canceled = "open"`, 25, "1 done / 4 in scope (1 canceled issue counted open)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, decodeConfig(t, fmt.Appendf(nil, definitionConfig, tc.setting)), at)
			h.handleUntil(t, evs, 0, at)
			if err := h.eng.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			check := func(when string) {
				t.Helper()
				r := h.result(t, "auth-epic")
				if math.Abs(r.Current-tc.want) > 1e-9 || !strings.Contains(r.Formula, tc.formula) {
					t.Errorf("%s: current %v (%s), want %v (%s)", when, r.Current, r.Formula, tc.want, tc.formula)
				}
			}
			check("incremental")
			if m, err := h.eng.Check(t.Context()); err != nil || len(m) != 0 {
				t.Errorf("incremental and reference disagree: %v %v", m, err)
			}
			if err := h.eng.Rebuild(t.Context(), io.Discard); err != nil {
				t.Fatal(err)
			}
			check("rebuilt")
		})
	}
}

// TestRatioDisplaySetting: the same events read as a percentage (the
// default) or as a fraction, baseline and target on the same scale, so
// progress is the same.
func TestRatioDisplaySetting(t *testing.T) {
	at := time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)
	evs := readEvents(t, filepath.Join("testdata", "golden", "ratio_epic", "events.jsonl"))
	for _, tc := range []struct {
		name, setting string
		want          float64
		unit, formula string
	}{
		{"unset is percent", "", 33.3333, "%", "ratio = 100 × 1 done / 3 in scope (1 canceled issue excluded) = 33.3333%"},
		{"percent", `display = "percent"`, 33.3333, "%", "ratio = 100 × 1 done / 3 in scope (1 canceled issue excluded) = 33.3333%"},
		{"fraction", "display = \"fraction\"\ntarget = 0.8", 0.3333, "", "ratio = 1 done / 3 in scope (1 canceled issue excluded) = 0.3333"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strings.Replace(definitionConfig, "target = 80\n", "", 1)
			if !strings.Contains(tc.setting, "target") {
				tc.setting += "\ntarget = 80"
			}
			h := newHarness(t, decodeConfig(t, fmt.Appendf(nil, cfg, tc.setting)), at)
			h.handleUntil(t, evs, 0, at)
			if err := h.eng.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			r := h.result(t, "auth-epic")
			if math.Abs(r.Current-tc.want) > 1e-9 || r.Unit != tc.unit || !strings.Contains(r.Formula, tc.formula) || math.Abs(r.Progress-0.4167) > 1e-9 {
				t.Errorf("current %v %q progress %v (%s), want %v %q 0.4167 (%s)", r.Current, r.Unit, r.Progress, r.Formula, tc.want, tc.unit, tc.formula)
			}
		})
	}
}

// TestIncidentCreatedAtSetting: "MTTR of incidents created this quarter".
// Incident A opened on Sep 28 and resolved on Oct 2 (4 days); incident B
// opened and resolved on Oct 10 (1 hour). The Q4 median restore time reads
// both resolutions by default, only B with window_on = "created_at", and
// only B with a match on the created_at field.
func TestIncidentCreatedAtSetting(t *testing.T) {
	at := time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)
	resolved := func(id string, opened, closed time.Time) event.Event {
		return event.Event{
			ID: "pagerduty:incident:" + id + ":resolved", Source: event.SourcePagerDuty, Kind: event.KindIncidentResolved,
			OccurredAt: closed, Unit: "pagerduty:incident:" + id, Title: "incident " + id,
			Numbers: map[string]float64{"restore_seconds": closed.Sub(opened).Seconds()},
			Attrs:   map[string]string{event.AttrCreatedAt: event.FormatTime(opened), "service": "api"},
		}
	}
	aOpened := time.Date(2026, 9, 28, 12, 0, 0, 0, time.UTC)
	bOpened := time.Date(2026, 10, 10, 12, 0, 0, 0, time.UTC)
	evs := []event.Event{
		resolved("A", aOpened, aOpened.Add(4*24*time.Hour)),
		resolved("B", bOpened, bOpened.Add(time.Hour)),
	}
	for _, tc := range []struct {
		name, setting string
		want          float64
	}{
		{"unset: resolutions in the quarter", `match = 'kind == "incident.resolved"'`, (4*24*3600 + 3600) / 2},
		{"window_on occurred_at", "match = 'kind == \"incident.resolved\"'\nwindow_on = \"occurred_at\"", (4*24*3600 + 3600) / 2},
		{"window_on created_at", "match = 'kind == \"incident.resolved\"'\nwindow_on = \"created_at\"", 3600},
		{"the created_at field in the match", `match = 'kind == "incident.resolved" && created_at >= date("2026-10-01")'`, 3600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := strings.NewReplacer(`type = "ratio"`, `type = "metric"`, `scope = "epic:AUTH-100"`, "aggregate = \"median\"\nfield = \"restore_seconds\"",
				"baseline = 0\ntarget = 80", "baseline = 7200\ntarget = 1800",
				`key = "auth-epic"`, `key = "mttr"`, `title = "80%% of epic AUTH-100 done"`, `title = "MTTR of incidents created this quarter"`).Replace(definitionConfig)
			h := newHarness(t, decodeConfig(t, fmt.Appendf(nil, cfg, tc.setting)), at)
			if err := h.eng.Handle(t.Context(), evs); err != nil {
				t.Fatal(err)
			}
			if err := h.eng.Tick(t.Context()); err != nil {
				t.Fatal(err)
			}
			if r := h.result(t, "mttr"); r.Current != tc.want {
				t.Errorf("median restore %v s (%s), want %v s", r.Current, r.Formula, tc.want)
			}
			if m, err := h.eng.Check(t.Context()); err != nil || len(m) != 0 {
				t.Errorf("incremental and reference disagree: %v %v", m, err)
			}
		})
	}
}
