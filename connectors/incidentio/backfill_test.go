package incidentio

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: 300 incidents closed about 100
// days ago, untouched since, are before the configured since (a month
// back); a first poll does not read them, a backfill from 120 days ago
// (updated_at[gte]) reads them in two pages (250, then after=) and
// publishes each opening and resolution, and the cursor stays where the
// poll put it.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	e := newEnv(t)
	old := e.now.Add(-100 * 24 * time.Hour)
	for i := range 300 {
		at := old.Add(time.Duration(i) * time.Minute)
		e.list = append(e.list, incidentJSON(fmt.Sprintf("OLD%03d", i), "closed", at, at.Add(30*time.Minute)))
	}
	e.list = append(e.list, incidentJSON("NEW", "closed", e.now.Add(-3*time.Hour), e.now.Add(-2*time.Hour)))
	if err := e.src.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(e.pub.events); n != 2 {
		t.Fatalf("first poll published %d events, want the new incident's 2", n)
	}
	cur, _ := e.src.cursors.Cursor(context.Background(), event.SourceIncidentIO, "incidents")
	e.listed = 0
	var logs bytes.Buffer
	progress := connector.NewProgress("incidentio", nil, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return e.now })
	if err := e.src.Backfill(context.Background(), e.now.Add(-120*24*time.Hour), progress); err != nil {
		t.Fatal(err)
	}
	if e.listed != 2 {
		t.Errorf("backfill listed %d pages, want 2 (250 + 51)", e.listed)
	}
	if n := len(e.pub.events); n != 2*301 {
		t.Errorf("after the backfill %d events, want %d (opened and resolved each)", n, 2*301)
	}
	if again, _ := e.src.cursors.Cursor(context.Background(), event.SourceIncidentIO, "incidents"); again != cur {
		t.Errorf("backfill moved the cursor back: %s → %s", cur, again)
	}
	if !strings.Contains(logs.String(), "items=301") {
		t.Errorf("progress log %q, want 301 items", logs.String())
	}
}
