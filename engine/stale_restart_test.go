package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/goalpost/goalpost/internal/store/storetest"
	"github.com/goalpost/goalpost/pipeline/event"
)

const restartConfig = `[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "perf"
type = "count"
target = 10
match = 'has_label("perf")'
notion_page = "perf"
[[objectives.key_results]]
key = "sev2"
type = "metric"
aggregate = "count_per_week"
window = "2w"
baseline = 10
target = 2
match = 'source == "jira" && has_label("sev-2")'
notion_page = "sev2"
`

// restart closes the store and opens it again under a new engine with no
// memory of the previous one (its in-memory health knows of no failure):
// what a kill and a restart of the daemon leave.
func (h *harness) restart(t *testing.T, cfg testConfig) {
	t.Helper()
	if err := h.st.Close(); err != nil {
		t.Fatal(err)
	}
	h.st, h.health = storetest.Open(t, h.path), &failing{} // same path: same data, on either backend
	h.compile(t, cfg)
}

// TestStaleSurvivesRestarts (issue 12.7): Jira fails; the daemon is killed
// and restarted at three moments of the outage while webhooks (Jira's own
// and GitHub's) keep arriving and the windows slide. Every restart shows and
// writes the same frozen value, the one computed from the events stored when
// the outage began; after the recovery every value equals that of a run that
// never had the outage.
func TestStaleSurvivesRestarts(t *testing.T) {
	cfg := decodeConfig(t, []byte(restartConfig))
	before := append([]event.Event{
		perfIssue("A-1", "2026-10-02T00:00:00Z"), perfIssue("A-2", "2026-10-05T00:00:00Z"),
		perfPR("1", "2026-10-06T00:00:00Z"), perfPR("2", "2026-10-08T00:00:00Z"),
	}, weekly(sev2, "2026-10-06T01:00:00Z", 2, 6)...)
	during := [][]event.Event{
		nil, // restarted right after the failure
		append([]event.Event{perfPR("3", "2026-10-24T00:00:00Z"), perfIssue("A-3", "2026-10-25T00:00:00Z")},
			weekly(sev2, "2026-10-23T01:00:00Z", 1, 2)...),
		{perfPR("4", "2026-11-03T00:00:00Z")}, // and the sev-2 window is past the stored data
	}
	restarts := []string{"2026-10-21T00:05:00Z", "2026-10-28T00:00:00Z", "2026-11-05T00:00:00Z"}
	recovered := mustTime("2026-11-06T00:00:00Z")

	h := newHarness(t, cfg, mustTime("2026-10-20T00:00:00Z"))
	if err := h.eng.Handle(t.Context(), before); err != nil {
		t.Fatal(err)
	}
	h.clock.Set(mustTime("2026-10-21T00:00:00Z"))
	if err := h.eng.RecordPoll(t.Context(), event.SourceJira, errors.New("jira: status 503")); err != nil {
		t.Fatal(err)
	}
	if err := h.eng.Tick(t.Context()); err != nil { // goes stale: written once
		t.Fatal(err)
	}
	frozen := valuesOf(t, h)
	writes := outboxRows(t, h)
	for i, at := range restarts {
		h.restart(t, cfg)
		h.clock.Set(mustTime(at))
		if len(during[i]) > 0 {
			if err := h.eng.Handle(t.Context(), during[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.eng.Tick(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := h.eng.RecordPoll(t.Context(), event.SourceJira, errors.New("jira: status 503")); err != nil {
			t.Fatal(err)
		}
		if got := valuesOf(t, h); got != frozen {
			t.Errorf("restart %d at %s: %s\nwant the value frozen when jira started failing: %s", i+1, at, got, frozen)
		}
		if got := outboxRows(t, h); fmt.Sprint(got) != fmt.Sprint(writes) {
			t.Errorf("restart %d at %s: writebacks %v, want %v (none after going stale)", i+1, at, got, writes)
		}
	}
	h.clock.Set(recovered)
	if err := h.eng.RecordPoll(t.Context(), event.SourceJira, nil); err != nil {
		t.Fatal(err)
	}

	control := newHarness(t, cfg, recovered)
	all := before
	for _, evs := range during {
		all = append(all, evs...)
	}
	if err := control.eng.Handle(t.Context(), all); err != nil {
		t.Fatal(err)
	}
	if err := control.eng.Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := valuesOf(t, h), valuesOf(t, control); got != want {
		t.Errorf("after the recovery: %s\nwant as without the outage: %s", got, want)
	}
}

// valuesOf is every stored key result's value, status and evidence count.
func valuesOf(t *testing.T, h *harness) string {
	t.Helper()
	rs, err := h.eng.LastResults(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for _, r := range rs {
		out += fmt.Sprintf("%s=%v/%v/%s/%d ", r.KRKey, r.Current, r.Progress, r.Status, r.EvidenceTotal)
	}
	return out
}
