package gitlab

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: a merge request merged and
// deployed 100 days ago, untouched since, is outside a first poll's 14-day
// window; a backfill from 120 days ago (updated_after) publishes the merge
// and the deploy that shipped it, counts what it read in the progress log,
// and leaves the cursors where the poll put them.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	e := newEnv(t, nil)
	today := e.now
	e.now = today.Add(-100 * 24 * time.Hour)
	old := e.merge("old", false)
	e.deploy(1, e.head, "success")
	e.now = today
	e.merge("new", true)
	e.poll()
	if got := len(e.pub.kind(event.KindPullRequestMerged)); got != 1 {
		t.Fatalf("a first poll published %d merges, want only the new one", got)
	}
	mrs, _ := e.store.Cursor(context.Background(), event.SourceGitLab, "mrs:"+testProject)
	var logs bytes.Buffer
	progress := connector.NewProgress("gitlab", nil, slog.New(slog.NewTextHandler(&logs, nil)), e.clock)
	must(t, e.src.Backfill(context.Background(), today.Add(-120*24*time.Hour), progress))
	if got := len(e.pub.kind(event.KindPullRequestMerged)); got != 2 {
		t.Errorf("after the backfill %d merges, want 2", got)
	}
	if got := e.shippedBy(1); len(got) != 1 || int64(got[0]) != old {
		t.Errorf("the old deploy shipped %v, want [%d]", got, old)
	}
	if again, _ := e.store.Cursor(context.Background(), event.SourceGitLab, "mrs:"+testProject); again != mrs {
		t.Errorf("backfill moved the merge request cursor back: %s → %s", mrs, again)
	}
	if !strings.Contains(logs.String(), "backfill done") || !strings.Contains(logs.String(), "items=3") {
		t.Errorf("progress log %q, want backfill done with 3 items (2 merge requests, 1 deployment)", logs.String())
	}
}
