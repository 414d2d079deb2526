package trello_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: a card done 100 days ago and
// untouched since is outside a first poll's 30-day window; a backfill from
// 120 days ago (the actions' since) publishes its creation and completion,
// paging back with before=, counts the actions it read in the progress log,
// and leaves the cursor where the poll put it.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	h := newHarness(t)
	start := h.clk.Now()
	h.clk.Add(-100 * 24 * time.Hour)
	card, _ := h.fake.AddCard(boardID, h.lists[0], "old", nil, nil)
	h.clk.Add(time.Hour)
	h.fake.Move(card, h.lists[2])
	h.clk.Add(start.Sub(h.clk.Now()))
	h.fake.AddCard(boardID, h.lists[0], "new", nil, nil)
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := kindsOf(h.pub.events(), card); len(got) != 0 {
		t.Fatalf("a first poll read actions 100 days old: %v", got)
	}
	cur, _ := h.st.Cursor(t.Context(), event.SourceTrello, "actions:"+boardID)
	var logs bytes.Buffer
	progress := connector.NewProgress("trello", nil, slog.New(slog.NewTextHandler(&logs, nil)), h.clk.Now)
	if err := h.src.Backfill(t.Context(), start.Add(-120*24*time.Hour), progress); err != nil {
		t.Fatal(err)
	}
	if got := kindsOf(h.pub.events(), card); strings.Join(got, " ") != "issue.created issue.completed" {
		t.Errorf("backfill published %v for the old card, want its creation and completion", got)
	}
	if again, _ := h.st.Cursor(t.Context(), event.SourceTrello, "actions:"+boardID); again != cur {
		t.Errorf("backfill moved the cursor back: %s → %s", cur, again)
	}
	if !strings.Contains(logs.String(), "backfill done") || !strings.Contains(logs.String(), "items=3") {
		t.Errorf("progress log %q, want backfill done with 3 items", logs.String())
	}
}

// kindsOf lists the kinds of the events about card, oldest first.
func kindsOf(evs []event.Event, card string) []string {
	var out []string
	var at []time.Time
	for _, ev := range evs {
		if ev.Attrs["card_id"] == card {
			out = append(out, ev.Kind)
			at = append(at, ev.OccurredAt)
		}
	}
	if len(out) == 2 && at[1].Before(at[0]) {
		out[0], out[1] = out[1], out[0]
	}
	return out
}
