package pagerduty

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/internal/sandbox/pagerdutyfake"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillReadsPastTheDefaultWindow: incidents resolved 190, 100 and
// 50 days ago are before the configured since (a month back), so a first
// poll does not read them; a backfill from 200 days ago reads them in
// since/until windows of at most 90 days (the fake, like PagerDuty,
// answers 400 to a range over six months): one request per window, and
// the cursor stays where the poll put it.
func TestBackfillReadsPastTheDefaultWindow(t *testing.T) {
	e := newEnv(t)
	for i, days := range []int{190, 100, 50} {
		at := t0.Add(-time.Duration(days) * 24 * time.Hour)
		e.fake.Add(pagerdutyfake.Incident{ID: "OLD" + string(rune('A'+i)), Number: i + 1, Title: "Checkout down", Status: "resolved",
			Urgency: "high", ServiceID: "PSVC", Service: "checkout", CreatedAt: at, ResolvedAt: at.Add(time.Hour)})
	}
	if err := e.src.PollOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.pub.kinds(); len(got) != 0 {
		t.Fatalf("a first poll read incidents older than since: %v", got)
	}
	cur, _ := e.src.cursors.Cursor(context.Background(), event.SourcePagerDuty, "incidents")
	before := e.fake.Requests()
	var logs bytes.Buffer
	progress := connector.NewProgress("pagerduty", nil, slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return e.now })
	if err := e.src.Backfill(context.Background(), t0.Add(-200*24*time.Hour), progress); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Requests() - before; n != 3 {
		t.Errorf("backfill of 200 days: %d requests, want 3 (windows of 90, 90 and 20 days)", n)
	}
	resolved := 0
	for _, ev := range e.pub.events {
		if ev.Kind == event.KindIncidentResolved && ev.Numbers["restore_seconds"] == 3600 {
			resolved++
		}
	}
	if resolved != 3 {
		t.Errorf("%d incidents resolved after the backfill, want 3: %v", resolved, e.pub.kinds())
	}
	if again, _ := e.src.cursors.Cursor(context.Background(), event.SourcePagerDuty, "incidents"); again != cur {
		t.Errorf("backfill moved the cursor back: %s → %s", cur, again)
	}
	if !strings.Contains(logs.String(), "items=3") {
		t.Errorf("progress log %q, want 3 items", logs.String())
	}
}
