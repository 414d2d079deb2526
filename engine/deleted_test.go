package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goalpost/goalpost/pipeline/event"
)

// A deleted issue leaves the ratio's total, its writeback is queued like any
// change, an older event of the issue or a redelivered deletion changes
// nothing, and a count keeps what the issue did before it was deleted.
func TestIssueDeletedLeavesRatio(t *testing.T) {
	cfg := decodeConfig(t, []byte(`
[[objectives]]
key = "O"
period = "2026-Q4"
[[objectives.key_results]]
key = "epic"
type = "ratio"
scope = "epic:E-1"
target = 100
notion_page = "page-epic"
[[objectives.key_results]]
key = "done"
type = "count"
target = 10
match = 'kind == "issue.completed"'
notion_page = "page-done"
`))
	h := newHarness(t, cfg, mustTime("2026-10-10T00:00:00Z"))
	issue := func(id, unit, kind, cat, at string) event.Event {
		return event.Event{ID: id, Source: "jira", Kind: kind, OccurredAt: mustTime(at), Unit: unit,
			Attrs: map[string]string{"status_category": cat, "epic": "E-1"}}
	}
	deleted := func(unit, at string) event.Event {
		return event.Event{ID: "jira:" + unit + ":deleted", Source: "jira", Kind: event.KindIssueDeleted, OccurredAt: mustTime(at),
			Unit: unit, Attrs: map[string]string{"deleted": "true"}}
	}
	steps := []struct {
		name               string
		evs                []event.Event
		epic, done         float64
		noData             bool
		epicSeq, doneSeq   int
		epicTotal, blocked int
	}{
		{"one of two issues done", []event.Event{
			issue("a1", "A-1", event.KindIssueCompleted, "done", "2026-10-03T00:00:00Z"),
			issue("a2", "A-2", event.KindIssueUpdated, "new", "2026-10-03T00:00:00Z"),
		}, 50, 1, false, 1, 1, 2, 0},
		{"the done issue is deleted", []event.Event{deleted("A-1", "2026-10-05T00:00:00Z")}, 0, 1, false, 2, 1, 1, 0},
		{"an older event of the deleted issue", []event.Event{
			issue("a1-late", "A-1", event.KindIssueUpdated, "done", "2026-10-04T00:00:00Z"),
		}, 0, 1, false, 2, 1, 1, 0},
		{"the deletion redelivered", []event.Event{deleted("A-1", "2026-10-05T00:00:00Z")}, 0, 1, false, 2, 1, 1, 0},
		{"the last issue deleted", []event.Event{deleted("A-2", "2026-10-06T00:00:00Z")}, 0, 1, true, 3, 1, 0, 0},
	}
	for _, s := range steps {
		if err := h.eng.Handle(t.Context(), s.evs); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		epic, done := h.result(t, "epic"), h.result(t, "done")
		if epic.Current != s.epic || epic.NoData != s.noData || epic.EvidenceTotal != s.epicTotal {
			t.Errorf("%s: epic = %v (no data %v, %d issues), want %v (%v, %d)", s.name, epic.Current, epic.NoData, epic.EvidenceTotal,
				s.epic, s.noData, s.epicTotal)
		}
		if done.Current != s.done {
			t.Errorf("%s: done = %v, want %v (a deletion retracts no count)", s.name, done.Current, s.done)
		}
		rows := outboxRows(t, h)
		if rows["notion:page:page-epic"] != s.epicSeq || rows["notion:page:page-done"] != s.doneSeq {
			t.Errorf("%s: outbox %v, want page-epic seq %d, page-done seq %d", s.name, rows, s.epicSeq, s.doneSeq)
		}
	}
	rep, err := h.eng.RebuildReport(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changed) != 0 {
		t.Errorf("rebuild changed %+v: replaying the stored events must give the same results", rep.Changed)
	}
}

// The deletion and the events around it give the same results in any
// order: the latest state wins, and a deletion wins a tie.
func TestIssueDeletionOrderIndependent(t *testing.T) {
	dir := filepath.Join("testdata", "golden", "ratio_deleted")
	evs := readEvents(t, filepath.Join(dir, "events.jsonl"))
	src, err := os.ReadFile(filepath.Join(dir, "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := decodeConfig(t, src)
	now := mustTime("2026-10-15T00:00:00Z")
	orders := [][]event.Event{}
	for shift := range len(evs) {
		orders = append(orders, append(append([]event.Event{}, evs[shift:]...), evs[:shift]...))
	}
	rev := make([]event.Event, len(evs))
	for i, ev := range evs {
		rev[len(evs)-1-i] = ev
	}
	orders = append(orders, rev)
	want := ""
	for i, order := range orders {
		h := newHarness(t, cfg, now)
		for _, ev := range order {
			if err := h.eng.Handle(t.Context(), []event.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.result(t, "auth-epic"); got.Current != 33.3333 || got.EvidenceTotal != 3 {
			t.Errorf("order %d: auth-epic = %v of %d issues, want 33.3333 of 3", i, got.Current, got.EvidenceTotal)
		}
		got := resultsJSON(t, h)
		if i == 0 {
			want = got
		} else if got != want {
			t.Errorf("order %d gives other results:\n%s\nwant\n%s", i, got, want)
		}
	}
}
