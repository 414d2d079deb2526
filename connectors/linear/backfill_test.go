package linear

import (
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/goalpost/goalpost/connectors/connector"
	"github.com/goalpost/goalpost/pipeline/event"
)

// TestLinearBackfillFromDate (issue 12.2): ENG-6, untouched for 100 days,
// is past the first poll's default window; Backfill from a date reads it
// without moving the cursors back, and a first poll with backfill_since
// starts there too.
func TestLinearBackfillFromDate(t *testing.T) {
	since := lt0.Add(-110 * 24 * time.Hour).Truncate(24 * time.Hour)
	has := func(h *linearHarness, unit string) bool {
		return slices.ContainsFunc(h.pub.events(), func(ev event.Event) bool { return ev.Unit == unit })
	}
	t.Run("poll, then backfill from a date", func(t *testing.T) {
		fake := &linearFake{}
		linearScenario(fake)
		h := newLinearHarness(t, fake, nil)
		if err := h.src.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if has(h, "ENG-6") {
			t.Fatal("the default first poll read a 100-day-old issue")
		}
		cursor := h.cursor(t, "issues:"+h.src.key)
		p := connector.NewProgress("linear", nil, slog.New(slog.DiscardHandler), time.Now)
		if err := h.src.Backfill(t.Context(), since, p); err != nil {
			t.Fatal(err)
		}
		if !has(h, "ENG-6") {
			t.Error("the backfill missed the issue untouched for 100 days")
		}
		if got := h.cursor(t, "issues:"+h.src.key); got != cursor {
			t.Errorf("cursor moved from %s to %s", cursor, got)
		}
	})
	t.Run("first poll from backfill_since", func(t *testing.T) {
		fake := &linearFake{}
		linearScenario(fake)
		h := newLinearHarness(t, fake, func(c *Config) { c.BackfillSince = since.Format(time.DateOnly) })
		if err := h.src.PollOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !has(h, "ENG-6") {
			t.Error("a first poll with backfill_since missed the issue untouched for 100 days")
		}
	})
}
