package asana_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/internal/sandbox/asanafake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: a task completed 100 days ago and
// untouched since is outside a first poll's 30-day window; a backfill from
// 120 days ago (modified_since) publishes it, counts the tasks it read in
// the progress log, and leaves the cursor where the poll put it.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	h := newHarness(t)
	old := h.clk.Now().Add(-100 * 24 * time.Hour)
	gid := h.fake.AddTask(asanafake.Task{Name: "old", Project: "1001", ProjectName: "Launch", Section: "Done",
		CreatedAt: old.Add(-24 * time.Hour), ModifiedAt: old, Completed: true, CompletedAt: old})
	h.task("new", "To do")
	if err := h.src.PollOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if hasPrefix(h.pub.ids(), "asana:"+gid+":") {
		t.Fatal("a first poll read a task untouched for 100 days")
	}
	cur, _ := h.st.Cursor(t.Context(), event.SourceAsana, "tasks:1001")
	var logs bytes.Buffer
	progress := connector.NewProgress("asana", nil, slog.New(slog.NewTextHandler(&logs, nil)), h.clk.Now)
	if err := h.src.Backfill(t.Context(), h.clk.Now().Add(-120*24*time.Hour), progress); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"asana:" + gid + ":created", "asana:" + gid + ":completed:"} {
		if !hasPrefix(h.pub.ids(), want) {
			t.Errorf("backfill did not publish %s: %v", want, h.pub.ids())
		}
	}
	if again, _ := h.st.Cursor(t.Context(), event.SourceAsana, "tasks:1001"); again != cur {
		t.Errorf("backfill moved the cursor back: %s → %s", cur, again)
	}
	if !strings.Contains(logs.String(), "backfill done") || !strings.Contains(logs.String(), "items=2") {
		t.Errorf("progress log %q, want backfill done with 2 items", logs.String())
	}
	if err := h.src.Backfill(t.Context(), time.Time{}, nil); err == nil {
		t.Error("a backfill without a start date succeeded")
	}
}

func hasPrefix(ids []string, prefix string) bool {
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			return true
		}
	}
	return false
}
