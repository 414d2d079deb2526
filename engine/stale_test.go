package engine

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/pipeline/event"
	"github.com/goalpost/goalpost/rules"
)

// A stale key result (a source it depends on is failing) keeps the value,
// progress, score and evidence of its last result computed with healthy
// sources, whatever the stored events say meanwhile: a trailing window must
// not slide past the data the outage is missing, and events that still
// arrive (a healthy source's webhooks) wait for the recovery. Only a key
// result done before the outage stays done; one with no healthy result shows
// no data, never zero. A stale result is written back once.

// staleStep is one moment of an outage timeline: the clock is set, Jira's
// health set, events handled (and the store rebuilt), then the engine ticks.
type staleStep struct {
	name    string
	at      string
	failing bool // Jira failing
	events  []event.Event
	rebuild bool
	want    staleWant
}

type staleWant struct {
	current float64
	noData  bool
	status  string
	writes  int // writebacks queued so far (outbox sequence of the page)
}

const stalePeriod = "2026-Q4" // Oct 1 → Jan 1 in UTC, 92 days

func TestStaleFreezesTheValue(t *testing.T) {
	tests := []struct {
		name   string
		kr     string // the key result's TOML (key, type, rule, baseline, target)
		start  string
		before []event.Event // handled at start, Jira healthy
		steps  []staleStep
	}{
		{
			name: "windowed per-week metric does not drift to done",
			kr: `key = "sev2"
type = "metric"
aggregate = "count_per_week"
window = "4w"
baseline = 10
target = 2
match = 'source == "jira" && has_label("sev-2")'`,
			start:  "2026-10-29T00:00:00Z",
			before: weekly(sev2, "2026-10-01T01:00:00Z", 4, 10), // 10 a week, Oct 1–28
			steps: []staleStep{
				{name: "healthy: 40 in 4 weeks", at: "2026-10-29T00:00:00Z",
					want: staleWant{current: 10, status: rules.StatusOffTrack, writes: 1}},
				{name: "jira fails", at: "2026-10-29T01:00:00Z", failing: true,
					want: staleWant{current: 10, status: rules.StatusStale, writes: 2}},
				{name: "one week into the outage", at: "2026-11-05T01:00:00Z", failing: true,
					want: staleWant{current: 10, status: rules.StatusStale, writes: 2}},
				{name: "two weeks into the outage", at: "2026-11-12T01:00:00Z", failing: true,
					want: staleWant{current: 10, status: rules.StatusStale, writes: 2}},
				{name: "rebuild during the outage", at: "2026-11-19T01:00:00Z", failing: true, rebuild: true,
					want: staleWant{current: 10, status: rules.StatusStale, writes: 2}},
				{name: "the window is past all stored data", at: "2026-11-27T01:00:00Z", failing: true,
					want: staleWant{current: 10, status: rules.StatusStale, writes: 2}},
				{name: "jira recovers with the outage's incidents", at: "2026-11-27T02:00:00Z",
					events: weekly(sev2, "2026-10-30T12:00:00Z", 4, 3), // 3 a week since
					want:   staleWant{current: 3, status: rules.StatusOnTrack, writes: 3}},
			},
		},
		{
			name: "windowed median keeps its value when the window empties",
			kr: `key = "mttr"
type = "metric"
aggregate = "median"
field = "mttr_minutes"
window = "2w"
baseline = 60
target = 25
match = 'source == "jira" && has_label("sev-2")'`,
			start:  "2026-10-15T00:00:00Z",
			before: withValue(weekly(sev2, "2026-10-01T01:00:00Z", 2, 3), 40), // median 40
			steps: []staleStep{
				{name: "healthy: median 40", at: "2026-10-15T00:00:00Z",
					want: staleWant{current: 40, status: rules.StatusOnTrack, writes: 1}},
				{name: "jira fails", at: "2026-10-16T00:00:00Z", failing: true,
					want: staleWant{current: 40, status: rules.StatusStale, writes: 2}},
				{name: "the window is empty", at: "2026-11-05T00:00:00Z", failing: true,
					want: staleWant{current: 40, status: rules.StatusStale, writes: 2}},
				{name: "jira recovers", at: "2026-11-06T00:00:00Z",
					events: withValue(weekly(sev2, "2026-10-24T01:00:00Z", 2, 3), 20),
					want:   staleWant{current: 20, status: rules.StatusDone, writes: 3}},
			},
		},
		{
			name: "count ignores a healthy source's events while stale",
			kr: `key = "perf"
type = "count"
target = 10
match = 'has_label("perf")'`,
			start: "2026-10-20T00:00:00Z",
			before: []event.Event{
				perfIssue("A-1", "2026-10-02T00:00:00Z"), perfIssue("A-2", "2026-10-05T00:00:00Z"),
				perfPR("1", "2026-10-06T00:00:00Z"), perfPR("2", "2026-10-08T00:00:00Z"),
			},
			steps: []staleStep{
				{name: "healthy: 4", at: "2026-10-20T00:00:00Z",
					want: staleWant{current: 4, status: rules.StatusOnTrack, writes: 1}},
				{name: "jira fails", at: "2026-10-21T00:00:00Z", failing: true,
					want: staleWant{current: 4, status: rules.StatusStale, writes: 2}},
				{name: "github webhooks still arrive", at: "2026-10-28T00:00:00Z", failing: true,
					events: []event.Event{perfPR("3", "2026-10-27T00:00:00Z"), perfPR("4", "2026-10-27T12:00:00Z")},
					want:   staleWant{current: 4, status: rules.StatusStale, writes: 2}},
				{name: "jira recovers", at: "2026-10-29T00:00:00Z",
					events: []event.Event{perfIssue("A-3", "2026-10-25T00:00:00Z")},
					want:   staleWant{current: 7, status: rules.StatusOnTrack, writes: 3}},
			},
		},
		{
			name: "milestone done before the outage stays done",
			kr: `key = "passkeys"
type = "milestone"
match = 'source == "jira" && kind == "issue.completed" && unit == "AUTH-7"'`,
			start:  "2026-10-21T00:00:00Z",
			before: []event.Event{completed("AUTH-7", "2026-10-20T00:00:00Z")},
			steps: []staleStep{
				{name: "healthy: done", at: "2026-10-21T00:00:00Z",
					want: staleWant{current: 1, status: rules.StatusDone, writes: 1}},
				{name: "jira fails", at: "2026-10-22T00:00:00Z", failing: true,
					want: staleWant{current: 1, status: rules.StatusDone, writes: 2}},
				{name: "the period ends during the outage", at: "2027-01-05T00:00:00Z", failing: true,
					want: staleWant{current: 1, status: rules.StatusDone, writes: 2}},
				{name: "jira recovers", at: "2027-01-06T00:00:00Z",
					want: staleWant{current: 1, status: rules.StatusDone, writes: 3}},
			},
		},
		{
			name: "windowed metric done before the outage stays done, not zero",
			kr: `key = "fixes"
type = "metric"
aggregate = "count_per_week"
window = "2w"
target = 5
match = 'source == "jira" && kind == "issue.completed"'`,
			start:  "2026-10-15T00:00:00Z",
			before: weekly(completedN, "2026-10-01T01:00:00Z", 2, 6),
			steps: []staleStep{
				{name: "healthy: 6 a week", at: "2026-10-15T00:00:00Z",
					want: staleWant{current: 6, status: rules.StatusDone, writes: 1}},
				{name: "jira fails", at: "2026-10-16T00:00:00Z", failing: true,
					want: staleWant{current: 6, status: rules.StatusDone, writes: 2}},
				{name: "the window is past all stored data", at: "2026-11-01T00:00:00Z", failing: true,
					want: staleWant{current: 6, status: rules.StatusDone, writes: 2}},
				{name: "jira recovers with nothing new", at: "2026-11-02T00:00:00Z",
					want: staleWant{current: 0, status: rules.StatusOffTrack, writes: 3}},
			},
		},
		{
			name: "no healthy result before the outage shows no data",
			kr: `key = "jira-done"
type = "count"
baseline = 1
target = 20
match = 'source == "jira" && kind == "issue.completed"'`,
			start: "2026-10-10T00:00:00Z",
			steps: []staleStep{
				{name: "jira failing from the start", at: "2026-10-10T00:00:00Z", failing: true,
					want: staleWant{current: 1, noData: true, status: rules.StatusStale, writes: 1}},
				{name: "jira webhooks arrive", at: "2026-10-17T00:00:00Z", failing: true,
					events: []event.Event{completed("B-1", "2026-10-16T00:00:00Z")},
					want:   staleWant{current: 1, noData: true, status: rules.StatusStale, writes: 1}},
				{name: "rebuild during the outage", at: "2026-10-18T00:00:00Z", failing: true, rebuild: true,
					want: staleWant{current: 1, noData: true, status: rules.StatusStale, writes: 1}},
				{name: "jira recovers", at: "2026-10-19T00:00:00Z",
					events: []event.Event{completed("B-2", "2026-10-18T00:00:00Z")},
					want:   staleWant{current: 2, status: rules.StatusOnTrack, writes: 2}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runStale(t, tt.kr, tt.start, tt.before, tt.steps) })
	}
}

func runStale(t *testing.T, kr, start string, before []event.Event, steps []staleStep) {
	cfg := decodeConfig(t, []byte(fmt.Sprintf("[[objectives]]\nkey = \"O\"\nperiod = %q\n[[objectives.key_results]]\nnotion_page = \"p\"\n%s\n",
		stalePeriod, kr)))
	h := newHarness(t, cfg, mustTime(start))
	key := cfg.Objectives[0].KeyResults[0].Key
	if steps[0].failing {
		h.health.Set(event.SourceJira, true)
	}
	if len(before) > 0 {
		if err := h.eng.Handle(t.Context(), before); err != nil {
			t.Fatal(err)
		}
	}
	var healthy *rules.Result
	for _, s := range steps {
		got := h.staleStep(t, key, s)
		where := s.name + " (" + s.at + ")"
		checkStale(t, where, got, s)
		if seq := outboxRows(t, h)["notion:page:p"]; seq != s.want.writes {
			t.Errorf("%s: %d writebacks, want %d", where, seq, s.want.writes)
		}
		switch {
		case !s.failing:
			healthy = &got
		case healthy != nil:
			checkFrozen(t, where, got, *healthy)
		}
	}
}

// staleStep plays one step and returns the key result's result after it.
func (h *harness) staleStep(t *testing.T, key string, s staleStep) rules.Result {
	t.Helper()
	h.clock.Set(mustTime(s.at))
	h.health.Set(event.SourceJira, s.failing)
	if len(s.events) > 0 {
		if err := h.eng.Handle(t.Context(), s.events); err != nil {
			t.Fatal(err)
		}
	}
	if s.rebuild {
		before := resultsJSON(t, h)
		if err := h.eng.Rebuild(t.Context(), io.Discard); err != nil {
			t.Fatal(err)
		}
		if after := resultsJSON(t, h); after != before {
			t.Errorf("%s: rebuild changed the results:\nbefore %s\nafter  %s", s.name, before, after)
		}
	}
	if err := h.eng.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	return h.result(t, key)
}

func checkStale(t *testing.T, where string, got rules.Result, s staleStep) {
	t.Helper()
	want := s.want
	if got.Current != want.current || got.NoData != want.noData || got.Status != want.status {
		t.Errorf("%s: current %v no_data %v status %s; want %v %v %s\n  formula: %s", where,
			got.Current, got.NoData, got.Status, want.current, want.noData, want.status, got.Formula)
	}
	var stale []string
	if s.failing {
		stale = []string{event.SourceJira}
	}
	if !reflect.DeepEqual(got.StaleSources, stale) {
		t.Errorf("%s: stale sources %v, want %v", where, got.StaleSources, stale)
	}
}

// checkFrozen checks that a stale result kept its last healthy value.
func checkFrozen(t *testing.T, where string, got, healthy rules.Result) {
	t.Helper()
	if got.Progress != healthy.Progress || got.Score != healthy.Score || got.Grade != healthy.Grade ||
		got.EvidenceTotal != healthy.EvidenceTotal || !reflect.DeepEqual(got.Evidence, healthy.Evidence) {
		t.Errorf("%s: progress %v score %v grade %s evidence %d; want the last healthy %v %v %s %d",
			where, got.Progress, got.Score, got.Grade, got.EvidenceTotal,
			healthy.Progress, healthy.Score, healthy.Grade, healthy.EvidenceTotal)
	}
}

// weekly returns per events a week for weeks weeks from first, made by mk
// (named by week and index), spread over each week's first days.
func weekly(mk func(id, at string) event.Event, first string, weeks, per int) []event.Event {
	t0 := mustTime(first)
	var out []event.Event
	for w := range weeks {
		for i := range per {
			at := t0.Add(time.Duration(w)*7*24*time.Hour + time.Duration(i)*8*time.Hour)
			out = append(out, mk(fmt.Sprintf("%s-%d-%d", t0.Format("0102"), w, i), at.Format(time.RFC3339)))
		}
	}
	return out
}

func withValue(evs []event.Event, minutes float64) []event.Event {
	for i := range evs {
		evs[i].Numbers = map[string]float64{"mttr_minutes": minutes}
	}
	return evs
}

func sev2(id, at string) event.Event {
	return event.Event{ID: "jira:INC-" + id, Source: event.SourceJira, Kind: event.KindIssueCreated,
		OccurredAt: mustTime(at), Unit: "INC-" + id, Labels: []string{"sev-2"}, Title: "SEV-2 " + id}
}

func completed(unit, at string) event.Event {
	return event.Event{ID: "jira:" + unit + ":done", Source: event.SourceJira, Kind: event.KindIssueCompleted,
		OccurredAt: mustTime(at), Unit: unit, Attrs: map[string]string{"status_category": "done"}}
}

func completedN(id, at string) event.Event { return completed("FIX-"+id, at) }

func perfIssue(unit, at string) event.Event {
	ev := completed(unit, at)
	ev.Labels = []string{"perf"}
	return ev
}

func perfPR(n, at string) event.Event {
	return event.Event{ID: "gh:pr:acme/api#" + n + ":merged", Source: event.SourceGitHub, Kind: event.KindPullRequestMerged,
		OccurredAt: mustTime(at), Repo: "acme/api", Unit: "acme/api#" + n, Labels: []string{"perf"}}
}

// Explain shows a stale key result's frozen value with the evidence behind
// that value, not the items stored in the window now.
func TestExplainStaleShowsTheFrozenEvidence(t *testing.T) {
	cfg := decodeConfig(t, []byte(fmt.Sprintf(`[[objectives]]
key = "O"
period = %q
[[objectives.key_results]]
key = "sev2"
type = "metric"
aggregate = "count_per_week"
window = "4w"
baseline = 10
target = 2
match = 'source == "jira" && has_label("sev-2")'
`, stalePeriod)))
	h := newHarness(t, cfg, mustTime("2026-10-29T00:00:00Z"))
	if err := h.eng.Handle(t.Context(), weekly(sev2, "2026-10-01T01:00:00Z", 4, 10)); err != nil {
		t.Fatal(err)
	}
	h.health.Set(event.SourceJira, true)
	h.clock.Set(mustTime("2026-11-20T00:00:00Z"))
	var out strings.Builder
	if err := h.eng.Explain(t.Context(), "sev2", "", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"value:     10 (baseline 10",
		"status:    Stale — source(s) [jira] failing",
		"evidence (20 of 40, kept from the last evaluation with healthy sources)",
		"INC-1001-3-9", // the newest item of the frozen value
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain lacks %q:\n%s", want, out.String())
		}
	}
}
