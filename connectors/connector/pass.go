package connector

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Pass is what differs between a regular poll and a backfill, for a source
// that reads by time: a backfill reads from Since whatever its cursors say
// and counts the items it reads on Progress. The zero Pass is a regular
// poll.
type Pass struct {
	Since    time.Time // the backfill's start; zero in a regular poll
	Progress *Progress // nil in a regular poll
}

// Backfill reports whether the pass is a backfill.
func (p Pass) Backfill() bool { return !p.Since.IsZero() }

// From is where the pass reads a resource from: Since in a backfill, else
// the cursor.
func (p Pass) From(cursor time.Time) time.Time {
	if p.Backfill() {
		return p.Since
	}
	return cursor
}

// Read counts n items read (a no-op in a regular poll).
func (p Pass) Read(n int) { p.Progress.Add(n) }

// RunBackfill is the body of a time-reading source's Backfill: it refuses
// a zero since, runs poll as a backfill pass, records the outcome in
// health and ends progress. It blocks until poll returns.
func RunBackfill(since time.Time, progress *Progress, health *Health, poll func(Pass) error) error {
	if since.IsZero() {
		err := errors.New("backfill: a start date is required")
		progress.Done(err)
		return err
	}
	err := poll(Pass{Since: since, Progress: progress})
	health.Set(err)
	progress.Done(err)
	return err
}

// FirstStart is where a resource's first poll starts: the configured
// history start (a "2026-07-01" date; "" when unset), else lookback before
// now. The date is assumed valid (Validate checked it).
func FirstStart(date string, lookback time.Duration, now time.Time) time.Time {
	if t, err := time.Parse(time.DateOnly, date); err == nil {
		return t
	}
	return now.Add(-lookback)
}

// TimeCursor is a poll cursor holding a time, kept in a CursorStore in RFC
// 3339 with nanoseconds. It only moves forward, so a backfill that reads
// older history leaves a regular poll where it was.
type TimeCursor struct {
	store       CursorStore
	source, key string
	at          time.Time
}

// LoadTimeCursor reads (source, key); unset, the cursor is at first.
func LoadTimeCursor(ctx context.Context, store CursorStore, source, key string, first time.Time) (*TimeCursor, error) {
	c := &TimeCursor{store: store, source: source, key: key, at: first}
	raw, err := store.Cursor(ctx, source, key)
	if err != nil {
		return nil, fmt.Errorf("%s cursor %s: %w", source, key, err)
	}
	if raw != "" {
		if c.at, err = time.Parse(time.RFC3339Nano, raw); err != nil {
			return nil, fmt.Errorf("%s cursor %s %q: %w", source, key, raw, err)
		}
	}
	return c, nil
}

// At is the cursor's time.
func (c *TimeCursor) At() time.Time { return c.at }

// Advance saves t when it is later than the cursor; call it only after the
// events read up to t were published.
func (c *TimeCursor) Advance(ctx context.Context, t time.Time) error {
	if !t.After(c.at) {
		return nil
	}
	if err := c.store.SetCursor(ctx, c.source, c.key, t.UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	c.at = t
	return nil
}
