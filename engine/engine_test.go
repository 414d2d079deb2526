package engine

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
)

// loadCase loads a golden case's rules with all its events handled.
func loadCase(t *testing.T, name string, now time.Time) (*harness, testConfig) {
	t.Helper()
	dir := filepath.Join("testdata", "golden", name)
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

// countUnits loads the count_units golden case with all its events handled.
func countUnits(t *testing.T, now time.Time) (*harness, testConfig) {
	t.Helper()
	return loadCase(t, "count_units", now)
}

// outboxRows reads every row of the writeback outbox: its seq by target.
func outboxRows(t *testing.T, h *harness) map[string]int {
	t.Helper()
	ws, err := h.st.ListWrites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, w := range ws {
		out[w.Target.String()] = int(w.Seq)
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

func TestUnitsAreOrderIndependent(t *testing.T) {
	evs := readEvents(t, filepath.Join("testdata", "golden", "count_units", "events.jsonl"))
	src, err := os.ReadFile(filepath.Join("testdata", "golden", "count_units", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := decodeConfig(t, src)
	// Every rotation and the reverse: links may arrive before or after the
	// units they name, in one batch or several.
	orders := [][]event.Event{}
	for shift := range len(evs) {
		orders = append(orders, append(append([]event.Event{}, evs[shift:]...), evs[:shift]...))
	}
	rev := make([]event.Event, len(evs))
	for i, ev := range evs {
		rev[len(evs)-1-i] = ev
	}
	orders = append(orders, rev)
	for i, order := range orders {
		h := newHarness(t, cfg, mustTime("2026-11-15T12:00:00Z"))
		for _, ev := range order {
			if err := h.eng.Handle(t.Context(), []event.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.result(t, "perf-units"); got.Current != 5 {
			t.Errorf("order %d: perf-units = %v, want 5", i, got.Current)
		}
	}
}

func TestPRsNamingTheSameIssue(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "prs"
type = "count"
target = 10
match = 'kind == "pull_request.merged"'
[[objectives.key_results]]
key = "work"
type = "count"
target = 10
match = 'kind in ["pull_request.merged", "issue.completed"]'
`))
	h := newHarness(t, cfg, mustTime("2026-11-15T12:00:00Z"))
	pr := func(n string) event.Event {
		return event.Event{ID: "pr" + n, Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: mustTime("2026-11-01T00:00:00Z"),
			Unit: "acme/api#" + n, Links: []string{"AUTH-9"}}
	}
	issue := event.Event{ID: "AUTH-9:done", Source: "jira", Kind: event.KindIssueCompleted, OccurredAt: mustTime("2026-11-02T00:00:00Z"),
		Unit: "AUTH-9", Attrs: map[string]string{"status_category": "done"}}
	if err := h.eng.Handle(t.Context(), []event.Event{pr("1"), pr("2"), issue}); err != nil {
		t.Fatal(err)
	}
	if got := h.result(t, "prs"); got.Current != 2 {
		t.Errorf("prs = %v: two PRs naming an issue the rule never matched are two units", got.Current)
	}
	if got := h.result(t, "work"); got.Current != 1 {
		t.Errorf("work = %v: both PRs and the issue they complete are one unit of work", got.Current)
	}
}

func TestBlockedLinkedIssue(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "prs"
type = "count"
target = 2
match = 'kind == "pull_request.merged"'
`))
	h := newHarness(t, cfg, mustTime("2026-10-10T00:00:00Z"))
	pr := event.Event{ID: "pr1", Source: "github", Kind: event.KindPullRequestMerged, OccurredAt: mustTime("2026-10-02T00:00:00Z"),
		Unit: "acme/api#1", Links: []string{"AUTH-5"}}
	blocked := event.Event{ID: "AUTH-5:blocked", Source: "jira", Kind: event.KindIssueBlocked, OccurredAt: mustTime("2026-10-03T00:00:00Z"),
		Unit: "AUTH-5", Title: "Waiting on legal", Attrs: map[string]string{"status_category": "indeterminate", "blocked": "true"}}
	done := event.Event{ID: "AUTH-5:done", Source: "jira", Kind: event.KindIssueCompleted, OccurredAt: mustTime("2026-10-04T00:00:00Z"),
		Unit: "AUTH-5", Attrs: map[string]string{"status_category": "done"}}
	steps := []struct {
		ev      event.Event
		blocked int
		status  string
	}{
		{pr, 0, rules.StatusOnTrack},
		{blocked, 1, rules.StatusAtRisk},
		{done, 0, rules.StatusOnTrack},
	}
	for _, s := range steps {
		if err := h.eng.Handle(t.Context(), []event.Event{s.ev}); err != nil {
			t.Fatal(err)
		}
		var state rules.Result
		st, err := h.st.KRView().State(t.Context(), "prs")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(st.Result, &state); err != nil {
			t.Fatal(err)
		}
		if len(state.Blocked) != s.blocked || state.Status != s.status {
			t.Errorf("after %s: stored result blocked %d status %s, want %d %s", s.ev.ID, len(state.Blocked), state.Status, s.blocked, s.status)
		}
	}
}

func TestSourceHealthMakesDependentsStale(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "epic"
type = "ratio"
scope = "epic:E-1"
target = 100
[[objectives.key_results]]
key = "shipped"
type = "count"
target = 10
match = 'kind == "change.shipped"'
`))
	h := newHarness(t, cfg, mustTime("2026-10-10T00:00:00Z"))
	issue := func(key, cat string) event.Event {
		return event.Event{ID: key, Source: "jira", Kind: event.KindIssueUpdated, OccurredAt: mustTime("2026-10-05T00:00:00Z"),
			Unit: key, Attrs: map[string]string{"status_category": cat, "epic": "E-1"}}
	}
	shipped := event.Event{ID: "s1", Source: "github", Kind: event.KindChangeShipped, OccurredAt: mustTime("2026-10-05T00:00:00Z"), Unit: "a#1"}
	if err := h.eng.Handle(t.Context(), []event.Event{issue("A-1", "done"), issue("A-2", "new"), shipped}); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.RecordPoll(t.Context(), "jira", errors.New("401 unauthorized")); err != nil {
		t.Fatal(err)
	}
	got := h.result(t, "epic")
	if got.Status != rules.StatusStale || got.Current != 50 || len(got.StaleSources) != 1 || got.StaleSources[0] != "jira" {
		t.Errorf("with jira failing: status %s current %v stale %v; want stale, 50 kept, [jira]", got.Status, got.Current, got.StaleSources)
	}
	if got := h.result(t, "shipped"); got.Status == rules.StatusStale {
		t.Errorf("a GitHub-only key result went stale when Jira failed")
	}
	if err := h.eng.RecordPoll(t.Context(), "jira", nil); err != nil {
		t.Fatal(err)
	}
	if got := h.result(t, "epic"); got.Status != rules.StatusOnTrack {
		t.Errorf("jira back: status %s, want on_track", got.Status)
	}
}

func TestSkewedEvaluationTime(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) event.Event { return event.Event{OccurredAt: now.Add(d)} }
	tests := []struct {
		name string
		evs  []event.Event
		want time.Time
	}{
		{"events in the past", []event.Event{at(-time.Hour), at(-time.Second)}, now},
		{"a source clock slightly ahead", []event.Event{at(-time.Hour), at(2 * time.Second)}, now.Add(2 * time.Second)},
		{"far-future stamps are not trusted", []event.Event{at(48 * time.Hour)}, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := skewed(now, tt.evs); !got.Equal(tt.want) {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// An event stamped a little ahead of our clock counts at once (skewed); the
// next tick, still before that stamp, must not take it back out (a write of
// the old value, then another of the new one).
func TestTickKeepsASkewedEvent(t *testing.T) {
	h, _ := countUnits(t, mustTime("2026-11-15T12:00:00Z"))
	ev := event.Event{ID: "ahead", Source: "github", Kind: event.KindPullRequestMerged,
		OccurredAt: mustTime("2026-11-15T12:00:02Z"), Unit: "acme/api#99", Labels: []string{"perf"}}
	if err := h.eng.Handle(t.Context(), []event.Event{ev}); err != nil {
		t.Fatal(err)
	}
	if got := h.result(t, "perf-units"); got.Current != 6 {
		t.Errorf("right after the batch: perf-units = %v, want 6", got.Current)
	}
	for _, at := range []string{"2026-11-15T12:00:01Z", "2026-11-15T12:00:03Z"} {
		h.clock.Set(mustTime(at))
		if err := h.eng.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := h.result(t, "perf-units"); got.Current != 6 {
			t.Errorf("tick at %s: perf-units = %v, want 6", at, got.Current)
		}
		if seq := outboxRows(t, h)["notion:page:page-perf"]; seq != 2 {
			t.Errorf("tick at %s: outbox seq %d, want 2 (one write for the new event)", at, seq)
		}
	}
}
