package jira

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestBackfillFromDate (issue 12.2): an epic child untouched for 100 days
// is past the first poll's default window; `sync --since` (Backfill) reads
// it, with progress in the logs, and the cursor does not move back. A
// first poll with backfill_since starts there too.
func TestBackfillFromDate(t *testing.T) {
	old := &fakeIssue{ID: "10009", Key: "AUTH-9", Type: "Story", Summary: "Untouched for 100 days", StatusID: "10001",
		Resolution: "Done", Parent: "AUTH-100", ParentType: "Epic",
		Created: t0.Add(-120 * 24 * time.Hour), Updated: t0.Add(-100 * 24 * time.Hour)}
	since := t0.Add(-110 * 24 * time.Hour).Truncate(24 * time.Hour)
	has := func(h *harness, key string) bool {
		return slices.ContainsFunc(h.pub.events(), func(ev event.Event) bool { return ev.Unit == key })
	}
	t.Run("poll, then backfill from a date", func(t *testing.T) {
		fake := newFakeJira()
		scenario(fake)
		fake.issues = append(fake.issues, old)
		h := newHarness(t, fake, nil)
		if err := h.src.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if has(h, "AUTH-9") {
			t.Fatal("the default first poll read a 100-day-old issue")
		}
		cursor := h.cursor(t)
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		clock := t0
		p := connector.NewProgress("jira", nil, log, func() time.Time { clock = clock.Add(connector.LogEvery); return clock })
		if err := h.src.Backfill(t.Context(), since, p); err != nil {
			t.Fatal(err)
		}
		if !has(h, "AUTH-9") {
			t.Error("the backfill missed the issue untouched for 100 days")
		}
		if h.cursor(t) != cursor {
			t.Errorf("cursor moved from %s to %s", cursor, h.cursor(t))
		}
		for _, want := range []string{"backfill progress", "backfill done", "source=jira"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("logs lack %q:\n%s", want, logs.String())
			}
		}
	})
	t.Run("first poll from backfill_since", func(t *testing.T) {
		fake := newFakeJira()
		scenario(fake)
		fake.issues = append(fake.issues, old)
		h := newHarness(t, fake, func(c *Config) { c.BackfillSince = since.Format(time.DateOnly) })
		if err := h.src.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !has(h, "AUTH-9") {
			t.Error("a first poll with backfill_since missed the issue untouched for 100 days")
		}
	})
}
