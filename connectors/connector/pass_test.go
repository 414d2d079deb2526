package connector

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

type memCursors map[string]string

func (m memCursors) Cursor(_ context.Context, source, key string) (string, error) {
	return m[source+"/"+key], nil
}

func (m memCursors) SetCursor(_ context.Context, source, key, value string) error {
	m[source+"/"+key] = value
	return nil
}

// TestTimeCursorOnlyMovesForward: an unset cursor starts at first; Advance
// saves later times only, so a backfill reading older history leaves it.
func TestTimeCursorOnlyMovesForward(t *testing.T) {
	ctx := context.Background()
	store := memCursors{}
	first := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	c, err := LoadTimeCursor(ctx, store, "gitlab", "mrs", first)
	if err != nil || !c.At().Equal(first) {
		t.Fatalf("unset cursor at %s (%v), want %s", c.At(), err, first)
	}
	if err := c.Advance(ctx, first.Add(-time.Hour)); err != nil || len(store) != 0 {
		t.Fatalf("an earlier time was saved: %v %v", store, err)
	}
	later := first.Add(90 * time.Minute)
	if err := c.Advance(ctx, later); err != nil {
		t.Fatal(err)
	}
	again, err := LoadTimeCursor(ctx, store, "gitlab", "mrs", first)
	if err != nil || !again.At().Equal(later) {
		t.Fatalf("reloaded cursor %s (%v), want %s", again.At(), err, later)
	}
	store["gitlab/mrs"] = "yesterday"
	if _, err := LoadTimeCursor(ctx, store, "gitlab", "mrs", first); err == nil {
		t.Fatal("an unreadable cursor was accepted")
	}
}

// TestPassAndRunBackfill: a regular pass reads from the cursor, a backfill
// from its start; RunBackfill refuses a zero start, records the outcome and
// ends the progress line.
func TestPassAndRunBackfill(t *testing.T) {
	cursor, since := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if got := (Pass{}).From(cursor); !got.Equal(cursor) {
		t.Errorf("a regular poll reads from %s", got)
	}
	var logs bytes.Buffer
	now := func() time.Time { return cursor }
	progress := NewProgress("asana", nil, slog.New(slog.NewTextHandler(&logs, nil)), now)
	var h Health
	err := RunBackfill(since, progress, &h, func(p Pass) error {
		if !p.Backfill() || !p.From(cursor).Equal(since) {
			t.Errorf("backfill pass %+v reads from %s", p, p.From(cursor))
		}
		p.Read(7)
		return nil
	})
	if err != nil || h.LastError() != nil || !strings.Contains(logs.String(), "items=7") {
		t.Errorf("backfill: %v, health %v, log %q", err, h.LastError(), logs.String())
	}
	if err := RunBackfill(time.Time{}, nil, &h, func(Pass) error { t.Error("polled without a start"); return nil }); err == nil {
		t.Error("a backfill without a start date succeeded")
	}
	if got := FirstStart("2026-07-01", time.Hour, cursor); !got.Equal(cursor) {
		t.Errorf("FirstStart with a date = %s", got)
	}
	if got := FirstStart("", time.Hour, cursor); !got.Equal(cursor.Add(-time.Hour)) {
		t.Errorf("FirstStart without a date = %s", got)
	}
}
