package engine

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/goalpost/goalpost/event"
	"github.com/goalpost/goalpost/rules"
)

// countUnits loads the count_units golden case with all its events handled.
func countUnits(t *testing.T, now time.Time) (*harness, testConfig) {
	t.Helper()
	dir := filepath.Join("testdata", "golden", "count_units")
	src, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := decodeConfig(t, src)
	h := newHarness(t, cfg, now)
	if err := h.eng.Handle(t.Context(), readEvents(t, filepath.Join(dir, "events.jsonl"))); err != nil {
		t.Fatal(err)
	}
	return h, cfg
}

func TestExplainGolden(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	tests := []struct{ name, item string }{
		{"value", ""},
		{"item_counted_once", "https://github.com/acme/api/pull/2"},
		{"item_by_unit_key", "AUTH-2"},
		{"item_not_matching", "acme/api#4"},
		{"item_outside_period", "https://github.com/acme/api/pull/1"},
		{"item_unknown", "https://github.com/acme/api/pull/999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := h.eng.Explain(t.Context(), "perf-units", tt.item, &buf); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "explain", tt.name+".golden"), buf.Bytes())
		})
	}
	if err := h.eng.Explain(t.Context(), "nope", "", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `unknown key result "nope"`) {
		t.Errorf("unknown key result: err = %v", err)
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
	var out bytes.Buffer
	if err := h.eng.Rebuild(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "rebuild.golden"), out.Bytes())
	if got := h.result(t, "perf-units"); got.Current != 4 {
		t.Errorf("after rebuild perf-units = %v, want 4 (PRs #2, #3, #6, web#7)", got.Current)
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

func TestMovedRatioUsesSnapshots(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "epic"
type = "ratio"
scope = "epic:E-1"
target = 100
`))
	h := newHarness(t, cfg, mustTime("2026-10-05T00:00:00Z"))
	issue := func(key, cat, at string) event.Event {
		return event.Event{ID: key + ":" + cat, Source: "jira", Kind: event.KindIssueUpdated, OccurredAt: mustTime(at),
			Unit: key, Attrs: map[string]string{"status_category": cat, "epic": "E-1"}}
	}
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

// outboxRows reads the writeback outbox straight from the database file.
func outboxRows(t *testing.T, h *harness) map[string]int {
	t.Helper()
	db, err := sqlx.Open("sqlite3", "file:"+h.path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows []struct {
		Target string `db:"target"`
		Seq    int    `db:"seq"`
	}
	if err := db.Select(&rows, `SELECT target, seq FROM outbox`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Target] = r.Seq
	}
	return out
}

func TestWritesOnlyWhenResultsChange(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	if got := outboxRows(t, h); got["notion:page:page-perf"] != 1 {
		t.Fatalf("outbox after the first batch: %v", got)
	}
	steps := []struct {
		name    string
		do      func() error
		wantSeq int
	}{
		{"an event no rule matches", func() error {
			return h.eng.Handle(t.Context(), []event.Event{{ID: "x1", Source: "github", Kind: "pull_request.opened", OccurredAt: mustTime("2026-11-15T11:00:00Z")}})
		}, 1},
		{"a replayed event", func() error {
			return h.eng.Handle(t.Context(), readEvents(t, filepath.Join("testdata", "golden", "count_units", "events.jsonl"))[:3])
		}, 1},
		{"a tick an hour later (pace moves, status does not)", func() error {
			h.clock.Set(mustTime("2026-11-15T13:00:00Z"))
			return h.eng.Tick(t.Context())
		}, 1},
		{"a new matching event", func() error {
			return h.eng.Handle(t.Context(), []event.Event{{ID: "x2", Source: "github", Kind: event.KindPullRequestMerged,
				OccurredAt: mustTime("2026-11-15T12:30:00Z"), Unit: "acme/api#50", Labels: []string{"perf"}}})
		}, 2},
		{"a tick when the status turns at risk", func() error {
			h.clock.Set(mustTime("2026-12-10T12:00:00Z"))
			return h.eng.Tick(t.Context())
		}, 3},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := outboxRows(t, h)["notion:page:page-perf"]; got != s.wantSeq {
			t.Errorf("%s: outbox seq %d, want %d", s.name, got, s.wantSeq)
		}
	}
}

func TestHandleIsAtomic(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	before, _ := h.st.CountEvents(t.Context())
	good := event.Event{ID: "new-1", Source: "github", Kind: event.KindPullRequestMerged,
		OccurredAt: mustTime("2026-11-15T10:00:00Z"), Unit: "acme/api#60", Labels: []string{"perf"}}
	bad := event.Event{ID: "new-2", Source: "github"} // no kind, no time
	if err := h.eng.Handle(t.Context(), []event.Event{good, bad}); err == nil {
		t.Fatal("a batch with an invalid event: want an error")
	}
	after, _ := h.st.CountEvents(t.Context())
	if after != before {
		t.Errorf("events %d → %d: the failed batch left writes behind", before, after)
	}
	if got := h.result(t, "perf-units"); got.Current != 5 {
		t.Errorf("perf-units = %v after a failed batch, want 5", got.Current)
	}
	if err := h.eng.Handle(t.Context(), []event.Event{good}); err != nil {
		t.Fatal(err)
	}
	if got := h.result(t, "perf-units"); got.Current != 6 {
		t.Errorf("perf-units = %v after the retry, want 6", got.Current)
	}
}

func TestSetManual(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "nps"
type = "manual"
baseline = 20
target = 60
linear_project = "proj-1"
[[objectives.key_results]]
key = "count"
type = "count"
target = 5
match = "true"
`))
	h := newHarness(t, cfg, mustTime("2026-10-10T00:00:00Z"))
	if got := h.result(t, "nps"); !got.NoData || got.Current != 20 {
		t.Errorf("unset manual: %+v, want no data showing the baseline", got)
	}
	if err := h.eng.SetManual(t.Context(), "nps", 50, "erin", "survey of Oct"); err != nil {
		t.Fatal(err)
	}
	got := h.result(t, "nps")
	if got.Current != 50 || got.Progress != 0.75 || len(got.Evidence) != 1 || got.Evidence[0].Actor != "erin" {
		t.Errorf("manual after set: %+v", got)
	}
	if seq := outboxRows(t, h)["linear:project:proj-1"]; seq != 1 {
		t.Errorf("linear write seq %d, want 1", seq)
	}
	if err := h.eng.SetManual(t.Context(), "count", 1, "x", ""); err == nil {
		t.Error("setting a count key result by hand: want an error")
	}
	if err := h.eng.SetManual(t.Context(), "nope", 1, "x", ""); err == nil {
		t.Error("unknown key result: want an error")
	}
}

func TestUnmappedActorsStillCount(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	ev := event.Event{ID: "u1", Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: mustTime("2026-11-15T10:00:00Z"),
		ActorHandle: "stranger", Unit: "acme/api#70", Labels: []string{"perf"}}
	if err := h.eng.Handle(t.Context(), []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	got := h.result(t, "perf-units")
	if got.Current != 6 || got.Evidence[0].Actor != "stranger" {
		t.Errorf("an unmapped actor's PR: current %v, evidence actor %q", got.Current, got.Evidence[0].Actor)
	}
}
